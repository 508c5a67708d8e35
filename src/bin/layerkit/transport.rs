//! The native [`Transport`]: blocking HTTP/1.1 over rustls (ureq), with
//! docker's TLS settings per registry host:
//!
//! - roots: the system bundle (`SSL_CERT_FILE`, else Debian's
//!   `/etc/ssl/certs/ca-certificates.crt`) plus every `*.crt` in
//!   `certs.d/<host[:port]>/` (see [`crate::registry_config`]);
//! - insecure registries: certificates not verified (and the client falls
//!   back to plain HTTP when TLS fails).
//!
//! Futures returned here are ready at once; [`block_on`] runs them.

use std::collections::HashMap;
use std::future::Future;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use layerkit::registry::http::Body;
use layerkit::registry::{
    Headers, Method, Request, Response, Transport, TransportError, TransportErrorKind,
};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;

use crate::registry_config::Settings;

/// A body streamed from or to the network.
pub type Stream = Box<dyn Read + Send>;

/// Runs a future whose transport is blocking (its futures never wait on
/// anything but the current thread).
pub fn block_on<F: Future>(fut: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = std::task::Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        if let std::task::Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

/// HTTP for the registry client, one connection pool per TLS setting.
pub struct Native {
    settings: Arc<Settings>,
    agents: Mutex<HashMap<String, ureq::Agent>>,
}

impl Native {
    pub fn new(settings: Arc<Settings>) -> Native {
        Native {
            settings,
            agents: Mutex::new(HashMap::new()),
        }
    }

    fn agent(&self, url: &str) -> Result<ureq::Agent, TransportError> {
        let host = host_of(url);
        let mut agents = self.agents.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(a) = agents.get(&host) {
            return Ok(a.clone());
        }
        let tls = tls_config(&self.settings, &host)?;
        let agent = ureq::AgentBuilder::new()
            .tls_config(tls)
            .timeout_connect(Duration::from_secs(15))
            .timeout_read(Duration::from_secs(120))
            .timeout_write(Duration::from_secs(120))
            .redirects(8)
            .max_idle_connections_per_host(16)
            .build();
        agents.insert(host, agent.clone());
        Ok(agent)
    }
}

/// `host[:port]` of a URL.
pub fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, h)| h)
        .to_ascii_lowercase()
}

fn tls_config(settings: &Settings, host: &str) -> Result<Arc<ClientConfig>, TransportError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TransportError::new(TransportErrorKind::Tls, e.to_string()))?;
    let client_cert = client_identity(settings, host)?;
    if settings.skip_verify(host) {
        let b = builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider)));
        let config = match client_cert {
            Some((certs, key)) => b.with_client_auth_cert(certs, key).map_err(tls_err)?,
            None => b.with_no_client_auth(),
        };
        return Ok(Arc::new(config));
    }
    let mut roots = RootCertStore::empty();
    let system = std::env::var_os("SSL_CERT_FILE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "/etc/ssl/certs/ca-certificates.crt".into());
    if let Ok(iter) = CertificateDer::pem_file_iter(&system) {
        roots.add_parsable_certificates(iter.flatten());
    }
    for file in settings.ca_files(host) {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&file)
            .map_err(|e| {
                TransportError::new(
                    TransportErrorKind::Tls,
                    format!("reading CA certificate {}: {e}", file.display()),
                )
            })?
            .flatten()
            .collect();
        let (added, _) = roots.add_parsable_certificates(certs);
        if added == 0 {
            return Err(TransportError::new(
                TransportErrorKind::Tls,
                format!("{}: no PEM certificate in the file", file.display()),
            ));
        }
    }
    let b = builder.with_root_certificates(roots);
    Ok(Arc::new(match client_cert {
        Some((certs, key)) => b.with_client_auth_cert(certs, key).map_err(tls_err)?,
        None => b.with_no_client_auth(),
    }))
}

fn tls_err(e: rustls::Error) -> TransportError {
    TransportError::new(TransportErrorKind::Tls, format!("client certificate: {e}"))
}

