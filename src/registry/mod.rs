//! The OCI distribution protocol, sans I/O.
//!
//! ```text
//! host (CLI: blocking sockets · worker: fetch)
//!   │ implements
//!   ▼
//! Transport ◀── Client ── manifests, blobs, uploads, mounts, tags, catalog
//!                 │
//!                 ├─ auth: WWW-Authenticate challenges, Basic, Bearer tokens per scope
//!                 ├─ error: the spec's error documents, with their codes
//!                 └─ Verifier: every blob checked against the digest that named it
//! ```
//!
//! The core builds requests and reads responses; the host moves the bytes.
//! Nothing here touches a socket or a file, so the same client runs in the
//! CLI and in a Workers runtime.

pub mod auth;
pub mod client;
pub mod error;
pub mod http;

pub use auth::{Challenge, Credential, Scheme, Scope, Token};
pub use client::{
    platforms, select_platform, BlobDownload, Client, Endpoint, FetchedManifest, Page, Upload,
    UploadStart, Verifier, MANIFEST_ACCEPT,
};
pub use error::{ApiError, ApiErrors, RegistryError};
pub use http::{
    Body, Headers, Method, Request, Response, Transport, TransportError, TransportErrorKind,
};
