//! The crate's error type: one variant per module, each wrapping that
//! module's own error enum.

/// Any error from layerkit.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Dockerfile(#[from] crate::dockerfile::ParseError),
    #[cfg(feature = "image")]
    #[error(transparent)]
    Image(#[from] crate::image::ImageError),
}
