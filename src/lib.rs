//! layerkit: Docker/OCI image management that runs where images travel —
//! in a web page (wasm), at the edge (a registry mirror on a Workers
//! runtime) and on a build machine (a daemonless CLI).
//!
//! The library is pure: text comes in as `&str`, bytes as readers, and
//! nothing here touches the filesystem or the network. Hosts (the `layerkit`
//! CLI, the npm package, the edge worker) supply those.
//!
//! - [`dockerfile`]: parse Dockerfiles exactly as BuildKit does, with spans,
//!   typed instructions, stages and variable expansion.
//! - [`image`]: read docker-archives, oci-archives and OCI layouts in one
//!   streaming pass; inspect, history, file trees and wasted space;
//!   assemble images from layers, apply `--change` instructions, write
//!   docker-archive and oci-archive streams.
//! - [`lint`]: hadolint's and BuildKit's Dockerfile checks, with fixes.
//! - [`oci`]: digests, media types, manifests, indexes, image configs and
//!   references.
//! - [`registry`]: the OCI distribution protocol over a host-supplied
//!   transport: auth, manifests, blobs, uploads, mirrors.

pub mod dockerfile;
pub mod error;
pub mod image;
pub mod lint;
pub mod oci;
pub mod registry;
pub mod span;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::Error;
pub use span::{Pos, Span};
