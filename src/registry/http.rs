//! The HTTP vocabulary the protocol core speaks, and the [`Transport`] a host
//! supplies to carry it.
//!
//! The core never opens a socket. It builds [`Request`]s, hands them to a
//! `Transport` and reads the [`Response`]s it gets back. The native CLI's
//! transport is blocking HTTP/1.1 (its futures are ready at once); a Workers
//! runtime's is `fetch` (its futures are JavaScript promises). Bodies are
//! opaque to the core: `Transport::Body` is whatever the host streams
//! (a `Read`, a `ReadableStream`), and the core only asks the transport to
//! read small ones (manifests, tokens, error documents) to the end.

use std::fmt;
use std::future::Future;

/// An HTTP method the distribution API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Header lines in order, names compared without regard to case. `Debug`
/// hides the value of `Authorization`, so a request can be logged.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<(String, String)>);

impl Headers {
    pub fn new() -> Headers {
        Headers(Vec::new())
    }

    /// Adds a line (a header may appear several times).
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push((name.into(), value.into()));
    }

    /// Replaces every line named `name` with one.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.0.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.0.push((name.to_string(), value.into()));
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for (n, v) in &self.0 {
            if n.eq_ignore_ascii_case("authorization") {
                m.entry(n, &"<redacted>");
            } else {
                m.entry(n, v);
            }
        }
        m.finish()
    }
}

/// A request body: nothing, bytes the core made (and can send again after
/// an authentication round trip), or a stream the host supplied (sent once).
pub enum Body<U> {
    Empty,
    Bytes(Vec<u8>),
    /// A host stream and its length when known (sent as `Content-Length`;
    /// otherwise the transport chooses, e.g. chunked encoding).
    Stream(U, Option<u64>),
}

impl<U> Body<U> {
    fn replay(&self) -> Option<Body<U>> {
        match self {
            Body::Empty => Some(Body::Empty),
            Body::Bytes(b) => Some(Body::Bytes(b.clone())),
            Body::Stream(..) => None,
        }
    }

    /// Whether the body can be sent a second time.
    pub fn is_replayable(&self) -> bool {
        !matches!(self, Body::Stream(..))
    }

    /// The length to send as `Content-Length`, when known.
    pub fn len(&self) -> Option<u64> {
        match self {
            Body::Empty => Some(0),
            Body::Bytes(b) => Some(b.len() as u64),
            Body::Stream(_, n) => *n,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }
}

impl<U> fmt::Debug for Body<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Empty => f.write_str("Empty"),
            Body::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            Body::Stream(_, n) => write!(f, "Stream({n:?})"),
        }
    }
}

/// One request for the transport to send.
#[derive(Debug)]
pub struct Request<U> {
    pub method: Method,
    /// An absolute `http://` or `https://` URL.
    pub url: String,
    pub headers: Headers,
    pub body: Body<U>,
}

impl<U> Request<U> {
    pub fn new(method: Method, url: impl Into<String>) -> Request<U> {
        Request {
            method,
            url: url.into(),
            headers: Headers::new(),
            body: Body::Empty,
        }
    }

    /// A copy to send again, if the body allows it.
    pub fn try_clone(&self) -> Option<Request<U>> {
        Some(Request {
            method: self.method,
            url: self.url.clone(),
            headers: self.headers.clone(),
            body: self.body.replay()?,
        })
    }
}

/// What came back. The transport follows redirects itself (and drops
/// `Authorization` when a redirect leaves the registry's host, as blob
/// storage redirects need).
#[derive(Debug)]
pub struct Response<B> {
    pub status: u16,
    pub headers: Headers,
    pub body: B,
}

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    pub kind: TransportErrorKind,
    /// What the host's HTTP stack said; never contains credentials.
    pub message: String,
}

/// The kinds of transport failure the client reacts to differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection: refused, unreachable, DNS. Retried.
    Connect,
    /// The TLS handshake failed: an untrusted certificate, or a plain-HTTP
    /// server on the other end. Not retried; an insecure registry falls back
    /// to plain HTTP on it.
    Tls,
    /// The connection dropped or stalled mid-exchange. Retried.
    Interrupted,
    /// Anything else (a malformed URL, a body the host could not read).
    Other,
}