/// A client certificate for `host` from certs.d, as docker reads it:
/// `<name>.cert` with the key `<name>.key` beside it.
#[allow(clippy::type_complexity)]
fn client_identity(
    settings: &Settings,
    host: &str,
) -> Result<Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>, TransportError> {
    let Some((cert, key)) = settings.client_cert(host) else {
        return Ok(None);
    };
    let bad = |what: &str, path: &std::path::Path, e: String| {
        TransportError::new(
            TransportErrorKind::Tls,
            format!("reading the client {what} {}: {e}", path.display()),
        )
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert)
        .map_err(|e| bad("certificate", &cert, e.to_string()))?
        .flatten()
        .collect();
    if certs.is_empty() {
        return Err(bad("certificate", &cert, "no PEM certificate".into()));
    }
    let key = PrivateKeyDer::from_pem_file(&key).map_err(|e| bad("key", &key, e.to_string()))?;
    Ok(Some((certs, key)))
}

/// Accepts any certificate: only for registries the user declared insecure.
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Classifies a ureq failure for the client's retry and fallback logic.
fn classify(url: &str, e: ureq::Transport) -> TransportError {
    use std::error::Error as _;
    let host = host_of(url);
    let mut tls = false;
    let mut source = e.source();
    while let Some(s) = source {
        if s.downcast_ref::<rustls::Error>().is_some() {
            tls = true;
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            if io
                .get_ref()
                .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
            {
                tls = true;
            }
        }
        source = s.source();
    }
    let detail = e
        .source()
        .map(|s| s.to_string())
        .or_else(|| e.message().map(str::to_string))
        .unwrap_or_else(|| e.kind().to_string());
    let kind = if tls {
        TransportErrorKind::Tls
    } else {
        match e.kind() {
            ureq::ErrorKind::Dns | ureq::ErrorKind::ConnectionFailed => TransportErrorKind::Connect,
            ureq::ErrorKind::Io => TransportErrorKind::Interrupted,
            _ => TransportErrorKind::Other,
        }
    };
    let message = match kind {
        TransportErrorKind::Connect => format!("cannot connect to {host}: {detail}"),
        TransportErrorKind::Tls => format!(
            "TLS with {host} failed: {detail} (if it uses a private CA, put it in certs.d/{host}/ca.crt; \
             if it is a plain-HTTP registry, add it to insecure-registries or pass --insecure)"
        ),
        TransportErrorKind::Interrupted => format!("connection to {host} dropped: {detail}"),
        _ => format!("{host}: {detail}"),
    };
    TransportError::new(kind, message)
}

/// An I/O error while streaming a body, as a transport error.
pub fn io_error(e: &std::io::Error) -> TransportError {
    TransportError::new(
        TransportErrorKind::Interrupted,
        format!("connection dropped: {e}"),
    )
}

impl Transport for Native {
    type Body = Stream;
    type Upload = Stream;

    async fn send(&self, request: Request<Stream>) -> Result<Response<Stream>, TransportError> {
        let agent = self.agent(&request.url)?;
        let mut req = agent.request(request.method.as_str(), &request.url);
        for (n, v) in request.headers.iter() {
            req = req.set(n, v);
        }
        let result = match request.body {
            Body::Empty
                if matches!(request.method, Method::Get | Method::Head | Method::Delete) =>
            {
                req.call()
            }
            Body::Empty => req.send_bytes(&[]),
            Body::Bytes(b) => req.send_bytes(&b),
            Body::Stream(r, len) => {
                if let Some(n) = len {
                    req = req.set("Content-Length", &n.to_string());
                }
                req.send(r)
            }
        };
        let resp = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(ureq::Error::Transport(t)) => return Err(classify(&request.url, t)),
        };
        let mut headers = Headers::new();
        for name in resp.headers_names() {
            for v in resp.all(&name) {
                headers.push(name.clone(), v);
            }
        }
        let status = resp.status();
        let body: Stream = Box::new(resp.into_reader());
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    async fn read_body(&self, body: Stream, limit: u64) -> Result<Vec<u8>, TransportError> {
        let mut buf = Vec::new();
        body.take(limit + 1)
            .read_to_end(&mut buf)
            .map_err(|e| io_error(&e))?;
        if buf.len() as u64 > limit {
            return Err(TransportError::new(
                TransportErrorKind::Other,
                format!("response larger than {limit} bytes"),
            ));
        }
        Ok(buf)
    }

    async fn sleep(&self, millis: u64) {
        std::thread::sleep(Duration::from_millis(millis));
    }

    fn now(&self) -> Option<u64> {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .map(|d| d.as_secs())
    }
}
