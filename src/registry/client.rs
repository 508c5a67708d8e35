//! A registry client over a [`Transport`]: the distribution spec's
//! endpoints, with authentication, retries, mirrors and plain-HTTP fallback.
//!
//! ```text
//! GET    /v2/                                   ping, and where auth starts
//! GET    /v2/<name>/manifests/<tag|digest>      manifest (HEAD: digest only)
//! PUT    /v2/<name>/manifests/<tag|digest>      push a manifest
//! DELETE /v2/<name>/manifests/<digest>
//! GET    /v2/<name>/blobs/<digest>              blob (Range: bytes=N- to resume)
//! HEAD   /v2/<name>/blobs/<digest>              exists?
//! POST   /v2/<name>/blobs/uploads/[?mount=<digest>&from=<other>]
//!          201: mounted · 202: session, Location: <upload url>
//! PATCH  <upload url>   Content-Range: <start>-<end>   a chunk (202, new Location)
//! PUT    <upload url>?digest=<digest>                  finish (201)
//! GET    /v2/_catalog?n=&last=    GET /v2/<name>/tags/list?n=&last=   (Link: rel="next")
//! ```
//!
//! Spec: <https://github.com/opencontainers/distribution-spec/blob/main/spec.md>.
//!
//! Reads go to each [`Endpoint`] in turn (mirrors first, the registry last)
//! until one answers; writes go to the registry itself. Requests whose body
//! can be sent again are retried with backoff on dropped connections, 5xx
//! and 429; streamed uploads are retried by the caller, which knows how to
//! rewind its stream.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::oci::digest::Algorithm;
use crate::oci::media_type as mt;
use crate::oci::{Descriptor, Digest, Hasher, ImageIndex, Manifest, Platform};

use super::auth::{self, Challenge, Credential, Scheme, Scope, Token};
use super::error::{parse_api_errors, ApiErrors, RegistryError};
use super::http::{
    percent_decode, resolve_location, with_query, Body, Headers, Method, Request, Response,
    Transport, TransportErrorKind,
};

/// What the client accepts for a manifest, best first. Schema 1 is left out
/// on purpose: registries then convert or refuse, and a schema 1 answer is
/// refused clearly by [`Manifest::parse`].
pub const MANIFEST_ACCEPT: &[&str] = &[
    mt::OCI_INDEX,
    mt::DOCKER_MANIFEST_LIST,
    mt::OCI_MANIFEST,
    mt::DOCKER_MANIFEST,
];

/// The largest manifest read (distribution's own limit is 4 MiB).
pub const MANIFEST_LIMIT: u64 = 4 << 20;
const SMALL_LIMIT: u64 = 1 << 20;
const ERROR_LIMIT: u64 = 64 << 10;

/// Attempts for a request that can be replayed, and the first backoff.
const ATTEMPTS: u32 = 5;
const BACKOFF_MS: u64 = 250;

/// Where the client talks to: a mirror or the registry itself.
#[derive(Clone)]
pub struct Endpoint {
    /// `https://host[:port]` or `http://…`, no trailing slash.
    pub base: String,
    /// A mirror: used for reads only, skipped on any failure.
    pub mirror: bool,
    /// May fall back to plain HTTP when TLS fails (an insecure registry).
    pub http_fallback: bool,
    /// What to log in with here, if anything.
    pub credential: Option<Credential>,
}

impl Endpoint {
    /// The registry itself at `base`.
    pub fn registry(base: impl Into<String>) -> Endpoint {
        Endpoint {
            base: base.into().trim_end_matches('/').to_string(),
            mirror: false,
            http_fallback: false,
            credential: None,
        }
    }

    /// A pull-through mirror at `base`.
    pub fn mirror(base: impl Into<String>) -> Endpoint {
        Endpoint {
            mirror: true,
            ..Endpoint::registry(base)
        }
    }
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("base", &self.base)
            .field("mirror", &self.mirror)
            .field("http_fallback", &self.http_fallback)
            .field(
                "credential",
                &self.credential.as_ref().map(|c| c.username()),
            )
            .finish()
    }
}

/// Per-endpoint authentication learned from challenges.
#[derive(Default)]
struct AuthState {
    /// The endpoint answered with a Basic challenge.
    basic: bool,
    /// The last Bearer challenge, to get tokens for new scopes up front.
    bearer: Option<Challenge>,
    /// Tokens by the scopes they were asked for.
    tokens: HashMap<String, Token>,
}

struct EndpointState {
    endpoint: Endpoint,
    /// The base in use: `endpoint.base`, or its `http://` form after a
    /// fallback.
    base: String,
    auth: AuthState,
    /// A mirror that could not be reached: skipped from then on.
    down: bool,
}

/// A manifest as a registry served it.
#[derive(Debug, Clone)]
pub struct FetchedManifest {
    /// The exact bytes (the digest is over these).
    pub bytes: Vec<u8>,
    pub media_type: String,
    pub digest: Digest,
    pub manifest: Manifest,
}

impl FetchedManifest {
    /// A descriptor for these bytes.
    pub fn descriptor(&self) -> Descriptor {
        Descriptor::new(
            self.media_type.clone(),
            self.digest.clone(),
            self.bytes.len() as u64,
        )
    }
}

/// A blob download under way.
pub struct BlobDownload<B> {
    pub body: B,
    /// Where the body starts: the offset asked for when the registry
    /// honoured the range, else 0.
    pub offset: u64,
    /// The blob's full size, when the registry said.
    pub total: Option<u64>,
}

