//! Image references with Docker's normalisation:
//!
//! | written                      | registry    | repository          | tag / digest |
//! |------------------------------|-------------|---------------------|--------------|
//! | `ubuntu`                     | docker.io   | library/ubuntu      | latest       |
//! | `me/app:1`                   | docker.io   | me/app              | 1            |
//! | `localhost:5000/x`           | localhost:5000 | x                | latest       |
//! | `ghcr.io/o/r@sha256:…`       | ghcr.io     | o/r                 | digest       |
//! | `host:5000/ns/n:t@sha256:…`  | host:5000   | ns/n                | both         |
//!
//! The first path component is a registry when it contains `.` or `:` or is
//! `localhost`; otherwise the image is on Docker Hub (`docker.io`, whose API
//! lives at `registry-1.docker.io`), where one-component names are in
//! `library/`. Grammar: distribution's `reference` package.

use std::fmt;
use std::str::FromStr;

use super::digest::Digest;

pub const DOCKER_HUB: &str = "docker.io";
pub const DOCKER_HUB_API: &str = "registry-1.docker.io";

/// Why a string is not an image reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceError {
    #[error("invalid reference format {0:?}: expected [registry/]repository[:tag][@digest], like ubuntu:24.04 or ghcr.io/org/app@sha256:…")]
    Format(String),
    #[error("invalid reference format {0:?}: repository name must be lowercase")]
    Uppercase(String),
    #[error("invalid tag in {0:?}: a tag is up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`")]
    Tag(String),
    #[error("invalid digest in {reference:?}: {error}")]
    Digest { reference: String, error: String },
    #[error(
        "invalid repository name {0:?}: 64-character hexadecimal strings are image ids, not names"
    )]
    HexName(String),
}

/// A parsed, normalised image reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference {
    /// `docker.io`, `ghcr.io`, `localhost:5000`, …
    pub registry: String,
    /// `library/ubuntu`, `org/app`, …
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<Digest>,
}

fn is_component(s: &str) -> bool {
    // [a-z0-9]+ ( ( [._] | __ | -+ ) [a-z0-9]+ )*
    let b = s.as_bytes();
    if b.is_empty() || !b[0].is_ascii_alphanumeric() || !b[b.len() - 1].is_ascii_alphanumeric() {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_lowercase() || b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && matches!(b[i], b'.' | b'_' | b'-') {
            i += 1;
        }
        let sep = &s[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|c| c == b'-');
        if !ok || i == b.len() || !(b[i].is_ascii_lowercase() || b[i].is_ascii_digit()) {
            return false;
        }
    }
    true
}

fn is_domain(s: &str) -> bool {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        // [ipv6]:port
        let Some((addr, after)) = rest.split_once(']') else {
            return false;
        };
        if addr.is_empty() || !addr.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return false;
        }
        match after {
            "" => return true,
            p => match p.strip_prefix(':') {
                Some(port) => ("x", Some(port)),
                None => return false,
            },
        }
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    if let Some(p) = port {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

fn is_tag(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

impl FromStr for Reference {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Reference, ReferenceError> {
        let format = || ReferenceError::Format(s.to_string());
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => {
                let digest = d.parse::<Digest>().map_err(|e| ReferenceError::Digest {
                    reference: s.to_string(),
                    error: e.to_string(),
                })?;
                (r, Some(digest))
            }
            None => (s, None),
        };
        // A tag is after the last ':' that comes after the last '/'.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => {
                let tag = &rest[last_slash + i + 1..];
                if !is_tag(tag) {
                    return Err(ReferenceError::Tag(s.to_string()));
                }
                (&rest[..last_slash + i], Some(tag.to_string()))
            }
            None => (rest, None),
        };
        if name.is_empty() || name.len() > 255 {
            return Err(format());
        }
        let (registry, path) = match name.split_once('/') {
            Some((first, path))
                if first.contains(['.', ':']) || first == "localhost" || first.starts_with('[') =>
            {
                if !is_domain(first) {
                    return Err(format());
                }
                (first.to_string(), path.to_string())
            }
            _ => (DOCKER_HUB.to_string(), name.to_string()),
        };
        let registry = if registry == "index.docker.io" {
            DOCKER_HUB.to_string()
        } else {
            registry
        };
        if path.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(ReferenceError::Uppercase(s.to_string()));
        }
        if !path.split('/').all(is_component) {
            return Err(format());
        }
        if registry == DOCKER_HUB && path.len() == 64 && path.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(ReferenceError::HexName(s.to_string()));
        }
        let repository = if registry == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        Ok(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }
}

