//! Images: assembling them from layers, changing their configs, and
//! writing them as archives. Pure: bytes in, bytes out; the hosts (CLI
//! store, npm package) do the I/O.

pub mod compose;
pub mod layer_builder;
pub mod mutate;
pub mod write;

pub use compose::{assemble, AssembleError, Assembled, Flavour};
pub use layer_builder::TarEntry;
pub use mutate::{apply_changes, MutateError};
pub use write::{
    archive_parts, write_archive, ArchiveFormat, ArchiveImage, BlobOpener, Part, WriteError,
};