impl TransportError {
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> TransportError {
        TransportError {
            kind,
            message: message.into(),
        }
    }

    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind,
            TransportErrorKind::Connect | TransportErrorKind::Interrupted
        )
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TransportError {}

/// Carries requests for the client. Implemented by each host: blocking
/// sockets natively, `fetch` in a worker or a browser.
///
/// The futures need not be `Send`: a JavaScript promise is not. A native
/// host that wants parallel transfers runs one client call per thread.
pub trait Transport {
    /// A response body as the host streams it.
    type Body;
    /// A request body the host streams (an upload).
    type Upload;

    /// Sends one request and returns the response, whatever its status.
    fn send(
        &self,
        request: Request<Self::Upload>,
    ) -> impl Future<Output = Result<Response<Self::Body>, TransportError>>;

    /// Reads a body to its end, failing once it passes `limit` bytes.
    fn read_body(
        &self,
        body: Self::Body,
        limit: u64,
    ) -> impl Future<Output = Result<Vec<u8>, TransportError>>;

    /// Waits `millis` milliseconds (between retries).
    fn sleep(&self, millis: u64) -> impl Future<Output = ()>;

    /// Seconds since the Unix epoch, if the host has a clock; tokens are
    /// then reused until they expire rather than until the registry
    /// refuses them.
    fn now(&self) -> Option<u64> {
        None
    }
}

/// `%`-encodes everything but RFC 3986's unreserved characters, for a query
/// value.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes and `+` (a query value).
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Resolves a `Location` header (absolute, or a path on the same host)
/// against the URL of the request that returned it.
pub fn resolve_location(base: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        return location.to_string();
    }
    let origin_end = base
        .find("://")
        .and_then(|i| base[i + 3..].find('/').map(|j| i + 3 + j))
        .unwrap_or(base.len());
    if location.starts_with('/') {
        format!("{}{location}", &base[..origin_end])
    } else {
        let dir_end = base
            .rfind('/')
            .filter(|i| *i >= origin_end)
            .unwrap_or(origin_end);
        format!("{}/{location}", &base[..dir_end])
    }
}

/// Appends `key=value` (value encoded) to a URL's query.
pub fn with_query(url: &str, key: &str, value: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{key}={}", percent_encode(value))
}

/// The standard base64 alphabet, padded (HTTP Basic, docker's config.json).
pub fn base64_encode(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        out.push(A[(n >> 18) as usize & 63] as char);
        out.push(A[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 {
            A[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if c.len() > 2 {
            A[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

/// Decodes standard or URL-safe base64, padded or not; `None` if malformed.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    };
    let s = s.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        acc = acc << 6 | val(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if bits >= 6 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_case_insensitive_and_hide_authorization() {
        let mut h = Headers::new();
        h.push("Content-Type", "a");
        h.push("authorization", "Basic c2VjcmV0");
        h.set("content-type", "b");
        assert_eq!(h.get("CONTENT-TYPE"), Some("b"));
        let dbg = format!("{h:?}");
        assert!(!dbg.contains("c2VjcmV0"), "{dbg}");
    }

    #[test]
    fn resolves_locations() {
        let base = "https://r.example:5000/v2/a/b/blobs/uploads/";
        assert_eq!(
            resolve_location(base, "/v2/a/b/blobs/uploads/x?_state=1"),
            "https://r.example:5000/v2/a/b/blobs/uploads/x?_state=1"
        );
        assert_eq!(resolve_location(base, "http://other/x"), "http://other/x");
    }

    #[test]
    fn base64_round_trips() {
        for s in ["", "a", "ab", "abc", "user:pa ss:wörd"] {
            assert_eq!(
                base64_decode(&base64_encode(s.as_bytes())).unwrap(),
                s.as_bytes()
            );
        }
        assert_eq!(base64_encode(b"user:pass"), "dXNlcjpwYXNz");
        assert!(base64_decode("a").is_none());
        assert!(base64_decode("!!!!").is_none());
    }

    #[test]
    fn percent_codes() {
        assert_eq!(
            percent_encode("repository:a/b:pull,push"),
            "repository%3Aa%2Fb%3Apull%2Cpush"
        );
        assert_eq!(percent_decode("a%2Fb+c"), "a/b c");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
