//! Registry authentication: `WWW-Authenticate` challenges, credentials,
//! scopes and bearer tokens.
//!
//! ```text
//! client                          registry                     token server (realm)
//!   │ GET /v2/…                     │                               │
//!   │──────────────────────────────▶│                               │
//!   │ 401 WWW-Authenticate: Bearer realm="…",service="…",scope="…"  │
//!   │◀──────────────────────────────│                               │
//!   │ GET realm?service=…&scope=…  (Basic user:pass, if any)        │
//!   │──────────────────────────────────────────────────────────────▶│
//!   │ {"token": "…", "expires_in": 300}                             │
//!   │◀──────────────────────────────────────────────────────────────│
//!   │ GET /v2/… Authorization: Bearer …                             │
//!   │──────────────────────────────▶│
//! ```
//!
//! `Basic` registries (distribution with htpasswd) take the credentials on
//! every request instead. Specs: RFC 7235 (challenges), the distribution
//! token spec (<https://distribution.github.io/distribution/spec/auth/token/>)
//! and its OAuth2 variant (`refresh_token` grant, used with identity tokens).

use std::collections::BTreeMap;
use std::fmt;

use super::http::{base64_encode, percent_encode};

/// An authentication scheme named in a challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scheme {
    Basic,
    Bearer,
    Other(String),
}

/// One challenge from a `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub scheme: Scheme,
    /// Parameter names in lower case (`realm`, `service`, `scope`, `error`).
    pub params: BTreeMap<String, String>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

/// Parses every challenge in a `WWW-Authenticate` value (RFC 7235:
/// `scheme param=value, param="quoted \" value", scheme2 …`). Malformed
/// parts are skipped, never fatal: the caller falls back to what it found.
pub fn parse_challenges(header: &str) -> Vec<Challenge> {
    let b = header.as_bytes();
    let mut i = 0;
    let mut out: Vec<Challenge> = Vec::new();
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && (b[*i] == b' ' || b[*i] == b'\t' || b[*i] == b',') {
            *i += 1;
        }
    };
    let token = |i: &mut usize| -> String {
        let start = *i;
        while *i < b.len() && !matches!(b[*i], b' ' | b'\t' | b',' | b'=' | b'"') {
            *i += 1;
        }
        header[start..*i].to_string()
    };
    loop {
        skip_ws(&mut i);
        if i >= b.len() {
            break;
        }
        let word = token(&mut i);
        if word.is_empty() {
            i += 1;
            continue;
        }
        // `word=` is a parameter of the current challenge; a bare word
        // starts a new challenge.
        let mut j = i;
        while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
            j += 1;
        }
        if j < b.len() && b[j] == b'=' && !out.is_empty() {
            i = j + 1;
            while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
                i += 1;
            }
            let value = if i < b.len() && b[i] == b'"' {
                i += 1;
                let mut v = Vec::new();
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' && i + 1 < b.len() {
                        i += 1;
                    }
                    v.push(b[i]);
                    i += 1;
                }
                i += 1;
                String::from_utf8_lossy(&v).into_owned()
            } else {
                token(&mut i)
            };
            if let Some(c) = out.last_mut() {
                c.params.insert(word.to_ascii_lowercase(), value);
            }
        } else {
            let scheme = match word.to_ascii_lowercase().as_str() {
                "basic" => Scheme::Basic,
                "bearer" => Scheme::Bearer,
                _ => Scheme::Other(word),
            };
            out.push(Challenge {
                scheme,
                params: BTreeMap::new(),
            });
        }
    }
    out
}

/// What a user logs in with. `Debug` and `Display` never show secrets.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// A user name and password (or personal access token).
    Basic { username: String, password: String },
    /// An OAuth2 refresh token (docker's `identitytoken`), exchanged for
    /// access tokens at the realm.
    IdentityToken(String),
}

impl Credential {
    pub fn basic(username: impl Into<String>, password: impl Into<String>) -> Credential {
        Credential::Basic {
            username: username.into(),
            password: password.into(),
        }
    }

