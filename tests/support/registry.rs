//! Real registries for tests: Debian's `docker-registry` (distribution 2.8)
//! on a free 127.0.0.1 port with its own storage directory, plain HTTP or
//! TLS with a CA made here by `openssl`, open, with htpasswd Basic auth
//! (`htpasswd -B` from apache2-utils) or with Bearer tokens from
//! [`TokenServer`]. Plus images made by real tools (umoci) and an isolated
//! environment for the `layerkit` binary.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{die_with_parent, free_port, run_ok, run_with_input, scratch, wait_for};

/// How clients authenticate to a [`Registry`].
#[derive(Clone, Debug)]
pub enum Auth {
    None,
    /// htpasswd (bcrypt) with one user.
    Basic {
        user: String,
        password: String,
    },
    /// Bearer tokens from a [`TokenServer`] that accepts one user.
    Token {
        user: String,
        password: String,
    },
}

thread_local! {
    static MUTUAL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A running `docker-registry`.
pub struct Registry {
    pub dir: PathBuf,
    pub port: u16,
    /// `127.0.0.1:<port>`: what references name.
    pub host: String,
    /// The CA that signed the server certificate, when TLS is on.
    pub ca: Option<PathBuf>,
    pub auth: Auth,
    child: Mutex<Option<Child>>,
    token_server: Option<TokenServer>,
}

fn openssl(dir: &Path, args: &[&str]) {
    run_ok(Command::new("openssl").current_dir(dir).args(args));
}

/// A new RSA key (`key`) and a self-signed certificate for `subject`
/// (`cert`) in `dir`, valid two days.
fn self_signed(dir: &Path, subject: &str, key: &str, cert: &str) {
    openssl(
        dir,
        &[
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", subject,
            "-keyout", key, "-out", cert,
        ],
    );
}

/// A new RSA key (`key`) and a certificate for `subject` (`cert`) signed by
/// the CA in `dir` (`ca.crt`, `ca.key`), valid two days, with the X.509
/// `extensions` (lines of an openssl extfile).
fn ca_signed(dir: &Path, subject: &str, key: &str, cert: &str, extensions: &str) {
    let csr = format!("{cert}.csr");
    let ext = format!("{cert}.ext");
    openssl(
        dir,
        &[
            "req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", key, "-out", &csr,
        ],
    );
    std::fs::write(dir.join(&ext), extensions).unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &ext,
            "-out",
            cert,
        ],
    );
}

/// Makes `ca.crt`/`ca.key` and a server certificate for 127.0.0.1 and
/// localhost signed by it (`server.crt`/`server.key`) in `dir`.
pub fn make_tls(dir: &Path) {
    self_signed(dir, "/CN=layerkit test CA", "ca.key", "ca.crt");
    ca_signed(
        dir,
        "/CN=127.0.0.1",
        "server.key",
        "server.crt",
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    );
}

impl Registry {
    /// An open registry over plain HTTP.
    pub fn plain(name: &str) -> Registry {
        Registry::start_new(name, false, Auth::None)
    }

    /// A registry behind TLS (a CA made for the test) with htpasswd Basic
    /// auth for `user`/`password`.
    pub fn tls_basic(name: &str, user: &str, password: &str) -> Registry {
        Registry::start_new(
            name,
            true,
            Auth::Basic {
                user: user.into(),
                password: password.into(),
            },
        )
    }

    /// A plain-HTTP registry whose clients need Bearer tokens from a token
    /// server that knows `user`/`password`.
    pub fn token(name: &str, user: &str, password: &str) -> Registry {
        Registry::start_new(
            name,
            false,
            Auth::Token {
                user: user.into(),
                password: password.into(),
            },
        )
    }

    /// A TLS registry that requires a client certificate signed by its CA
    /// (mutual TLS, `http.tls.clientcas`).
    pub fn mutual_tls(name: &str) -> Registry {
        MUTUAL.with(|m| m.set(true));
        let r = Registry::start_new(name, true, Auth::None);
        MUTUAL.with(|m| m.set(false));
        r
    }

    /// A client certificate and key signed by this registry's CA, in a
    /// certs.d directory as docker reads them (`client.cert`, `client.key`
    /// beside `ca.crt`). Returns the certs.d directory.
    pub fn certs_d_with_client_cert(&self) -> PathBuf {
        let d = self.certs_d();
        let host_dir = d.join(&self.host);
        ca_signed(
            &self.dir,
            "/CN=layerkit test client",
            "client.key",
            "client.cert",
            "extendedKeyUsage=clientAuth\n",
        );
        std::fs::copy(self.dir.join("client.cert"), host_dir.join("client.cert")).unwrap();
        std::fs::copy(self.dir.join("client.key"), host_dir.join("client.key")).unwrap();
        d
    }