impl Reference {
    /// Parses and, when neither tag nor digest is given, adds `latest`.
    pub fn parse_with_default_tag(s: &str) -> Result<Reference, ReferenceError> {
        let mut r: Reference = s.parse()?;
        if r.tag.is_none() && r.digest.is_none() {
            r.tag = Some("latest".into());
        }
        Ok(r)
    }

    /// `registry/repository`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The host to talk to for the registry API.
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            DOCKER_HUB_API
        } else {
            &self.registry
        }
    }

    /// The tag, the digest, or `latest`: what to ask the registry for.
    pub fn identifier(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".into(),
        }
    }

    /// As `docker images` shows it: `ubuntu:24.04`, `me/app:1`,
    /// `ghcr.io/o/r:t` (Docker Hub's `docker.io/` and `library/` dropped).
    pub fn familiar(&self) -> String {
        let mut s = self.familiar_name();
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(&d.to_string());
        }
        s
    }

    /// The repository as `docker images` shows it.
    pub fn familiar_name(&self) -> String {
        if self.registry == DOCKER_HUB {
            self.repository
                .strip_prefix("library/")
                .filter(|r| !r.contains('/'))
                .unwrap_or(&self.repository)
                .to_string()
        } else {
            self.name()
        }
    }

    /// Whether the registry is on this machine (`localhost`, 127.0.0.0/8,
    /// `::1`): insecure by default, as Docker treats it.
    pub fn is_local(&self) -> bool {
        let host = match self.registry.rsplit_once(':') {
            Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => &self.registry,
        };
        host == "localhost" || host.starts_with("127.") || host == "[::1]"
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn r(s: &str) -> Reference {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn normalises_like_docker() {
        assert_eq!(
            Reference::parse_with_default_tag("ubuntu")
                .unwrap()
                .to_string(),
            "docker.io/library/ubuntu:latest"
        );
        assert_eq!(r("me/app:1").to_string(), "docker.io/me/app:1");
        assert_eq!(r("localhost:5000/x").registry, "localhost:5000");
        assert_eq!(r("localhost/x").registry, "localhost");
        assert_eq!(r("index.docker.io/library/ubuntu").registry, "docker.io");
        let full = r(&format!("host.example:5000/ns/name:tag@{D}"));
        assert_eq!(
            (
                full.registry.as_str(),
                full.repository.as_str(),
                full.tag.as_deref()
            ),
            ("host.example:5000", "ns/name", Some("tag"))
        );
        assert_eq!(full.digest.unwrap().to_string(), D);
        assert_eq!(r("ubuntu:24.04").familiar(), "ubuntu:24.04");
        assert_eq!(r("ghcr.io/o/r:t").familiar(), "ghcr.io/o/r:t");
        assert_eq!(r("ubuntu").api_host(), "registry-1.docker.io");
        assert!(r("127.0.0.1:5000/a").is_local());
        assert!(!r("ghcr.io/a").is_local());
        assert_eq!(r("[::1]:5000/a").registry, "[::1]:5000");
    }

    #[test]
    fn rejects_bad_references() {
        for s in [
            "",
            "UPPER",
            "a//b",
            "-a",
            "a:",
            "a:-x",
            "host:port/x",
            "a@sha256:abc",
            ":tag",
            "a b",
        ] {
            assert!(s.parse::<Reference>().is_err(), "{s}");
        }
        assert!(matches!(
            "Ubuntu".parse::<Reference>(),
            Err(ReferenceError::Uppercase(_))
        ));
        assert!(matches!(
            D[7..].parse::<Reference>(),
            Err(ReferenceError::HexName(_))
        ));
    }
}
