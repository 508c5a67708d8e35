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
//!
//! A host implements [`Transport`] with four calls. The CLI's is blocking
//! HTTP/1.1 (its futures are ready at once and run under a tiny
//! `block_on`); a worker's maps them onto `fetch`:
//!
//! ```text
//! send(Request)        fetch(url, {method, headers, body, redirect: "follow"})
//!                      → Response { status, headers, body: response.body }
//! read_body(body, n)   read the ReadableStream to its end, refusing more than n bytes
//! sleep(ms)            a Promise around setTimeout (scheduler.wait in Workers)
//! now()                Date.now() / 1000, so bearer tokens are reused until they expire
//! ```
//!
//! Blob bodies stay the host's streams (`Transport::Body`): the worker
//! can tee a registry's response into its cache and its client while a
//! [`Verifier`] hashes the chunks.

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
