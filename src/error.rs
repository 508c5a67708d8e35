//! The crate's error type: one variant per module, each wrapping that
//! module's own error enum.

/// Any error from layerkit.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Dockerfile(#[from] crate::dockerfile::ParseError),
    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryError),
    #[cfg(feature = "image")]
    #[error(transparent)]
    Image(#[from] crate::image::ImageError),
    #[cfg(feature = "image")]
    #[error(transparent)]
    Assemble(#[from] crate::image::AssembleError),
    #[cfg(feature = "image")]
    #[error(transparent)]
    Mutate(#[from] crate::image::MutateError),
    #[cfg(feature = "image")]
    #[error(transparent)]
    Write(#[from] crate::image::WriteError),
}