    fn start_new(name: &str, tls: bool, auth: Auth) -> Registry {
        let dir = scratch(&format!("registry-{name}"));
        let port = free_port();
        let host = format!("127.0.0.1:{port}");
        let mut config = format!(
            "version: 0.1\nlog:\n  level: info\n  formatter: text\nstorage:\n  filesystem:\n    rootdirectory: {data}\n  delete:\n    enabled: true\n  maintenance:\n    uploadpurging:\n      enabled: false\nhttp:\n  addr: {host}\n  secret: layerkit-test-secret\n",
            data = dir.join("data").display()
        );
        let mut ca = None;
        if tls {
            make_tls(&dir);
            config.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                dir.join("server.crt").display(),
                dir.join("server.key").display()
            ));
            if MUTUAL.with(|m| m.get()) {
                config.push_str(&format!(
                    "    clientcas:\n      - {}\n",
                    dir.join("ca.crt").display()
                ));
            }
            ca = Some(dir.join("ca.crt"));
        }
        let mut token_server = None;
        match &auth {
            Auth::None => {}
            Auth::Basic { user, password } => {
                let out = run_ok(Command::new("htpasswd").args(["-Bbn", user, password]));
                std::fs::write(dir.join("htpasswd"), out).unwrap();
                config.push_str(&format!(
                    "auth:\n  htpasswd:\n    realm: layerkit-test\n    path: {}\n",
                    dir.join("htpasswd").display()
                ));
            }
            Auth::Token { user, password } => {
                let ts = TokenServer::start(&dir, user, password);
                config.push_str(&format!(
                    "auth:\n  token:\n    realm: http://127.0.0.1:{}/token\n    service: layerkit-test\n    issuer: layerkit-test-issuer\n    rootcertbundle: {}\n",
                    ts.port,
                    dir.join("token.crt").display()
                ));
                token_server = Some(ts);
            }
        }
        std::fs::write(dir.join("config.yml"), config).unwrap();
        let r = Registry {
            dir,
            port,
            host,
            ca,
            auth,
            child: Mutex::new(None),
            token_server,
        };
        r.start();
        r
    }

    /// Starts (or restarts) the registry process on the same port and
    /// storage.
    pub fn start(&self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("registry.log"))
            .unwrap();
        let mut cmd = Command::new("docker-registry");
        cmd.arg("serve")
            .arg(self.dir.join("config.yml"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        die_with_parent(&mut cmd);
        let child = cmd
            .spawn()
            .expect("starting docker-registry (Debian package docker-registry; run .ci/setup)");
        *self.child.lock().unwrap() = Some(child);
        let port = self.port;
        wait_for("docker-registry", Duration::from_secs(30), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
    }

    /// Kills the registry at once (SIGKILL), as a crash would.
    pub fn kill(&self) {
        if let Some(mut c) = self.child.lock().unwrap().take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The registry's log (requests at info level).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("registry.log")).unwrap_or_default()
    }

    /// The directory a blob's data lives in inside the registry's storage.
    pub fn blob_data(&self, digest: &str) -> PathBuf {
        let hex = digest.trim_start_matches("sha256:");
        self.dir
            .join("data/docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }

    /// A `certs.d` directory holding this registry's CA, for
    /// `LAYERKIT_CERTS_D` (docker's layout: `<host:port>/ca.crt`).
    pub fn certs_d(&self) -> PathBuf {
        let d = self.dir.join("certs.d");
        if let Some(ca) = &self.ca {
            std::fs::create_dir_all(d.join(&self.host)).unwrap();
            std::fs::copy(ca, d.join(&self.host).join("ca.crt")).unwrap();
        }
        d
    }

    /// Requests the token server answered (only with [`Auth::Token`]).
    pub fn token_requests(&self) -> Vec<String> {
        self.token_server
            .as_ref()
            .map(|t| t.requests.lock().unwrap().clone())
            .unwrap_or_default()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.kill();
        if let Some(t) = &self.token_server {
            t.stop.store(true, Ordering::Relaxed);
            let _ = TcpStream::connect(("127.0.0.1", t.port));
        }
    }
}

/// A minimal token server for the distribution token spec, written for
/// these tests only (the registry itself is the real one): `GET /token`
/// with Basic credentials for its one user (or none, for anonymous pull),
/// answering a JWT signed RS256 with a key whose certificate the registry
/// trusts (`rootcertbundle`), granting every action asked for in `scope`
/// when the credentials are right, none when anonymous, and 401 when they
/// are wrong. Signing is done by `openssl dgst -sha256 -sign`.
pub struct TokenServer {
    pub port: u16,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

fn b64url(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        out.push(A[(n >> 18) as usize & 63] as char);
        out.push(A[(n >> 12) as usize & 63] as char);
        if c.len() > 1 {
            out.push(A[(n >> 6) as usize & 63] as char);
        }
        if c.len() > 2 {
            out.push(A[n as usize & 63] as char);
        }
    }
    out
}

fn b64std(data: &[u8]) -> String {
    let mut s = b64url(data).replace('-', "+").replace('_', "/");
    while s.len() % 4 != 0 {
        s.push('=');
    }
    s
}

fn query_values(query: &str, key: &str) -> Vec<String> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| *k == key)
        .map(|(_, v)| {
            let v = v.replace('+', " ");
            let mut out = Vec::new();
            let b = v.as_bytes();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'%' && i + 2 < b.len() {
                    if let Ok(x) = u8::from_str_radix(&v[i + 1..i + 3], 16) {
                        out.push(x);
                        i += 3;
                        continue;
                    }
                }
                out.push(b[i]);
                i += 1;
            }
            String::from_utf8_lossy(&out).into_owned()
        })
        .collect()
}

