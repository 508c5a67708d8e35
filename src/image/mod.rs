//! Images: assembling them from layers, changing their configs, and
//! writing them as archives. Pure: bytes in, bytes out; the hosts (CLI
//! store, npm package) do the I/O.

pub mod assemble;
pub mod layer_builder;
pub mod mutate;
pub mod write;

pub use assemble::{assemble, AssembleError, Assembled, Flavour, Layer};
pub use layer_builder::{EntryKind, TarEntry, TarError, TarScanner, TarSink};
pub use mutate::{apply_changes, MutateError};
pub use write::{
    archive_parts, write_archive, ArchiveFormat, ArchiveImage, BlobSource, Part, WriteError,
};