/// An upload session.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The URL of the session (changes after each chunk).
    pub location: String,
    /// Bytes the registry has.
    pub offset: u64,
}

/// How an upload started.
#[derive(Debug)]
pub enum UploadStart {
    /// The blob was mounted from another repository: nothing to send.
    Mounted,
    Session(Upload),
}

/// One page of a listing and where the next starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub items: Vec<String>,
    /// The `last` value for the next page, when the registry says there is one.
    pub next: Option<String>,
}

/// A client for one registry.
pub struct Client<T: Transport> {
    transport: T,
    registry: String,
    user_agent: String,
    endpoints: Vec<Mutex<EndpointState>>,
}

fn lock<S>(m: &Mutex<S>) -> std::sync::MutexGuard<'_, S> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn scope_key(scopes: &[Scope]) -> String {
    let mut v: Vec<String> = scopes.iter().map(Scope::to_string).collect();
    v.sort();
    v.join(" ")
}

fn clip(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(body);
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    s.trim().to_string()
}

impl<T: Transport> Client<T> {
    /// A client for `registry` (as references name it: `docker.io`,
    /// `localhost:5000`) reached through `endpoints`, mirrors first. The
    /// last endpoint that is not a mirror takes writes.
    pub fn new(transport: T, registry: impl Into<String>, endpoints: Vec<Endpoint>) -> Client<T> {
        Client {
            transport,
            registry: registry.into(),
            user_agent: concat!("layerkit/", env!("CARGO_PKG_VERSION")).to_string(),
            endpoints: endpoints
                .into_iter()
                .map(|e| {
                    Mutex::new(EndpointState {
                        base: e.base.clone(),
                        endpoint: e,
                        auth: AuthState::default(),
                        down: false,
                    })
                })
                .collect(),
        }
    }

    /// Forgets the mirrors: every request goes to the registry itself.
    pub fn drop_mirrors(&mut self) {
        self.endpoints.retain(|e| !lock(e).endpoint.mirror);
    }

    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The registry's name.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The base URL in use for the registry itself (after any fallback).
    pub fn base(&self) -> String {
        self.origin()
            .map(|i| lock(&self.endpoints[i]).base.clone())
            .unwrap_or_default()
    }

    fn origin(&self) -> Option<usize> {
        (0..self.endpoints.len())
            .rev()
            .find(|i| !lock(&self.endpoints[*i]).endpoint.mirror)
    }

    fn origin_or_err(&self) -> Result<usize, RegistryError> {
        self.origin().ok_or_else(|| RegistryError::Protocol {
            what: self.registry.clone(),
            message: "no registry endpoint configured (only mirrors)".into(),
        })
    }

    /// Endpoints to read from, in order (mirrors found down are skipped).
    fn readers(&self) -> Vec<usize> {
        (0..self.endpoints.len())
            .filter(|i| !lock(&self.endpoints[*i]).down)
            .collect()
    }

    fn authorization(&self, ep: usize, scopes: &[Scope]) -> Option<String> {
        let st = lock(&self.endpoints[ep]);
        if st.auth.basic {
            return st
                .endpoint
                .credential
                .as_ref()
                .and_then(Credential::basic_header);
        }
        let now = self.transport.now();
        let t = st.auth.tokens.get(&scope_key(scopes))?;
        match (t.expires_at, now) {
            (Some(exp), Some(now)) if now >= exp => None,
            _ => Some(format!("Bearer {}", t.token)),
        }
    }

    /// Sends one API request to endpoint `ep`: `target` is a path under
    /// the endpoint's base or an absolute URL (an upload location).
    #[allow(clippy::too_many_arguments)]
    async fn call(
        &self,
        ep: usize,
        method: Method,
        target: &str,
        headers: Headers,
        body: Body<T::Upload>,
        scopes: &[Scope],
        what: &str,
    ) -> Result<Response<T::Body>, RegistryError> {
        let absolute = target.starts_with("http://") || target.starts_with("https://");
        let mut body = Some(body);
        let mut authenticated = false;
        let mut attempt = 0u32;
        loop {
            let (base, fallback, mirror) = {
                let st = lock(&self.endpoints[ep]);
                (
                    st.base.clone(),
                    st.endpoint.http_fallback,
                    st.endpoint.mirror,
                )
            };
            // A mirror gets one try: the registry itself is the fallback.
            let attempts = if mirror { 1 } else { ATTEMPTS };
            let url = if absolute {
                target.to_string()
            } else {
                format!("{base}{target}")
            };
            let mut req: Request<T::Upload> = Request::new(method, url.clone());
            req.headers = headers.clone();
            req.headers.set("User-Agent", self.user_agent.clone());
            if let Some(a) = self.authorization(ep, scopes) {
                req.headers.set("Authorization", a);
            }
            let Some(b) = body.take() else {
                return Err(RegistryError::Protocol {
                    what: what.to_string(),
                    message: "a streamed request body cannot be sent twice".into(),
                });
            };
            req.body = b;
            let replay = req.try_clone();
            let replayable = replay.is_some();
            body = replay.map(|r| r.body);
            attempt += 1;
            let resp = match self.transport.send(req).await {
                Ok(r) => r,
                Err(e) => {
                    if e.kind == TransportErrorKind::Tls
                        && fallback
                        && url.starts_with("https://")
                        && replayable
                    {
                        let mut st = lock(&self.endpoints[ep]);
                        if st.base.starts_with("https://") {
                            st.base = format!("http://{}", &st.base["https://".len()..]);
                        }
                        attempt -= 1;
                        if !absolute {
                            continue;
                        }
                    }
                    if e.is_transient() && replayable && attempt < attempts {
                        self.backoff(attempt).await;
                        continue;
                    }
                    if mirror {
                        lock(&self.endpoints[ep]).down = true;
                    }
                    return Err(RegistryError::Transport {
                        what: format!("{what} ({method} {url})"),
                        source: e,
                    });
                }
            };
            match resp.status {
                401 if !authenticated => {
                    authenticated = true;
                    let challenges: Vec<Challenge> = resp
                        .headers
                        .get_all("www-authenticate")
                        .flat_map(auth::parse_challenges)
                        .collect();
                    self.discard(resp.body).await;
                    self.authenticate(ep, &challenges, scopes).await?;
                    if !replayable {
                        return Err(RegistryError::Unauthorized {
                            registry: self.registry.clone(),
                            reason: format!("{what}: the registry asked for credentials in the middle of an upload; try again"),
                        });
                    }
                    attempt -= 1;
                    continue;
                }
                401 => {
                    self.discard(resp.body).await;
                    return Err(self.refused(ep));
                }
                429 | 500..=599 if replayable && attempt < attempts => {
                    self.discard(resp.body).await;
                    self.backoff(attempt).await;
                    continue;
                }
                _ => return Ok(resp),
            }
        }
    }