impl TokenServer {
    fn start(dir: &Path, user: &str, password: &str) -> TokenServer {
        self_signed(dir, "/CN=layerkit token signer", "token.key", "token.crt");
        let der = Command::new("openssl")
            .args(["x509", "-in", "token.crt", "-outform", "DER"])
            .current_dir(dir)
            .output()
            .unwrap()
            .stdout;
        let x5c = b64std(&der);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (reqs, stop2, dir) = (requests.clone(), stop.clone(), dir.to_path_buf());
        let expected = format!("Basic {}", b64std(format!("{user}:{password}").as_bytes()));
        let user = user.to_string();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(mut conn) = conn else { continue };
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let mut authz = None;
                let mut length = 0usize;
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                        break;
                    }
                    let (n, v) = h.split_once(':').unwrap_or(("", ""));
                    if n.eq_ignore_ascii_case("authorization") {
                        authz = Some(v.trim().to_string());
                    }
                    if n.eq_ignore_ascii_case("content-length") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let target = line.split(' ').nth(1).unwrap_or("").to_string();
                // GET: parameters in the query, Basic credentials. POST
                // (OAuth2): a form with grant_type=refresh_token and the
                // identity token, which is `refresh-<user>` here.
                let post = line.starts_with("POST ");
                let query = if post {
                    String::from_utf8_lossy(&body).into_owned()
                } else {
                    target
                        .split_once('?')
                        .map(|(_, q)| q.to_string())
                        .unwrap_or_default()
                };
                reqs.lock().unwrap().push(line.trim().to_string());
                let refresh = query_values(&query, "refresh_token").pop();
                let bad_refresh =
                    post && refresh.as_deref() != Some(format!("refresh-{user}").as_str());
                let ok_user = authz.as_deref() == Some(expected.as_str()) || (post && !bad_refresh);
                let (status, answer) = if (authz.is_some() && !ok_user) || bad_refresh {
                    (
                        "401 Unauthorized",
                        r#"{"details":"incorrect username or password"}"#.to_string(),
                    )
                } else {
                    let mut access = Vec::new();
                    if ok_user {
                        for s in query_values(&query, "scope") {
                            for one in s.split(' ') {
                                let parts: Vec<&str> = one.splitn(2, ':').collect();
                                if parts.len() < 2 {
                                    continue;
                                }
                                let Some((name, actions)) = parts[1].rsplit_once(':') else {
                                    continue;
                                };
                                access.push(serde_json::json!({"type": parts[0], "name": name, "actions": actions.split(',').collect::<Vec<_>>()}));
                            }
                        }
                    }
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap()
                        .as_secs();
                    let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "x5c": [x5c]});
                    let claims = serde_json::json!({
                        "iss": "layerkit-test-issuer", "sub": if ok_user { user.as_str() } else { "" },
                        "aud": "layerkit-test", "exp": now + 300, "nbf": now - 10, "iat": now,
                        "jti": format!("{now}-{}", reqs.lock().unwrap().len()), "access": access,
                    });
                    let signing_input = format!(
                        "{}.{}",
                        b64url(header.to_string().as_bytes()),
                        b64url(claims.to_string().as_bytes())
                    );
                    let sig = run_with_input(
                        Command::new("openssl")
                            .args(["dgst", "-sha256", "-sign", "token.key"])
                            .current_dir(&dir),
                        signing_input.as_bytes(),
                    )
                    .stdout;
                    let jwt = format!("{signing_input}.{}", b64url(&sig));
                    (
                        "200 OK",
                        if post {
                            serde_json::json!({"access_token": jwt, "expires_in": 300}).to_string()
                        } else {
                            serde_json::json!({"token": jwt, "expires_in": 300}).to_string()
                        },
                    )
                };
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                );
            }
        });
        TokenServer {
            port,
            requests,
            stop,
        }
    }
}

