//! Registry credentials in docker's client config (`$DOCKER_CONFIG/config.json`,
//! else `~/.docker/config.json`), read and written as docker does:
//!
//! ```json
//! {
//!   "auths": {
//!     "https://index.docker.io/v1/": { "auth": "<base64 user:password>" },
//!     "registry.example.com:5000": { "auth": "…", "identitytoken": "…" },
//!     "helped.example.com": {}
//!   },
//!   "credHelpers": { "123.dkr.ecr.us-east-1.amazonaws.com": "ecr-login" },
//!   "credsStore": "pass"
//! }
//! ```
//!
//! A registry in `credHelpers` uses `docker-credential-<helper>`; otherwise
//! `credsStore` if set; otherwise `auths`. Helpers speak docker's protocol:
//! `get` reads the server URL on stdin and prints
//! `{"ServerURL","Username","Secret"}` (`Username` `<token>` marks an
//! identity token); `store` reads that JSON; `erase` reads the URL. Other
//! keys of the file are kept as they are. Secrets never reach messages.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{bail, Context};
use layerkit::oci::reference::DOCKER_HUB;
use layerkit::registry::http::{base64_decode, base64_encode};
use layerkit::registry::Credential;
use serde_json::{Map, Value};

/// Docker Hub's key in `auths`.
pub const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// The client config file.
pub fn config_path() -> PathBuf {
    std::env::var_os("DOCKER_CONFIG")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker")))
        .unwrap_or_else(|| PathBuf::from(".docker"))
        .join("config.json")
}

/// The `host[:port]` a login server names (`https://host/v1/` → `host`),
/// with Docker Hub's spellings made `docker.io`.
pub fn normalize_server(server: &str) -> String {
    let s = server.trim();
    let s = s.split_once("://").map_or(s, |(_, r)| r);
    let host = s.split('/').next().unwrap_or(s).to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "docker.io" | "registry.hub.docker.com" => {
            DOCKER_HUB.to_string()
        }
        _ => host,
    }
}

/// The key docker uses for a registry in `auths` and with helpers.
pub fn server_key(registry: &str) -> String {
    if normalize_server(registry) == DOCKER_HUB {
        DOCKER_HUB_KEY.to_string()
    } else {
        normalize_server(registry)
    }
}

