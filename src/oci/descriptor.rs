//! Descriptors and platforms
//! (<https://github.com/opencontainers/image-spec/blob/main/descriptor.md>).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::digest::Digest;

/// A reference to content: its media type, digest and size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
}

impl Descriptor {
    pub fn new(media_type: impl Into<String>, digest: Digest, size: u64) -> Descriptor {
        Descriptor {
            media_type: media_type.into(),
            digest,
            size,
            urls: Vec::new(),
            annotations: BTreeMap::new(),
            platform: None,
            artifact_type: None,
        }
    }

    /// The `org.opencontainers.image.ref.name` annotation (a tag in an OCI
    /// layout's index).
    pub fn ref_name(&self) -> Option<&str> {
        self.annotations
            .get(super::ANNOTATION_REF_NAME)
            .map(String::as_str)
    }
}

/// Why a platform string is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid platform {0:?}: expected os/arch[/variant], like linux/amd64 or linux/arm64/v8")]
pub struct PlatformError(pub String);

/// An operating system and CPU architecture.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Platform {
    pub architecture: String,
    pub os: String,
    #[serde(
        rename = "os.version",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub os_version: Option<String>,
    #[serde(rename = "os.features", default, skip_serializing_if = "Vec::is_empty")]
    pub os_features: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl Platform {
    pub fn new(os: &str, architecture: &str, variant: Option<&str>) -> Platform {
        Platform {
            architecture: architecture.to_string(),
            os: os.to_string(),
            os_version: None,
            os_features: Vec::new(),
            variant: variant.map(str::to_string),
        }
    }

    /// The platform with containerd's normalisation: `x86_64` is `amd64`,
    /// `aarch64` is `arm64` (variant `v8` implied), `armhf` is `arm/v7`.
    pub fn normalized(&self) -> Platform {
        let mut p = self.clone();
        p.os = p.os.to_ascii_lowercase();
        let (arch, variant) = match (
            p.architecture.to_ascii_lowercase().as_str(),
            p.variant.as_deref(),
        ) {
            ("x86_64" | "x86-64" | "amd64", v) => {
                ("amd64", v.filter(|v| *v != "v1").map(str::to_string))
            }
            ("aarch64" | "arm64", Some("v8") | None) => ("arm64", None),
            ("aarch64" | "arm64", v) => ("arm64", v.map(str::to_string)),
            ("armhf", _) => ("arm", Some("v7".to_string())),
            ("armel", _) => ("arm", Some("v6".to_string())),
            ("arm", None | Some("7")) => ("arm", Some("v7".to_string())),
            ("arm", Some(v)) if !v.starts_with('v') => ("arm", Some(format!("v{v}"))),
            ("i386" | "386", v) => ("386", v.map(str::to_string)),
            (a, v) => {
                p.architecture = a.to_string();
                p.variant = v.map(str::to_string);
                return p;
            }
        };
        p.architecture = arch.to_string();
        p.variant = variant;
        p
    }

    /// Whether an image for `self` satisfies a request for `wanted` (a
    /// request without a variant accepts any variant).
    pub fn matches(&self, wanted: &Platform) -> bool {
        let a = self.normalized();
        let b = wanted.normalized();
        a.os == b.os
            && a.architecture == b.architecture
            && (b.variant.is_none() || a.variant == b.variant)
    }
}

impl FromStr for Platform {
    type Err = PlatformError;

    fn from_str(s: &str) -> Result<Platform, PlatformError> {
        let parts: Vec<&str> = s.split('/').collect();
        let ok = |p: &&str| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        };
        match parts.as_slice() {
            [os, arch] if ok(os) && ok(arch) => Ok(Platform::new(os, arch, None)),
            [os, arch, variant] if ok(os) && ok(arch) && ok(variant) => {
                Ok(Platform::new(os, arch, Some(variant)))
            }
            _ => Err(PlatformError(s.to_string())),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_matches_platforms() {
        let p: Platform = "linux/arm64/v8".parse().unwrap();
        assert_eq!(p.to_string(), "linux/arm64/v8");
        assert!(Platform::new("linux", "aarch64", None).matches(&p));
        assert!(
            Platform::new("linux", "arm64", Some("v8")).matches(&"linux/arm64".parse().unwrap())
        );
        assert!(
            !Platform::new("linux", "arm", Some("v6")).matches(&"linux/arm/v7".parse().unwrap())
        );
        assert!(Platform::new("linux", "x86_64", None).matches(&"linux/amd64".parse().unwrap()));
        for bad in ["linux", "linux/", "/amd64", "a/b/c/d", "linux/am d64"] {
            assert!(bad.parse::<Platform>().is_err(), "{bad}");
        }
    }
}