    async fn backoff(&self, attempt: u32) {
        self.transport
            .sleep(BACKOFF_MS << (attempt.saturating_sub(1)).min(5))
            .await;
    }

    fn refused(&self, ep: usize) -> RegistryError {
        let st = lock(&self.endpoints[ep]);
        let reason = match st.endpoint.credential.as_ref() {
            Some(c) => match c.username() {
                Some(u) => format!("the registry refused the credentials of user {u:?}: check the user name and password, then `layerkit login {}`", self.registry),
                None => format!("the registry refused the stored identity token: `layerkit login {}` again", self.registry),
            },
            None => format!("authentication required: run `layerkit login {}`", self.registry),
        };
        RegistryError::Unauthorized {
            registry: self.registry.clone(),
            reason,
        }
    }

    /// Answers challenges: remembers Basic, or fetches a Bearer token for
    /// `scopes`.
    async fn authenticate(
        &self,
        ep: usize,
        challenges: &[Challenge],
        scopes: &[Scope],
    ) -> Result<(), RegistryError> {
        let credential = lock(&self.endpoints[ep]).endpoint.credential.clone();
        if let Some(c) = challenges
            .iter()
            .find(|c| c.scheme == Scheme::Bearer && c.param("realm").is_some())
        {
            lock(&self.endpoints[ep]).auth.bearer = Some(c.clone());
            let token = self.fetch_token(ep, c, scopes, credential.as_ref()).await?;
            lock(&self.endpoints[ep])
                .auth
                .tokens
                .insert(scope_key(scopes), token);
            return Ok(());
        }
        if challenges.iter().any(|c| c.scheme == Scheme::Basic) {
            if matches!(credential, Some(Credential::Basic { .. })) {
                lock(&self.endpoints[ep]).auth.basic = true;
                return Ok(());
            }
            return Err(self.refused(ep));
        }
        Err(RegistryError::Unauthorized {
            registry: self.registry.clone(),
            reason: if challenges.is_empty() {
                "the registry answered 401 without a WWW-Authenticate challenge".into()
            } else {
                "the registry asks for an authentication scheme layerkit does not support".into()
            },
        })
    }