    /// The user name, when there is one (for messages).
    pub fn username(&self) -> Option<&str> {
        match self {
            Credential::Basic { username, .. } => Some(username),
            Credential::IdentityToken(_) => None,
        }
    }

    /// `Basic …` for an `Authorization` header.
    pub fn basic_header(&self) -> Option<String> {
        match self {
            Credential::Basic { username, password } => Some(format!(
                "Basic {}",
                base64_encode(format!("{username}:{password}").as_bytes())
            )),
            Credential::IdentityToken(_) => None,
        }
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Basic { username, .. } => {
                write!(
                    f,
                    "Credential::Basic {{ username: {username:?}, password: <redacted> }}"
                )
            }
            Credential::IdentityToken(_) => f.write_str("Credential::IdentityToken(<redacted>)"),
        }
    }
}

/// What a request needs permission for, in the token spec's syntax:
/// `repository:library/ubuntu:pull`, `registry:catalog:*`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope {
    pub resource_type: String,
    pub name: String,
    pub actions: Vec<String>,
}

impl Scope {
    pub fn repository(name: &str, actions: &[&str]) -> Scope {
        Scope {
            resource_type: "repository".into(),
            name: name.into(),
            actions: actions.iter().map(|a| a.to_string()).collect(),
        }
    }

    pub fn pull(repository: &str) -> Scope {
        Scope::repository(repository, &["pull"])
    }

    pub fn push(repository: &str) -> Scope {
        Scope::repository(repository, &["pull", "push"])
    }

    pub fn delete(repository: &str) -> Scope {
        Scope::repository(repository, &["delete"])
    }

    pub fn catalog() -> Scope {
        Scope {
            resource_type: "registry".into(),
            name: "catalog".into(),
            actions: vec!["*".into()],
        }
    }

    /// Parses `type:name:actions` (the name may itself hold `:` — a
    /// registry with a port in a scope is rare but legal).
    pub fn parse(s: &str) -> Option<Scope> {
        let (head, actions) = s.rsplit_once(':')?;
        let (resource_type, name) = head.split_once(':')?;
        Some(Scope {
            resource_type: resource_type.into(),
            name: name.into(),
            actions: actions.split(',').map(str::to_string).collect(),
        })
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}",
            self.resource_type,
            self.name,
            self.actions.join(",")
        )
    }
}

/// A token request for a Bearer challenge: the URL to GET, or the form to
/// POST when the credential is an identity (refresh) token.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub url: String,
    /// `Authorization` for a GET (Basic credentials), if any.
    pub authorization: Option<String>,
    /// An `application/x-www-form-urlencoded` body for a POST, if any.
    pub form: Option<String>,
}

impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRequest")
            .field("url", &self.url)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .field("form", &self.form.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Builds the token request for `challenge`, asking for `scopes` (plus the
/// challenge's own scope). `None` if the challenge has no realm.
pub fn token_request(
    challenge: &Challenge,
    scopes: &[Scope],
    credential: Option<&Credential>,
) -> Option<TokenRequest> {
    let realm = challenge.param("realm")?;
    let mut all: Vec<String> = scopes.iter().map(Scope::to_string).collect();
    if let Some(s) = challenge.param("scope") {
        for one in s.split(' ').filter(|s| !s.is_empty()) {
            if !all.iter().any(|a| a == one) {
                all.push(one.to_string());
            }
        }
    }
    let service = challenge.param("service");
    match credential {
        Some(Credential::IdentityToken(token)) => {
            let mut form = format!(
                "grant_type=refresh_token&client_id=layerkit&refresh_token={}",
                percent_encode(token)
            );
            if let Some(s) = service {
                form.push_str(&format!("&service={}", percent_encode(s)));
            }
            if !all.is_empty() {
                form.push_str(&format!("&scope={}", percent_encode(&all.join(" "))));
            }
            Some(TokenRequest {
                url: realm.to_string(),
                authorization: None,
                form: Some(form),
            })
        }
        _ => {
            let mut url = realm.to_string();
            let mut sep = if url.contains('?') { '&' } else { '?' };
            if let Some(s) = service {
                url.push_str(&format!("{sep}service={}", percent_encode(s)));
                sep = '&';
            }
            for s in &all {
                url.push_str(&format!("{sep}scope={}", percent_encode(s)));
                sep = '&';
            }
            Some(TokenRequest {
                url,
                authorization: credential.and_then(Credential::basic_header),
                form: None,
            })
        }
    }
}

/// A bearer token and when it stops being good.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    pub token: String,
    /// Seconds since the epoch, when the host has a clock.
    pub expires_at: Option<u64>,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token(<redacted>, expires_at: {:?})", self.expires_at)
    }
}

