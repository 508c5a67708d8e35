//! Registry settings: mirrors, insecure registries and extra CA roots, and
//! the [`Client`] they make for a registry.
//!
//! The settings file is JSON with docker's `daemon.json` names, at
//! `$LAYERKIT_REGISTRIES` or `$XDG_CONFIG_HOME/layerkit/registries.json`
//! (`~/.config/layerkit/registries.json`):
//!
//! ```json
//! {
//!   "registry-mirrors": ["https://mirror.example.com"],
//!   "mirrors": { "ghcr.io": ["https://ghcr-mirror.example.com"] },
//!   "insecure-registries": ["registry.lan:5000", "10.0.0.0/8"]
//! }
//! ```
//!
//! - `registry-mirrors` serve Docker Hub (`docker.io`); `mirrors` any other
//!   registry. Mirrors are tried first for reads; on any failure the
//!   registry itself is used. Pushes always go to the registry.
//! - `insecure-registries` (hosts, `host:port`, or CIDR ranges) are reached
//!   over TLS without verifying the certificate, falling back to plain
//!   HTTP. As with docker, `localhost` and 127.0.0.0/8 (and `::1`) are
//!   insecure without being listed — unless certs.d holds a CA for them,
//!   which is then used to verify.
//! - CA roots for a registry are the `*.crt` files in
//!   `certs.d/<host[:port]>/` (and a client certificate for mutual TLS is a
//!   `*.cert` with its `*.key`) under `$LAYERKIT_CERTS_D` (colon-separated) or
//!   else `$XDG_CONFIG_HOME/layerkit/certs.d`, `/etc/docker/certs.d` and
//!   `/etc/containers/certs.d` — docker's and podman's layout.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use layerkit::oci::reference::{DOCKER_HUB, DOCKER_HUB_API};
use layerkit::registry::{Client, Endpoint};
use serde::Deserialize;

use crate::credentials;
use crate::transport::{host_of, Native};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default, rename = "registry-mirrors")]
    registry_mirrors: Vec<String>,
    #[serde(default)]
    mirrors: BTreeMap<String, Vec<String>>,
    #[serde(default, rename = "insecure-registries")]
    insecure_registries: Vec<String>,
}

/// Registry settings from the file, the environment and flags.
#[derive(Debug, Default)]
pub struct Settings {
    mirrors: BTreeMap<String, Vec<String>>,
    insecure: Vec<String>,
    certs_dirs: Vec<PathBuf>,
}

/// `$XDG_CONFIG_HOME/layerkit` (or `~/.config/layerkit`).
pub fn config_dir() -> PathBuf {
    std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")))
        .unwrap_or_else(|| PathBuf::from(".config"))
        .join("layerkit")
}

impl Settings {
    /// Reads the settings file (absent is fine). `insecure` adds registries
    /// named by `--insecure` flags.
    pub fn load(insecure: &[String]) -> anyhow::Result<Settings> {
        let path = std::env::var_os("LAYERKIT_REGISTRIES")
            .map(PathBuf::from)
            .unwrap_or_else(|| config_dir().join("registries.json"));
        let file: File = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).with_context(|| {
                format!(
                    "reading registry settings {}: expected JSON with registry-mirrors, mirrors, insecure-registries",
                    path.display()
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => File::default(),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let mut mirrors = file.mirrors;
        if !file.registry_mirrors.is_empty() {
            mirrors
                .entry(DOCKER_HUB.to_string())
                .or_default()
                .extend(file.registry_mirrors);
        }
        let certs_dirs = match std::env::var_os("LAYERKIT_CERTS_D") {
            Some(v) => std::env::split_paths(&v).collect(),
            None => vec![
                config_dir().join("certs.d"),
                PathBuf::from("/etc/docker/certs.d"),
                PathBuf::from("/etc/containers/certs.d"),
            ],
        };
        let mut all_insecure = file.insecure_registries;
        all_insecure.extend(insecure.iter().cloned());
        Ok(Settings {
            mirrors,
            insecure: all_insecure
                .into_iter()
                .map(|s| host_of(&s).trim_end_matches('/').to_string())
                .collect(),
            certs_dirs,
        })
    }

    /// Whether to skip certificate verification for `host`: when it is
    /// listed as insecure, or is local and has no CA of its own in
    /// certs.d (a CA put there for it is used, even for localhost).
    pub fn skip_verify(&self, host: &str) -> bool {
        self.is_listed_insecure(host)
            || (is_local(strip_port(&host.to_ascii_lowercase())) && self.ca_files(host).is_empty())
    }

    fn is_listed_insecure(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        let name = strip_port(&host);
        let ip: Option<IpAddr> = name.trim_matches(['[', ']']).parse().ok();
        self.insecure.iter().any(|entry| {
            if entry == &host || entry == name || (entry == "docker.io" && name == DOCKER_HUB_API) {
                return true;
            }
            match (ip, entry.split_once('/')) {
                (Some(ip), Some((net, bits))) => in_cidr(ip, net, bits),
                _ => false,
            }
        })
    }

    /// The CA files for `host`, from every certs.d directory.
    pub fn ca_files(&self, host: &str) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for dir in &self.certs_dirs {
            let d = dir.join(host);
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            let mut files: Vec<PathBuf> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "crt"))
                .collect();
            files.sort();
            out.extend(files);
        }
        out
    }

    /// A client certificate and its key for `host` (`*.cert` and the
    /// `*.key` of the same name in certs.d), as docker uses for mutual TLS.
    pub fn client_cert(&self, host: &str) -> Option<(PathBuf, PathBuf)> {
        for dir in &self.certs_dirs {
            let Ok(entries) = std::fs::read_dir(dir.join(host)) else {
                continue;
            };
            let mut certs: Vec<PathBuf> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "cert"))
                .collect();
            certs.sort();
            if let Some(c) = certs
                .into_iter()
                .find(|c| c.with_extension("key").is_file())
            {
                let key = c.with_extension("key");
                return Some((c, key));
            }
        }
        None
    }

    /// Mirrors configured for a registry.
    pub fn mirrors(&self, registry: &str) -> &[String] {
        self.mirrors.get(registry).map_or(&[], Vec::as_slice)
    }
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host
            .split_once(']')
            .map_or(host, |(h, _)| &h[..h.len()])
            .trim_start_matches('[');
    }
    match host.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