    async fn fetch_token(
        &self,
        ep: usize,
        challenge: &Challenge,
        scopes: &[Scope],
        credential: Option<&Credential>,
    ) -> Result<Token, RegistryError> {
        let Some(tr) = auth::token_request(challenge, scopes, credential) else {
            return Err(RegistryError::Protocol {
                what: self.registry.clone(),
                message: "Bearer challenge without a realm".into(),
            });
        };
        let realm = challenge.param("realm").unwrap_or_default().to_string();
        let what = format!("getting a token from {realm}");
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req: Request<T::Upload> = Request::new(
                if tr.form.is_some() {
                    Method::Post
                } else {
                    Method::Get
                },
                tr.url.clone(),
            );
            req.headers.set("User-Agent", self.user_agent.clone());
            if let Some(a) = &tr.authorization {
                req.headers.set("Authorization", a.clone());
            }
            if let Some(f) = &tr.form {
                req.headers
                    .set("Content-Type", "application/x-www-form-urlencoded");
                req.body = Body::Bytes(f.clone().into_bytes());
            }
            let resp = match self.transport.send(req).await {
                Ok(r) => r,
                Err(e) if e.is_transient() && attempt < ATTEMPTS => {
                    self.backoff(attempt).await;
                    continue;
                }
                Err(e) => return Err(RegistryError::Transport { what, source: e }),
            };
            let status = resp.status;
            let body = self.read(resp.body, SMALL_LIMIT, &what).await?;
            match status {
                200 => {
                    return auth::parse_token_response(&body, self.transport.now()).ok_or_else(
                        || RegistryError::Protocol {
                            what,
                            message: "the token server's answer has no token".into(),
                        },
                    )
                }
                401 | 403 => return Err(self.refused(ep)),
                429 | 500..=599 if attempt < ATTEMPTS => self.backoff(attempt).await,
                _ => return Err(api_error(what, status, &body)),
            }
        }
    }

    /// Reads a body whole, failing past `limit` bytes; a transport failure
    /// names `what`.
    async fn read(&self, body: T::Body, limit: u64, what: &str) -> Result<Vec<u8>, RegistryError> {
        self.transport
            .read_body(body, limit)
            .await
            .map_err(|e| RegistryError::Transport {
                what: what.to_string(),
                source: e,
            })
    }

    /// Reads and drops a body whose content does not matter: the answer
    /// was decided by its status and headers.
    async fn discard(&self, body: T::Body) {
        let _ = self.transport.read_body(body, ERROR_LIMIT).await;
    }

    /// Turns a failed response into an error, reading its document.
    async fn fail(&self, resp: Response<T::Body>, what: &str) -> RegistryError {
        let body = self
            .transport
            .read_body(resp.body, ERROR_LIMIT)
            .await
            .unwrap_or_default();
        api_error(what.to_string(), resp.status, &body)
    }

    /// Runs `op` against each read endpoint in turn until one succeeds.
    /// A mirror's failure is skipped; the registry's is returned.
    async fn on_readers<R, F, Fut>(&self, mut op: F) -> Result<R, RegistryError>
    where
        F: FnMut(usize) -> Fut,
        Fut: std::future::Future<Output = Result<R, RegistryError>>,
    {
        let eps = self.readers();
        let mut last = None;
        for ep in eps {
            match op(ep).await {
                Ok(r) => return Ok(r),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| RegistryError::Protocol {
            what: self.registry.clone(),
            message: "no endpoint configured".into(),
        }))
    }

    /// `GET /v2/`: checks that the registry speaks the API and that the
    /// credentials (if any) are accepted. This is what `login` verifies.
    pub async fn ping(&self) -> Result<(), RegistryError> {
        let ep = self.origin_or_err()?;
        let what = format!("checking {}", self.registry);
        let resp = self
            .call(
                ep,
                Method::Get,
                "/v2/",
                Headers::new(),
                Body::Empty,
                &[],
                &what,
            )
            .await?;
        let status = resp.status;
        if status == 200 {
            self.discard(resp.body).await;
            Ok(())
        } else {
            Err(self.fail(resp, &what).await)
        }
    }

    /// Fetches a manifest by tag or digest, checking its digest.
    pub async fn manifest(
        &self,
        repository: &str,
        reference: &str,
    ) -> Result<FetchedManifest, RegistryError> {
        self.on_readers(|ep| self.manifest_at(ep, repository, reference))
            .await
    }

    async fn manifest_at(
        &self,
        ep: usize,
        repository: &str,
        reference: &str,
    ) -> Result<FetchedManifest, RegistryError> {
        let what = format!("manifest {}", self.image_name(repository, reference));
        let resp = self
            .manifest_request(ep, Method::Get, repository, reference, &what)
            .await?;
        if resp.status != 200 {
            return Err(self.fail(resp, &what).await);
        }
        let content_type = resp
            .headers
            .get("content-type")
            .map(essence)
            .filter(|c| !c.is_empty());
        let header_digest = content_digest(&resp.headers);
        let bytes = self.read(resp.body, MANIFEST_LIMIT, &what).await?;
        let wanted: Option<Digest> = reference.parse().ok();
        let algorithm = wanted.as_ref().map_or(Algorithm::Sha256, |d| d.algorithm());
        let mut hasher = Hasher::new(algorithm);
        hasher.update(&bytes);
        let digest = hasher.finish();
        for expected in wanted.iter().chain(header_digest.iter()) {
            if expected.algorithm() == digest.algorithm() && *expected != digest {
                return Err(RegistryError::DigestMismatch {
                    what,
                    expected: expected.clone(),
                    actual: digest,
                });
            }
        }
        let manifest = Manifest::parse(&bytes, content_type.as_deref(), &what)?;
        let media_type = match &manifest {
            Manifest::Image(m) => m.media_type.clone(),
            Manifest::Index(i) => i.media_type.clone(),
        }
        .or(content_type.filter(|c| mt::kind(c) != mt::Kind::Other))
        .unwrap_or_else(|| manifest.media_type().to_string());
        Ok(FetchedManifest {
            bytes,
            media_type,
            digest,
            manifest,
        })
    }

    /// `registry/repository:tag` or `registry/repository@digest`, for
    /// messages.
    fn image_name(&self, repository: &str, reference: &str) -> String {
        format!("{}/{repository}:{reference}", self.registry).replace(":sha256:", "@sha256:")
    }

    /// `GET` or `HEAD` a manifest at endpoint `ep`, accepting every
    /// manifest type the client reads.
    async fn manifest_request(
        &self,
        ep: usize,
        method: Method,
        repository: &str,
        reference: &str,
        what: &str,
    ) -> Result<Response<T::Body>, RegistryError> {
        let mut h = Headers::new();
        h.set("Accept", MANIFEST_ACCEPT.join(", "));
        self.call(
            ep,
            method,
            &format!("/v2/{repository}/manifests/{reference}"),
            h,
            Body::Empty,
            &[Scope::pull(repository)],
            what,
        )
        .await
    }

    /// `HEAD` a manifest: its descriptor, without its body. Falls back to a
    /// GET when the registry does not send `Docker-Content-Digest`.
    pub async fn manifest_descriptor(
        &self,
        repository: &str,
        reference: &str,
    ) -> Result<Descriptor, RegistryError> {
        self.on_readers(|ep| async move {
            let what = format!("manifest {}", self.image_name(repository, reference));
            let resp = self
                .manifest_request(ep, Method::Head, repository, reference, &what)
                .await?;
            let status = resp.status;
            let digest = content_digest(&resp.headers);
            let size = content_length(&resp.headers);
            let media_type = resp.headers.get("content-type").map(essence);
            self.discard(resp.body).await;
            match (status, digest, size, media_type) {
                (200, Some(d), Some(s), Some(m)) if !m.is_empty() => Ok(Descriptor::new(m, d, s)),
                (200, ..) => Ok(self
                    .manifest_at(ep, repository, reference)
                    .await?
                    .descriptor()),
                (status, ..) => Err(api_error(what, status, b"")),
            }
        })
        .await
    }

    /// Pushes a manifest under a tag or its digest; returns its digest.
    pub async fn put_manifest(
        &self,
        repository: &str,
        reference: &str,
        bytes: &[u8],
        media_type: &str,
    ) -> Result<Digest, RegistryError> {
        let ep = self.origin_or_err()?;
        let what = format!(
            "pushing manifest {}",
            self.image_name(repository, reference)
        );
        let mut h = Headers::new();
        h.set("Content-Type", media_type);
        let resp = self
            .call(
                ep,
                Method::Put,
                &format!("/v2/{repository}/manifests/{reference}"),
                h,
                Body::Bytes(bytes.to_vec()),
                &[Scope::push(repository)],
                &what,
            )
            .await?;
        if resp.status != 201 && resp.status != 200 && resp.status != 202 {
            return Err(self.fail(resp, &what).await);
        }
        let digest = Digest::sha256(bytes);
        self.discard(resp.body).await;
        Ok(digest)
    }

    /// Deletes a manifest by digest (registries delete by digest only;
    /// every tag on it goes with it).
    pub async fn delete_manifest(
        &self,
        repository: &str,
        digest: &Digest,
    ) -> Result<(), RegistryError> {
        let ep = self.origin_or_err()?;
        let what = format!("deleting {}/{repository}@{digest}", self.registry);
        let resp = self
            .call(
                ep,
                Method::Delete,
                &format!("/v2/{repository}/manifests/{digest}"),
                Headers::new(),
                Body::Empty,
                &[Scope::delete(repository)],
                &what,
            )
            .await?;
        if !(200..300).contains(&resp.status) {
            return Err(self.fail(resp, &what).await);
        }
        self.discard(resp.body).await;
        Ok(())
    }

    /// `HEAD` a blob in the registry itself: its size when it is there.
    /// `scopes` lets a push ask for push rights up front.
    pub async fn blob_size(
        &self,
        repository: &str,
        digest: &Digest,
        push: bool,
    ) -> Result<Option<u64>, RegistryError> {
        let ep = self.origin_or_err()?;
        let what = format!("checking blob {digest} in {}/{repository}", self.registry);
        let scope = if push {
            Scope::push(repository)
        } else {
            Scope::pull(repository)
        };
        let resp = self
            .call(
                ep,
                Method::Head,
                &format!("/v2/{repository}/blobs/{digest}"),
                Headers::new(),
                Body::Empty,
                &[scope],
                &what,
            )
            .await?;
        let status = resp.status;
        let size = content_length(&resp.headers);
        self.discard(resp.body).await;
        match status {
            200 => Ok(Some(size.unwrap_or(0))),
            404 => Ok(None),
            s => Err(api_error(what, s, b"")),
        }
    }

    /// Starts downloading a blob from byte `offset` (resuming an earlier
    /// download); tries mirrors first. The caller streams `body` and checks
    /// it with a [`Verifier`].
    pub async fn blob(
        &self,
        repository: &str,
        digest: &Digest,
        offset: u64,
    ) -> Result<BlobDownload<T::Body>, RegistryError> {
        self.on_readers(|ep| async move {
            let what = format!("blob {digest} of {}/{repository}", self.registry);
            let mut h = Headers::new();
            if offset > 0 {
                h.set("Range", format!("bytes={offset}-"));
            }
            let resp = self
                .call(
                    ep,
                    Method::Get,
                    &format!("/v2/{repository}/blobs/{digest}"),
                    h,
                    Body::Empty,
                    &[Scope::pull(repository)],
                    &what,
                )
                .await?;
            let length = content_length(&resp.headers);
            match resp.status {
                200 => Ok(BlobDownload {
                    body: resp.body,
                    offset: 0,
                    total: length,
                }),
                206 => {
                    // Content-Range: bytes <start>-<end>/<total>
                    let range = resp.headers.get("content-range").unwrap_or("");
                    let (start, total) = parse_content_range(range);
                    if start != Some(offset) {
                        self.discard(resp.body).await;
                        return Err(RegistryError::Protocol {
                            what,
                            message: format!(
                                "asked for bytes from {offset}, the registry sent {range:?}"
                            ),
                        });
                    }
                    Ok(BlobDownload {
                        body: resp.body,
                        offset,
                        total: total.or(length.map(|l| l + offset)),
                    })
                }
                _ => Err(self.fail(resp, &what).await),
            }
        })
        .await
    }

    /// Downloads a small blob (a config) whole, checking digest and size.
    pub async fn blob_bytes(
        &self,
        repository: &str,
        descriptor: &Descriptor,
    ) -> Result<Vec<u8>, RegistryError> {
        let d = self.blob(repository, &descriptor.digest, 0).await?;
        let what = format!(
            "blob {} of {}/{repository}",
            descriptor.digest, self.registry
        );
        let bytes = self
            .read(d.body, descriptor.size.max(SMALL_LIMIT), &what)
            .await?;
        let mut v = Verifier::new(what, descriptor.digest.clone(), Some(descriptor.size));
        v.update(&bytes);
        v.finish()?;
        Ok(bytes)
    }

    /// Opens an upload session, or mounts `mount = (digest, from_repo)`
    /// from another repository of this registry when it allows.
    pub async fn start_upload(
        &self,
        repository: &str,
        mount: Option<(&Digest, &str)>,
    ) -> Result<UploadStart, RegistryError> {
        let ep = self.origin_or_err()?;
        let what = format!("starting an upload to {}/{repository}", self.registry);
        let mut path = format!("/v2/{repository}/blobs/uploads/");
        let mut scopes = vec![Scope::push(repository)];
        if let Some((digest, from)) = mount {
            path = with_query(&path, "mount", &digest.to_string());
            path = with_query(&path, "from", from);
            scopes.push(Scope::pull(from));
        }
        let resp = self
            .call(
                ep,
                Method::Post,
                &path,
                Headers::new(),
                Body::Empty,
                &scopes,
                &what,
            )
            .await?;
        // Later calls on the session carry the same token.
        self.share_token(ep, &scopes, &[Scope::push(repository)]);
        match resp.status {
            201 if mount.is_some() => {
                self.discard(resp.body).await;
                Ok(UploadStart::Mounted)
            }
            202 => {
                let base = self.base_of(ep);
                let location = resp
                    .headers
                    .get("location")
                    .map(|l| resolve_location(&format!("{base}{path}"), l));
                self.discard(resp.body).await;
                match location {
                    Some(location) => Ok(UploadStart::Session(Upload {
                        location,
                        offset: 0,
                    })),
                    None => Err(RegistryError::Protocol {
                        what,
                        message: "202 without a Location header".into(),
                    }),
                }
            }
            _ => Err(self.fail(resp, &what).await),
        }
    }

    fn base_of(&self, ep: usize) -> String {
        lock(&self.endpoints[ep]).base.clone()
    }

    fn share_token(&self, ep: usize, from: &[Scope], to: &[Scope]) {
        let mut st = lock(&self.endpoints[ep]);
        if let Some(t) = st.auth.tokens.get(&scope_key(from)).cloned() {
            st.auth.tokens.entry(scope_key(to)).or_insert(t);
        }
    }

    /// Sends one chunk (`length` bytes) of an upload with `PATCH`.
    pub async fn upload_chunk(
        &self,
        repository: &str,
        upload: &mut Upload,
        chunk: T::Upload,
        length: u64,
    ) -> Result<(), RegistryError> {
        let ep = self.origin_or_err()?;
        let what = format!("uploading to {}/{repository}", self.registry);
        let mut h = Headers::new();
        h.set("Content-Type", "application/octet-stream");
        if length > 0 {
            h.set(
                "Content-Range",
                format!("{}-{}", upload.offset, upload.offset + length - 1),
            );
        }
        let resp = self
            .call(
                ep,
                Method::Patch,
                &upload.location.clone(),
                h,
                Body::Stream(chunk, Some(length)),
                &[Scope::push(repository)],
                &what,
            )
            .await?;
        if resp.status != 202 {
            return Err(self.fail(resp, &what).await);
        }
        self.advance(upload, &resp.headers, upload.offset + length);
        self.discard(resp.body).await;
        Ok(())
    }

    fn advance(&self, upload: &mut Upload, headers: &Headers, fallback: u64) {
        if let Some(l) = headers.get("location") {
            upload.location = resolve_location(&upload.location, l);
        }
        upload.offset = headers
            .get("range")
            .and_then(|r| r.trim().trim_start_matches("bytes=").split_once('-'))
            .and_then(|(_, end)| end.trim().parse::<u64>().ok())
            .map_or(fallback, |end| end + 1);
    }

    /// Asks the registry how much of an upload it has.
    pub async fn upload_status(
        &self,
        repository: &str,
        upload: &mut Upload,
    ) -> Result<(), RegistryError> {
        let ep = self.origin_or_err()?;
        let what = format!("checking an upload to {}/{repository}", self.registry);
        let resp = self
            .call(
                ep,
                Method::Get,
                &upload.location.clone(),
                Headers::new(),
                Body::Empty,
                &[Scope::push(repository)],
                &what,
            )
            .await?;
        if resp.status != 204 && resp.status != 200 {
            return Err(self.fail(resp, &what).await);
        }
        self.advance(upload, &resp.headers, 0);
        self.discard(resp.body).await;
        Ok(())
    }

    /// Closes an upload with `PUT ?digest=`, sending `last` (a final stream
    /// and its length) if given. The registry checks the digest; a mismatch
    /// comes back as `DIGEST_INVALID`.
    pub async fn finish_upload(
        &self,
        repository: &str,
        upload: Upload,
        digest: &Digest,
        last: Option<(T::Upload, u64)>,
    ) -> Result<(), RegistryError> {
        let ep = self.origin_or_err()?;
        let what = format!(
            "finishing the upload of {digest} to {}/{repository}",
            self.registry
        );
        let url = with_query(&upload.location, "digest", &digest.to_string());
        let mut h = Headers::new();
        let body = match last {
            Some((stream, len)) => {
                h.set("Content-Type", "application/octet-stream");
                Body::Stream(stream, Some(len))
            }
            None => Body::Empty,
        };
        let resp = self
            .call(
                ep,
                Method::Put,
                &url,
                h,
                body,
                &[Scope::push(repository)],
                &what,
            )
            .await?;
        if resp.status != 201 && resp.status != 204 && resp.status != 200 {
            return Err(self.fail(resp, &what).await);
        }
        self.discard(resp.body).await;
        Ok(())
    }

    /// Abandons an upload session (best effort).
    pub async fn cancel_upload(&self, repository: &str, upload: &Upload) {
        if let Ok(ep) = self.origin_or_err() {
            if let Ok(r) = self
                .call(
                    ep,
                    Method::Delete,
                    &upload.location,
                    Headers::new(),
                    Body::Empty,
                    &[Scope::push(repository)],
                    "cancelling an upload",
                )
                .await
            {
                self.discard(r.body).await;
            }
        }
    }

    /// One page of `/v2/_catalog`.
    pub async fn catalog_page(
        &self,
        n: Option<u32>,
        last: Option<&str>,
    ) -> Result<Page, RegistryError> {
        let path = page_query("/v2/_catalog", n, last);
        let what = format!("listing the repositories of {}", self.registry);
        self.page(&path, &[Scope::catalog()], "repositories", &what)
            .await
    }

    /// One page of a repository's tags.
    pub async fn tags_page(
        &self,
        repository: &str,
        n: Option<u32>,
        last: Option<&str>,
    ) -> Result<Page, RegistryError> {
        let path = page_query(&format!("/v2/{repository}/tags/list"), n, last);
        let what = format!("listing the tags of {}/{repository}", self.registry);
        self.page(&path, &[Scope::pull(repository)], "tags", &what)
            .await
    }

    async fn page(
        &self,
        path: &str,
        scopes: &[Scope],
        field: &str,
        what: &str,
    ) -> Result<Page, RegistryError> {
        self.on_readers(|ep| async move {
            let resp = self
                .call(
                    ep,
                    Method::Get,
                    path,
                    Headers::new(),
                    Body::Empty,
                    scopes,
                    what,
                )
                .await?;
            if resp.status != 200 {
                return Err(self.fail(resp, what).await);
            }
            let next = resp.headers.get("link").and_then(next_last);
            let body = self.read(resp.body, 16 << 20, what).await?;
            let v: serde_json::Value =
                serde_json::from_slice(&body).map_err(|e| RegistryError::Protocol {
                    what: what.to_string(),
                    message: format!("the answer is not JSON: {e}"),
                })?;
            let items = v
                .get(field)
                .and_then(|a| a.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            Ok(Page { items, next })
        })
        .await
    }

    /// Every repository, following pages.
    pub async fn catalog(&self) -> Result<Vec<String>, RegistryError> {
        every_page(|last| async move { self.catalog_page(Some(1000), last.as_deref()).await }).await
    }

    /// Every tag of a repository, following pages.
    pub async fn tags(&self, repository: &str) -> Result<Vec<String>, RegistryError> {
        every_page(|last| async move {
            self.tags_page(repository, Some(1000), last.as_deref())
                .await
        })
        .await
    }
}

