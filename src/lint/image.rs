//! Image references as `FROM` names them:
//! `[registry[:port]/]path[:tag][@algo:hex]`.
//!
//! The registry is the first path element when it contains `.` or `:` or
//! is `localhost` (Docker's rule); otherwise the image is on Docker Hub.

/// The parts of an image reference, borrowed from the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// `ghcr.io`, `localhost:5000`; `None` for Docker Hub names.
    pub registry: Option<&'a str>,
    /// The repository path without registry (`library/debian`, `debian`).
    pub name: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    pub fn parse(s: &'a str) -> ImageRef<'a> {
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => (r, Some(d)),
            None => (s, None),
        };
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (path, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
            None => (rest, None),
        };
        let (registry, name) = match path.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (Some(first), rest)
            }
            _ => (None, path),
        };
        ImageRef {
            registry,
            name,
            tag,
            digest,
        }
    }

    /// `scratch`, the empty image.
    pub fn is_scratch(&self) -> bool {
        self.registry.is_none() && self.name.eq_ignore_ascii_case("scratch")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_references() {
        let r = ImageRef::parse("localhost:5000/team/app:1.2@sha256:abc");
        assert_eq!(r.registry, Some("localhost:5000"));
        assert_eq!(r.name, "team/app");
        assert_eq!(r.tag, Some("1.2"));
        assert_eq!(r.digest, Some("sha256:abc"));
        let r = ImageRef::parse("debian");
        assert_eq!((r.registry, r.name, r.tag), (None, "debian", None));
        let r = ImageRef::parse("library/node:20-alpine");
        assert_eq!(
            (r.registry, r.name, r.tag),
            (None, "library/node", Some("20-alpine"))
        );
        assert!(ImageRef::parse("scratch").is_scratch());
    }
}