/// Reads a token server's answer: `token` or `access_token`, and
/// `expires_in` (60 s when absent, as the spec says). `now` is the host's
/// clock. `None` when the body has no token.
pub fn parse_token_response(body: &[u8], now: Option<u64>) -> Option<Token> {
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(default)]
        token: Option<String>,
        #[serde(default)]
        access_token: Option<String>,
        #[serde(default)]
        expires_in: Option<u64>,
    }
    let a: Answer = serde_json::from_slice(body).ok()?;
    let token = a.token.or(a.access_token).filter(|t| !t.is_empty())?;
    // Refresh a little early so a token does not expire in flight.
    let lifetime = a.expires_in.unwrap_or(60).max(60);
    Some(Token {
        token,
        expires_at: now.map(|n| n + lifetime.saturating_sub(10)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer_challenges() {
        let c = parse_challenges(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull""#,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, Scheme::Bearer);
        assert_eq!(c[0].param("realm"), Some("https://auth.docker.io/token"));
        assert_eq!(c[0].param("service"), Some("registry.docker.io"));
        assert_eq!(c[0].param("scope"), Some("repository:library/ubuntu:pull"));
    }

    #[test]
    fn parses_several_challenges_and_escapes() {
        let c = parse_challenges(
            r#"Basic realm="a \"b\", c", Bearer realm=x, error="insufficient_scope""#,
        );
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].scheme, Scheme::Basic);
        assert_eq!(c[0].param("realm"), Some(r#"a "b", c"#));
        assert_eq!(c[1].param("realm"), Some("x"));
        assert_eq!(c[1].param("error"), Some("insufficient_scope"));
        assert!(parse_challenges("").is_empty());
        assert!(parse_challenges("=,=\"").is_empty());
    }

    #[test]
    fn builds_token_requests() {
        let c = &parse_challenges(r#"Bearer realm="https://t/token?x=1",service="reg""#)[0];
        let r = token_request(
            c,
            &[Scope::push("a/b"), Scope::pull("c")],
            Some(&Credential::basic("u", "p")),
        )
        .unwrap();
        assert_eq!(
            r.url,
            "https://t/token?x=1&service=reg&scope=repository%3Aa%2Fb%3Apull%2Cpush&scope=repository%3Ac%3Apull"
        );
        assert_eq!(r.authorization.as_deref(), Some("Basic dTpw"));
        let r = token_request(c, &[], Some(&Credential::IdentityToken("rt".into()))).unwrap();
        assert!(r
            .form
            .as_deref()
            .unwrap()
            .contains("grant_type=refresh_token"));
        assert!(!format!("{r:?}").contains("rt&"));
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let c = Credential::basic("alice", "hunter2");
        assert!(!format!("{c:?}").contains("hunter2"));
        let t = parse_token_response(br#"{"access_token":"abc","expires_in":300}"#, Some(1000))
            .unwrap();
        assert_eq!(t.expires_at, Some(1290));
        assert!(!format!("{t:?}").contains("abc"));
        assert!(parse_token_response(b"{}", None).is_none());
    }

    #[test]
    fn scopes_round_trip() {
        let s = Scope::parse("repository:a/b:pull,push").unwrap();
        assert_eq!(s, Scope::push("a/b"));
        assert_eq!(Scope::catalog().to_string(), "registry:catalog:*");
    }
}