/// `path` with the paging parameters `n` and `last` that are given.
fn page_query(path: &str, n: Option<u32>, last: Option<&str>) -> String {
    let mut path = path.to_string();
    if let Some(n) = n {
        path = with_query(&path, "n", &n.to_string());
    }
    if let Some(l) = last {
        path = with_query(&path, "last", l);
    }
    path
}

/// The items of every page, asking `page` for the one after `last` until
/// the registry names no next page (or names the same one again).
async fn every_page<F, Fut>(mut page: F) -> Result<Vec<String>, RegistryError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<Page, RegistryError>>,
{
    let mut all = Vec::new();
    let mut last: Option<String> = None;
    loop {
        let p = page(last.clone()).await?;
        all.extend(p.items);
        match p.next {
            Some(n) if Some(&n) != last.as_ref() => last = Some(n),
            _ => return Ok(all),
        }
    }
}

fn api_error(what: String, status: u16, body: &[u8]) -> RegistryError {
    let errors = parse_api_errors(body);
    if errors.is_empty() {
        // HEAD answers have no body: say what the status means.
        let body = match (clip(body), status) {
            (b, 404) if b.is_empty() => "not found".to_string(),
            (b, 403) if b.is_empty() => "forbidden".to_string(),
            (b, _) => b,
        };
        RegistryError::Status { what, status, body }
    } else {
        RegistryError::Api {
            what,
            status,
            errors: ApiErrors(errors),
        }
    }
}