fn is_local(name: &str) -> bool {
    name == "localhost"
        || name == "::1"
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn in_cidr(ip: IpAddr, net: &str, bits: &str) -> bool {
    let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>()) else {
        return false;
    };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) if bits <= 32 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) if bits <= 128 => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

/// A client for `registry` (`docker.io`, `host:port`) with its mirrors and
/// the stored credentials for each endpoint.
pub fn client(settings: &Arc<Settings>, registry: &str) -> anyhow::Result<Client<Native>> {
    let credential = credentials::lookup(registry)?;
    client_with(settings, registry, credential)
}

/// A client for `registry` itself, without its mirrors: for deletes,
/// whose digest must come from the registry that deletes.
pub fn origin_client(settings: &Arc<Settings>, registry: &str) -> anyhow::Result<Client<Native>> {
    let credential = credentials::lookup(registry)?;
    let mut c = client_with(settings, registry, credential)?;
    c.drop_mirrors();
    Ok(c)
}

/// A client for `registry` logging in with `credential`.
pub fn client_with(
    settings: &Arc<Settings>,
    registry: &str,
    credential: Option<layerkit::registry::Credential>,
) -> anyhow::Result<Client<Native>> {
    let api = if registry == DOCKER_HUB {
        DOCKER_HUB_API
    } else {
        registry
    };
    let mut endpoints = Vec::new();
    for m in settings.mirrors(registry) {
        let base = if m.contains("://") {
            m.trim_end_matches('/').to_string()
        } else {
            format!("https://{}", m.trim_end_matches('/'))
        };
        let host = host_of(&base);
        let mut e = Endpoint::mirror(base);
        e.http_fallback = settings.skip_verify(&host);
        e.credential = credentials::lookup(&host).ok().flatten();
        endpoints.push(e);
    }
    let mut origin = Endpoint::registry(format!("https://{api}"));
    origin.http_fallback = settings.skip_verify(api);
    origin.credential = credential;
    endpoints.push(origin);
    Ok(Client::new(
        Native::new(settings.clone()),
        registry,
        endpoints,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insecure_like_docker() {
        let s = Settings {
            insecure: vec!["reg.lan:5000".into(), "10.0.0.0/8".into()],
            ..Settings::default()
        };
        assert!(s.skip_verify("localhost:5000"));
        assert!(s.skip_verify("127.0.0.1:41234"));
        assert!(s.skip_verify("127.8.9.1"));
        assert!(s.skip_verify("[::1]:5000"));
        assert!(s.skip_verify("reg.lan:5000"));
        assert!(!s.skip_verify("reg.lan:5001"));
        assert!(s.skip_verify("10.1.2.3:443"));
        assert!(!s.skip_verify("11.1.2.3"));
        assert!(!s.skip_verify("ghcr.io"));
    }
}