fn read_config() -> anyhow::Result<Map<String, Value>> {
    let path = config_path();
    match std::fs::read(&path) {
        Ok(b) if b.iter().all(u8::is_ascii_whitespace) => Ok(Map::new()),
        Ok(b) => match serde_json::from_slice::<Value>(&b) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => bail!("{}: not a JSON object", path.display()),
            Err(e) => Err(e).with_context(|| format!("{} is not valid JSON", path.display())),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Map::new()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

fn write_config(config: &Map<String, Value>) -> anyhow::Result<()> {
    let path = config_path();
    let dir = path.parent().map(PathBuf::from).unwrap_or_default();
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = dir.join(format!(".config.json.{}", std::process::id()));
    let mut bytes = serde_json::to_vec_pretty(config)?;
    bytes.push(b'\n');
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .with_context(|| format!("writing {}", tmp.display()))?;
        f.write_all(&bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &path).with_context(|| format!("replacing {}", path.display()))?;
    Ok(())
}

/// The entry of `auths` for a registry, trying docker's spellings.
fn auths_entry<'a>(
    config: &'a Map<String, Value>,
    registry: &str,
) -> Option<(&'a String, &'a Value)> {
    let want = normalize_server(registry);
    config
        .get("auths")?
        .as_object()?
        .iter()
        .find(|(k, _)| normalize_server(k) == want)
}

/// The helper for a registry: `credHelpers[host]`, else `credsStore`.
fn helper_for(config: &Map<String, Value>, registry: &str) -> Option<String> {
    let want = normalize_server(registry);
    let from_helpers = config
        .get("credHelpers")
        .and_then(Value::as_object)
        .and_then(|m| {
            m.iter()
                .find(|(k, _)| normalize_server(k) == want)
                .and_then(|(_, v)| v.as_str())
        });
    from_helpers
        .or_else(|| config.get("credsStore").and_then(Value::as_str))
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Where credentials for a registry are kept, for messages.
pub fn store_name(registry: &str) -> anyhow::Result<String> {
    let config = read_config()?;
    Ok(match helper_for(&config, registry) {
        Some(h) => format!("docker-credential-{h}"),
        None => config_path().display().to_string(),
    })
}

fn run_helper(helper: &str, action: &str, input: &[u8]) -> anyhow::Result<(bool, Vec<u8>)> {
    let program = format!("docker-credential-{helper}");
    let mut child = Command::new(&program)
        .arg(action)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| {
            format!(
                "running {program} (configured in {}): is it installed and on PATH?",
                config_path().display()
            )
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(input)
            .with_context(|| format!("writing to {program}"))?;
    }
    let out = child
        .wait_with_output()
        .with_context(|| format!("waiting for {program}"))?;
    Ok((out.status.success(), out.stdout))
}

/// The credential stored for a registry, if any.
pub fn lookup(registry: &str) -> anyhow::Result<Option<Credential>> {
    let config = read_config()?;
    let key = server_key(registry);
    if let Some(helper) = helper_for(&config, registry) {
        let (ok, out) = run_helper(&helper, "get", key.as_bytes())?;
        if !ok {
            // "credentials not found in native keychain": not an error.
            return Ok(None);
        }
        let v: Value = serde_json::from_slice(&out)
            .with_context(|| format!("docker-credential-{helper} get: output is not JSON"))?;
        let user = v.get("Username").and_then(Value::as_str).unwrap_or("");
        let secret = v.get("Secret").and_then(Value::as_str).unwrap_or("");
        if secret.is_empty() {
            return Ok(None);
        }
        return Ok(Some(if user == "<token>" {
            Credential::IdentityToken(secret.to_string())
        } else {
            Credential::basic(user, secret)
        }));
    }
    let Some((key, entry)) = auths_entry(&config, registry) else {
        return Ok(None);
    };
    if let Some(t) = entry
        .get("identitytoken")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    {
        return Ok(Some(Credential::IdentityToken(t.to_string())));
    }
    if let Some(auth) = entry
        .get("auth")
        .and_then(Value::as_str)
        .filter(|a| !a.is_empty())
    {
        let decoded = base64_decode(auth)
            .and_then(|b| String::from_utf8(b).ok())
            .with_context(|| {
                format!(
                    "{}: auths[{key:?}].auth is not base64 of user:password",
                    config_path().display()
                )
            })?;
        let Some((u, p)) = decoded.split_once(':') else {
            bail!(
                "{}: auths[{key:?}].auth is not user:password",
                config_path().display()
            );
        };
        return Ok(Some(Credential::basic(u, p)));
    }
    match (
        entry.get("username").and_then(Value::as_str),
        entry.get("password").and_then(Value::as_str),
    ) {
        (Some(u), Some(p)) if !u.is_empty() => Ok(Some(Credential::basic(u, p))),
        _ => Ok(None),
    }
}

/// Saves a credential for a registry (in its helper, or in `auths`).
pub fn store(registry: &str, credential: &Credential) -> anyhow::Result<()> {
    let mut config = read_config()?;
    let key = server_key(registry);
    let helper = helper_for(&config, registry);
    let entry = match &helper {
        Some(helper) => {
            let (user, secret) = match credential {
                Credential::Basic { username, password } => (username.as_str(), password.as_str()),
                Credential::IdentityToken(t) => ("<token>", t.as_str()),
            };
            let input = serde_json::json!({"ServerURL": key, "Username": user, "Secret": secret});
            let (ok, out) = run_helper(helper, "store", input.to_string().as_bytes())?;
            if !ok {
                bail!(
                    "docker-credential-{helper} could not store the credentials: {}",
                    String::from_utf8_lossy(&out).trim()
                );
            }
            Map::new()
        }
        None => {
            let mut entry = Map::new();
            match credential {
                Credential::Basic { username, password } => {
                    entry.insert(
                        "auth".into(),
                        Value::String(base64_encode(format!("{username}:{password}").as_bytes())),
                    );
                }
                Credential::IdentityToken(t) => {
                    entry.insert("auth".into(), Value::String(String::new()));
                    entry.insert("identitytoken".into(), Value::String(t.clone()));
                }
            }
            entry
        }
    };
    let mut auths = match config.remove("auths") {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    auths.retain(|k, _| normalize_server(k) != normalize_server(registry));
    auths.insert(key, Value::Object(entry));
    config.insert("auths".into(), Value::Object(auths));
    write_config(&config)
}

/// Removes a registry's credentials; whether there were any.
pub fn erase(registry: &str) -> anyhow::Result<bool> {
    let mut config = read_config()?;
    let key = server_key(registry);
    let mut found = false;
    if let Some(helper) = helper_for(&config, registry) {
        let (ok, _) = run_helper(&helper, "erase", key.as_bytes())?;
        found |= ok;
    }
    if let Some(a) = config.get_mut("auths").and_then(Value::as_object_mut) {
        let before = a.len();
        a.retain(|k, _| normalize_server(k) != normalize_server(registry));
        if a.len() != before {
            found = true;
            write_config(&config)?;
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_servers_like_docker() {
        assert_eq!(normalize_server("https://index.docker.io/v1/"), "docker.io");
        assert_eq!(server_key("docker.io"), DOCKER_HUB_KEY);
        assert_eq!(
            normalize_server("http://Reg.example:5000/v2/"),
            "reg.example:5000"
        );
        assert_eq!(server_key("localhost:5000"), "localhost:5000");
    }
}