/// The `Content-Length` header's value.
fn content_length(headers: &Headers) -> Option<u64> {
    headers
        .get("content-length")
        .and_then(|s| s.trim().parse().ok())
}

/// The `Docker-Content-Digest` header's value.
fn content_digest(headers: &Headers) -> Option<Digest> {
    headers
        .get("docker-content-digest")
        .and_then(|d| d.trim().parse().ok())
}

/// A media type without its parameters: `application/json; charset=utf-8`
/// → `application/json`.
fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string()
}

/// `bytes 10-99/100` → (Some(10), Some(100)).
fn parse_content_range(v: &str) -> (Option<u64>, Option<u64>) {
    let v = v.trim().trim_start_matches("bytes").trim();
    let (range, total) = v.split_once('/').unwrap_or((v, "*"));
    let start = range
        .split_once('-')
        .and_then(|(s, _)| s.trim().parse().ok());
    (start, total.trim().parse().ok())
}

/// The `last` parameter of a `Link: <…?last=x&n=…>; rel="next"` header.
fn next_last(link: &str) -> Option<String> {
    for part in link.split(',') {
        if !part.contains("rel=\"next\"") && !part.contains("rel=next") {
            continue;
        }
        let url = part.split_once('<')?.1.split_once('>')?.0;
        let query = url.split_once('?')?.1;
        for kv in query.split('&') {
            if let Some(v) = kv.strip_prefix("last=") {
                return Some(percent_decode(v));
            }
        }
    }
    None
}

