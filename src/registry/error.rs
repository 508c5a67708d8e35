//! Registry errors, including the distribution spec's error documents:
//!
//! ```json
//! {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown", "detail": {…}}]}
//! ```
//!
//! (<https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes>).
//! Messages name the registry, repository, digest or URL involved, and never
//! a credential or token.

use std::fmt;

use crate::oci::{Digest, ManifestError};

use super::http::TransportError;

/// One entry of a spec error document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct ApiError {
    /// `MANIFEST_UNKNOWN`, `UNAUTHORIZED`, `DENIED`, …
    pub code: String,
    #[serde(default)]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
}

/// Parses an error document; empty when the body is not one.
pub fn parse_api_errors(body: &[u8]) -> Vec<ApiError> {
    #[derive(serde::Deserialize)]
    struct Doc {
        #[serde(default)]
        errors: Vec<ApiError>,
    }
    serde_json::from_slice::<Doc>(body)
        .map(|d| d.errors)
        .unwrap_or_default()
}

/// The spec's error codes, with what to do about them.
fn hint(code: &str) -> Option<&'static str> {
    Some(match code {
        "UNAUTHORIZED" => "log in with `layerkit login`, or check the user's permissions",
        "DENIED" => "the credentials are valid but lack permission for this repository",
        "NAME_UNKNOWN" => "check the repository name",
        "MANIFEST_UNKNOWN" => "check the tag or digest (`layerkit tags REPO` lists the tags)",
        "BLOB_UNKNOWN" => "the registry does not have this blob",
        "TOOMANYREQUESTS" => "the registry is rate-limiting; wait, or log in for a higher limit",
        "UNSUPPORTED" => "the registry does not support this operation (deletion may be disabled)",
        _ => return None,
    })
}

/// A list of spec errors, shown as `CODE: message; CODE: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiErrors(pub Vec<ApiError>);

impl fmt::Display for ApiErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}", e.code)?;
            if !e.message.is_empty() {
                write!(f, ": {}", e.message)?;
            }
        }
        if let Some(h) = self.0.first().and_then(|e| hint(&e.code)) {
            write!(f, " ({h})")?;
        }
        Ok(())
    }
}

/// Why a registry operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// No response: the registry is down, unreachable, or dropped the
    /// connection (after retries).
    #[error("{what}")]
    Transport {
        what: String,
        #[source]
        source: TransportError,
    },
    /// The registry answered with a spec error document.
    #[error("{what}: {errors} [HTTP {status}]")]
    Api {
        what: String,
        status: u16,
        errors: ApiErrors,
    },
    /// The registry answered with an unexpected status and no error
    /// document.
    #[error("{what}: unexpected HTTP {status}{}", if .body.is_empty() { String::new() } else { format!(": {}", .body) })]
    Status {
        what: String,
        status: u16,
        body: String,
    },
    /// Credentials were refused (or needed and missing).
    #[error("{registry}: {reason}")]
    Unauthorized { registry: String, reason: String },
    /// Content did not hash to the digest that named it.
    #[error("{what}: digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        what: String,
        expected: Digest,
        actual: Digest,
    },
    /// Content was not the size its descriptor said.
    #[error("{what}: size mismatch: expected {expected} bytes, got {actual}")]
    SizeMismatch {
        what: String,
        expected: u64,
        actual: u64,
    },
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// An index has no manifest for the requested platform.
    #[error("{reference}: no image for platform {wanted} (the index has: {})", .available.join(", "))]
    NoMatchingPlatform {
        reference: String,
        wanted: String,
        available: Vec<String>,
    },
    /// The registry broke the protocol (a missing header, a bad answer).
    #[error("{what}: {message}")]
    Protocol { what: String, message: String },
}

impl RegistryError {
    /// The spec error codes, if the registry sent any.
    pub fn codes(&self) -> Vec<&str> {
        match self {
            RegistryError::Api { errors, .. } => errors.0.iter().map(|e| e.code.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    /// The HTTP status, if the registry answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            RegistryError::Api { status, .. } | RegistryError::Status { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// Whether the thing asked for does not exist (404, `*_UNKNOWN`).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
            || self
                .codes()
                .iter()
                .any(|c| matches!(*c, "MANIFEST_UNKNOWN" | "NAME_UNKNOWN" | "BLOB_UNKNOWN"))
    }

    /// Whether trying again later may succeed (no connection, a dropped
    /// connection, 5xx, 429).
    pub fn is_transient(&self) -> bool {
        match self {
            RegistryError::Transport { source, .. } => source.is_transient(),
            _ => matches!(self.status(), Some(429 | 500..=599)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_documents_become_errors_with_codes() {
        let errs = parse_api_errors(
            br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"nope"}}]}"#,
        );
        let e = RegistryError::Api {
            what: "GET manifest localhost:5000/x:nope".into(),
            status: 404,
            errors: ApiErrors(errs),
        };
        assert_eq!(e.codes(), vec!["MANIFEST_UNKNOWN"]);
        assert!(e.is_not_found());
        let msg = e.to_string();
        assert!(
            msg.starts_with(
                "GET manifest localhost:5000/x:nope: MANIFEST_UNKNOWN: manifest unknown"
            ),
            "{msg}"
        );
        assert!(parse_api_errors(b"<html>").is_empty());
    }
}
