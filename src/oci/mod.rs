//! The OCI/Docker object model: digests, media types, descriptors,
//! platforms, manifests, indexes, image configs and image references.
//! Pure data and parsing; no I/O.

pub mod config;
pub mod descriptor;
pub mod digest;
pub mod manifest;
pub mod media_type;
pub mod reference;

pub use config::{ConfigError, ContainerConfig, HealthConfig, History, ImageConfig, RootFs};
pub use descriptor::{Descriptor, Platform, PlatformError};
pub use digest::{Digest, DigestError, ExternalSha256, Hasher, MaybeSend};
pub use manifest::{ImageIndex, ImageManifest, Manifest, ManifestError};
pub use media_type::Compression;
pub use reference::{Reference, ReferenceError};

/// The index annotation that names an image's tag in an OCI layout.
pub const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";
/// The annotation containerd and Docker use for the full image name.
pub const ANNOTATION_IMAGE_NAME: &str = "io.containerd.image.name";