/// Checks a stream against the digest (and size) that named it, chunk by
/// chunk: bytes in, a verdict at the end that names both digests.
pub struct Verifier {
    what: String,
    expected: Digest,
    size: Option<u64>,
    hasher: Hasher,
    count: u64,
}

impl Verifier {
    pub fn new(what: impl Into<String>, expected: Digest, size: Option<u64>) -> Verifier {
        Verifier {
            what: what.into(),
            hasher: expected.hasher(),
            expected,
            size,
            count: 0,
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        self.count += data.len() as u64;
        self.hasher.update(data);
    }

    /// Bytes seen so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Whether more bytes than the descriptor's size have arrived.
    pub fn overflowed(&self) -> bool {
        self.size.is_some_and(|s| self.count > s)
    }

    pub fn finish(self) -> Result<Digest, RegistryError> {
        if let Some(size) = self.size.filter(|s| *s != self.count) {
            // A wrong size is a wrong digest too; name both digests.
            return Err(RegistryError::DigestMismatch {
                what: format!("{} ({} bytes, expected {size})", self.what, self.count),
                expected: self.expected,
                actual: self.hasher.finish(),
            });
        }
        let actual = self.hasher.finish();
        if actual != self.expected {
            return Err(RegistryError::DigestMismatch {
                what: self.what,
                expected: self.expected,
                actual,
            });
        }
        Ok(actual)
    }
}

/// Picks the manifest for `wanted` from an index: an exact variant match
/// first, then any variant of the os/arch. Attestations and other
/// non-image entries (platform `unknown/unknown`) are never picked.
pub fn select_platform<'a>(index: &'a ImageIndex, wanted: &Platform) -> Option<&'a Descriptor> {
    let images = || {
        index
            .manifests
            .iter()
            .filter(|d| mt::kind(&d.media_type) != mt::Kind::Other || d.media_type.is_empty())
    };
    let want = wanted.normalized();
    images()
        .find(|d| {
            d.platform
                .as_ref()
                .is_some_and(|p| p.normalized().variant == want.variant && p.matches(wanted))
        })
        .or_else(|| images().find(|d| d.platform.as_ref().is_some_and(|p| p.matches(wanted))))
}

