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
    #[error(transparent)]
    Image(#[from] crate::image::ImageError),
    #[error(transparent)]
    Assemble(#[from] crate::image::AssembleError),
    #[error(transparent)]
    Mutate(#[from] crate::image::MutateError),
    #[error(transparent)]
    Write(#[from] crate::image::WriteError),
}