/// An isolated home for one `layerkit` run: its own HOME, DOCKER_CONFIG,
/// XDG dirs (store, settings).
pub struct Home {
    pub dir: PathBuf,
}

impl Home {
    pub fn new(name: &str) -> Home {
        Home {
            dir: scratch(&format!("home-{name}")),
        }
    }

    /// `layerkit` with this home.
    pub fn layerkit(&self) -> Command {
        let mut c = super::layerkit();
        c.env("HOME", &self.dir)
            .env("DOCKER_CONFIG", self.dir.join("docker"))
            .env("XDG_CONFIG_HOME", self.dir.join("config"))
            .env("XDG_DATA_HOME", self.dir.join("data"))
            .env("XDG_CACHE_HOME", self.dir.join("cache"))
            .env_remove("LAYERKIT_ROOT")
            .env_remove("LAYERKIT_REGISTRIES")
            .env_remove("LAYERKIT_CERTS_D")
            .stdin(Stdio::null());
        c
    }

    /// The store directory.
    pub fn store(&self) -> PathBuf {
        self.dir.join("data/layerkit")
    }

    pub fn docker_config(&self) -> PathBuf {
        self.dir.join("docker/config.json")
    }
}

/// Runs a command, returning (success, stdout, stderr).
pub fn output(cmd: &mut Command) -> (bool, String, String) {
    let o = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Incompressible bytes from a fixed seed (xorshift), fast to make.
pub fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Builds an OCI layout at `dir` with image `tag` by umoci: one layer per
/// `(path, bytes)` file, each added with `umoci insert`.
pub fn umoci_image(dir: &Path, tag: &str, files: &[(&str, Vec<u8>)]) {
    if !dir.join("index.json").exists() {
        run_ok(Command::new("umoci").args(["init", "--layout"]).arg(dir));
    }
    let image = format!("{}:{tag}", dir.display());
    run_ok(Command::new("umoci").args(["new", "--image", &image]));
    let src = dir.with_extension("files");
    for (i, (path, bytes)) in files.iter().enumerate() {
        let f = src.join(format!("f{i}"));
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(&f, bytes).unwrap();
        run_ok(
            Command::new("umoci")
                .args(["insert", "--image", &image])
                .arg(&f)
                .arg(path),
        );
    }
    let _ = std::fs::remove_dir_all(&src);
}

/// A TCP relay in front of a registry that passes the registry's answers
/// on at `bytes_per_sec`, so a test can act in the middle of a transfer
/// (kill the real registry behind it). Written for the tests; it does not
/// look at what it carries. When either side closes, both are closed.
pub struct Relay {
    pub port: u16,
    pub host: String,
    stop: Arc<AtomicBool>,
}

impl Relay {
    pub fn start(upstream_port: u16, bytes_per_sec: u64) -> Relay {
        Relay::start_with(upstream_port, bytes_per_sec, None)
    }

    /// A relay at full speed that drops the first connection to carry more
    /// than `cut_after` bytes back (a connection lost mid-download while
    /// the registry stays up); later connections pass whole.
    pub fn cutting(upstream_port: u16, cut_after: u64) -> Relay {
        Relay::start_with(upstream_port, u64::MAX, Some(cut_after))
    }

    fn start_with(upstream_port: u16, bytes_per_sec: u64, cut_after: Option<u64>) -> Relay {
        let cut_done = Arc::new(AtomicBool::new(false));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(down) = conn else { continue };
                let Ok(up) = TcpStream::connect(("127.0.0.1", upstream_port)) else {
                    continue;
                };
                let (mut d_read, mut d_write) = (down.try_clone().unwrap(), down);
                let (mut u_read, mut u_write) = (up.try_clone().unwrap(), up);
                std::thread::spawn(move || {
                    let mut buf = [0u8; 64 << 10];
                    while let Ok(n) = d_read.read(&mut buf) {
                        if n == 0 || u_write.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = u_write.shutdown(std::net::Shutdown::Both);
                    let _ = d_read.shutdown(std::net::Shutdown::Both);
                });
                let cut_done = cut_done.clone();
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16 << 10];
                    let pause = Duration::from_secs_f64(buf.len() as f64 / bytes_per_sec as f64);
                    let mut passed = 0u64;
                    while let Ok(n) = u_read.read(&mut buf) {
                        if n == 0 || d_write.write_all(&buf[..n]).is_err() {
                            break;
                        }
                        passed += n as u64;
                        if cut_after.is_some_and(|c| passed > c)
                            && !cut_done.swap(true, Ordering::SeqCst)
                        {
                            break;
                        }
                        std::thread::sleep(pause);
                    }
                    let _ = d_write.shutdown(std::net::Shutdown::Both);
                    let _ = u_read.shutdown(std::net::Shutdown::Both);
                });
            }
        });
        Relay {
            port,
            host: format!("127.0.0.1:{port}"),
            stop,
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}