/// The platforms an index offers, as `os/arch[/variant]`, for messages.
pub fn platforms(index: &ImageIndex) -> Vec<String> {
    index
        .manifests
        .iter()
        .filter_map(|d| d.platform.as_ref())
        .filter(|p| p.os != "unknown")
        .map(Platform::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_links_and_ranges() {
        assert_eq!(
            next_last(r#"</v2/_catalog?last=b%2Fc&n=2>; rel="next""#),
            Some("b/c".into())
        );
        assert_eq!(next_last(r#"</v2/x>; rel="prev""#), None);
        assert_eq!(
            parse_content_range("bytes 10-99/100"),
            (Some(10), Some(100))
        );
        assert_eq!(parse_content_range("bytes 10-99/*"), (Some(10), None));
    }

    #[test]
    fn verifier_names_both_digests() {
        let good = Digest::sha256(b"hello");
        let mut v = Verifier::new("blob x", good.clone(), Some(5));
        v.update(b"hel");
        v.update(b"lo");
        assert_eq!(v.finish().unwrap(), good);
        let mut v = Verifier::new("blob x", good.clone(), Some(5));
        v.update(b"jello");
        let e = v.finish().unwrap_err().to_string();
        assert!(e.contains(&good.to_string()), "{e}");
        assert!(e.contains(&Digest::sha256(b"jello").to_string()), "{e}");
    }

    #[test]
    fn selects_platforms() {
        let idx: ImageIndex = serde_json::from_str(&format!(
            r#"{{"schemaVersion":2,"manifests":[
            {{"mediaType":"{m}","digest":"{d1}","size":1,"platform":{{"os":"linux","architecture":"arm","variant":"v6"}}}},
            {{"mediaType":"{m}","digest":"{d2}","size":1,"platform":{{"os":"linux","architecture":"arm","variant":"v7"}}}},
            {{"mediaType":"{m}","digest":"{d3}","size":1,"platform":{{"os":"linux","architecture":"amd64"}}}},
            {{"mediaType":"{m}","digest":"{d4}","size":1,"platform":{{"os":"unknown","architecture":"unknown"}}}}]}}"#,
            m = mt::OCI_MANIFEST,
            d1 = Digest::sha256(b"1"),
            d2 = Digest::sha256(b"2"),
            d3 = Digest::sha256(b"3"),
            d4 = Digest::sha256(b"4"),
        ))
        .unwrap();
        let pick = |p: &str| select_platform(&idx, &p.parse().unwrap()).map(|d| d.digest.clone());
        assert_eq!(pick("linux/arm/v7"), Some(Digest::sha256(b"2")));
        assert_eq!(pick("linux/x86_64"), Some(Digest::sha256(b"3")));
        // As docker does, `arm` without a variant means v7.
        assert_eq!(pick("linux/arm"), Some(Digest::sha256(b"2")));
        assert_eq!(pick("linux/s390x"), None);
        assert_eq!(
            platforms(&idx),
            vec!["linux/arm/v6", "linux/arm/v7", "linux/amd64"]
        );
    }
}
