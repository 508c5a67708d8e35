//! Changing an image config with Dockerfile instructions, as `docker commit
//! --change` and `docker import --change` do.
//!
//! Each change is Dockerfile text (`CMD ["nginx"]`, `ENV A=1 B=2`), parsed
//! by this crate's BuildKit-exact parser and applied in order:
//!
//! | instruction   | effect on the config                                          |
//! |---------------|---------------------------------------------------------------|
//! | `CMD`         | `Cmd`; shell form runs under `Shell` (default `/bin/sh -c`)   |
//! | `ENTRYPOINT`  | `Entrypoint`; also clears `Cmd` unless a `CMD` came earlier   |
//! | `ENV`         | sets or replaces `KEY=value` in `Env`                          |
//! | `EXPOSE`      | adds `port/proto` to `ExposedPorts` (ranges expanded)          |
//! | `LABEL`       | sets `Labels`                                                  |
//! | `USER`        | `User`                                                         |
//! | `VOLUME`      | adds to `Volumes`                                              |
//! | `WORKDIR`     | `WorkingDir`, relative paths resolved against the current one |
//! | `STOPSIGNAL`  | `StopSignal`                                                   |
//! | `HEALTHCHECK` | `Healthcheck` (`NONE` disables an inherited one)               |
//! | `ONBUILD`     | appends the trigger to `OnBuild`                               |
//!
//! As in Docker, `$VAR` in `ENV`, `LABEL`, `EXPOSE`, `USER`, `VOLUME`,
//! `WORKDIR` and `STOPSIGNAL` is replaced with the value in the image's
//! `Env` at that point; `CMD`, `ENTRYPOINT` and `HEALTHCHECK` are left to the
//! shell at run time. Any other instruction is refused, with Docker's message.

use std::collections::BTreeMap;

use crate::dockerfile::shell::Lex;
use crate::dockerfile::{self, HealthcheckKind, InstructionKind, Severity};
use crate::oci::{ContainerConfig, HealthConfig, ImageConfig};

/// Why a change cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MutateError {
    #[error("change {change:?}: {message}")]
    Parse { change: String, message: String },
    #[error("{keyword} is not a valid change command (valid: CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)")]
    NotAllowed { keyword: String },
    #[error("change {change:?}: {message}")]
    Invalid { change: String, message: String },
}

/// Applies Dockerfile-instruction `changes` to `config`, in order.
///
/// ```
/// use layerkit::image::mutate::apply_changes;
/// use layerkit::oci::ImageConfig;
/// let mut c = ImageConfig::default();
/// apply_changes(&mut c, &["ENV A=1", "CMD echo $A"]).unwrap();
/// let cc = c.config.unwrap();
/// assert_eq!(cc.env.unwrap(), ["A=1"]);
/// assert_eq!(cc.cmd.unwrap(), ["/bin/sh", "-c", "echo $A"]);
/// ```
pub fn apply_changes<S: AsRef<str>>(
    config: &mut ImageConfig,
    changes: &[S],
) -> Result<(), MutateError> {
    let mut cmd_set = false;
    for change in changes {
        let change = change.as_ref();
        if change.trim().is_empty() {
            continue;
        }
        // One change is a one-line Dockerfile; a FROM in front makes it a
        // stage so the typed instructions come out.
        let text = format!("FROM scratch\n{change}\n");
        let df = dockerfile::parse(&text);
        let parse_err = |message: String| MutateError::Parse {
            change: change.to_string(),
            message,
        };
        if let Some(d) = df
            .diagnostics
            .iter()
            .find(|d| d.severity == Severity::Error)
        {
            return Err(parse_err(d.message.clone()));
        }
        // Refuse what Docker refuses before looking at arguments.
        for node in df.nodes.iter().skip(1) {
            let kw = node.keyword.to_ascii_lowercase();
            if !matches!(
                kw.as_str(),
                "cmd"
                    | "entrypoint"
                    | "env"
                    | "expose"
                    | "healthcheck"
                    | "label"
                    | "onbuild"
                    | "stopsignal"
                    | "user"
                    | "volume"
                    | "workdir"
            ) {
                return Err(MutateError::NotAllowed { keyword: kw });
            }
        }
        let typed = df.instructions();
        if let Some(d) = typed
            .diagnostics
            .iter()
            .find(|d| d.severity == Severity::Error)
        {
            return Err(parse_err(d.message.clone()));
        }
        for item in typed.items.iter().skip(1) {
            apply_one(config, &item.kind, change, df.escape, &mut cmd_set)?;
        }
    }
    Ok(())
}

fn apply_one(
    config: &mut ImageConfig,
    kind: &InstructionKind,
    change: &str,
    escape: char,
    cmd_set: &mut bool,
) -> Result<(), MutateError> {
    let c = config.config.get_or_insert_with(ContainerConfig::default);
    let env: Vec<(String, String)> = c
        .env
        .iter()
        .flatten()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (kv.clone(), String::new()),
        })
        .collect();
    let lex = Lex::new(escape);
    let invalid = |message: String| MutateError::Invalid {
        change: change.to_string(),
        message,
    };
    let word = |w: &str| {
        lex.process_word(w, &env)
            .map_err(|e| invalid(e.to_string()))
    };
    let shell = |c: &ContainerConfig| {
        c.shell
            .clone()
            .unwrap_or_else(|| vec!["/bin/sh".into(), "-c".into()])
    };
    match kind {
        InstructionKind::Cmd(cmd) => {
            c.cmd = Some(if cmd.shell {
                let mut s = shell(c);
                s.push(cmd.args.join(" "));
                s
            } else {
                cmd.args.clone()
            });
            *cmd_set = true;
        }
        InstructionKind::Entrypoint(ep) => {
            c.entrypoint = Some(if ep.shell {
                let mut s = shell(c);
                s.push(ep.args.join(" "));
                s
            } else {
                ep.args.clone()
            });
            if !*cmd_set {
                c.cmd = None;
            }
        }
        InstructionKind::Env(e) => {
            let mut env = env;
            let mut list = c.env.take().unwrap_or_default();
            for pair in &e.pairs {
                let key = lex
                    .process_word(&pair.key, &env)
                    .map_err(|e| invalid(e.to_string()))?;
                let value = lex
                    .process_word(&pair.value, &env)
                    .map_err(|e| invalid(e.to_string()))?;
                let entry = format!("{key}={value}");
                match list
                    .iter_mut()
                    .find(|kv| kv.split_once('=').map_or(kv.as_str(), |p| p.0) == key)
                {
                    Some(slot) => *slot = entry,
                    None => list.push(entry),
                }
                env.retain(|(k, _)| *k != key);
                env.push((key, value));
            }
            c.env = Some(list);
        }
        InstructionKind::Label(l) => {
            let labels = c.labels.get_or_insert_with(BTreeMap::new);
            for pair in &l.pairs {
                labels.insert(word(&pair.key)?, word(&pair.value)?);
            }
        }
        InstructionKind::Expose(e) => {
            let ports = c.exposed_ports.get_or_insert_with(BTreeMap::new);
            for p in &e.ports {
                for spec in word(p)?.split_whitespace() {
                    for port in expand_port(spec).map_err(invalid)? {
                        ports.insert(port, serde_json::json!({}));
                    }
                }
            }
        }
        InstructionKind::User(u) => c.user = Some(word(&u.user)?),
        InstructionKind::Volume(v) => {
            let vols = c.volumes.get_or_insert_with(BTreeMap::new);
            for p in &v.paths {
                let p = word(p)?;
                if p.trim().is_empty() {
                    return Err(invalid(
                        "VOLUME specified can not be an empty string".into(),
                    ));
                }
                vols.insert(p, serde_json::json!({}));
            }
        }
        InstructionKind::Workdir(w) => {
            let requested = word(&w.path)?;
            let current = c.working_dir.clone().unwrap_or_default();
            let joined = if requested.starts_with('/') {
                requested
            } else {
                format!("/{current}/{requested}")
            };
            c.working_dir = Some(clean_abs(&joined));
        }
        InstructionKind::StopSignal(s) => {
            let sig = word(&s.signal)?;
            if !valid_signal(&sig) {
                return Err(invalid(format!("Invalid signal: {sig}")));
            }
            c.stop_signal = Some(sig);
        }
        InstructionKind::Healthcheck(h) => {
            c.healthcheck = Some(match &h.check {
                HealthcheckKind::None => HealthConfig {
                    test: Some(vec!["NONE".into()]),
                    ..HealthConfig::default()
                },
                HealthcheckKind::Cmd { .. } => HealthConfig {
                    test: Some(h.test()),
                    interval: h.interval.filter(|&d| d != 0),
                    timeout: h.timeout.filter(|&d| d != 0),
                    start_period: h.start_period.filter(|&d| d != 0),
                    start_interval: h.start_interval.filter(|&d| d != 0),
                    retries: h.retries.filter(|&r| r != 0),
                },
            });
        }
        InstructionKind::Onbuild(o) => {
            c.on_build
                .get_or_insert_with(Vec::new)
                .push(o.expression.clone());
        }
        other => {
            let kw = serde_json::to_value(other)
                .ok()
                .and_then(|v| v.get("instruction")?.as_str().map(str::to_lowercase))
                .unwrap_or_default();
            return Err(MutateError::NotAllowed { keyword: kw });
        }
    }
    Ok(())
}

/// `80` → `80/tcp`; `8000-8002/udp` → three ports.
fn expand_port(spec: &str) -> Result<Vec<String>, String> {
    let (ports, proto) = match spec.split_once('/') {
        Some((p, proto)) => (p, proto.to_ascii_lowercase()),
        None => (spec, "tcp".to_string()),
    };
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!("invalid proto: {proto}"));
    }
    if ports.contains(':') {
        return Err(format!(
            "invalid containerPort: {spec}: EXPOSE takes container ports only"
        ));
    }
    let parse = |p: &str| {
        p.parse::<u16>()
            .map_err(|_| format!("invalid containerPort: {p}"))
    };
    let (lo, hi) = match ports.split_once('-') {
        Some((a, b)) => (parse(a)?, parse(b)?),
        None => (parse(ports)?, parse(ports)?),
    };
    if hi < lo {
        return Err(format!("invalid range specified for port: {ports}"));
    }
    Ok((lo..=hi).map(|p| format!("{p}/{proto}")).collect())
}

fn clean_abs(p: &str) -> String {
    let clean = super::layer_builder::clean_path(p);
    format!("/{clean}")
}

fn valid_signal(s: &str) -> bool {
    if let Ok(n) = s.parse::<u32>() {
        return (1..=64).contains(&n);
    }
    let name = s.strip_prefix("SIG").unwrap_or(s);
    const NAMES: [&str; 31] = [
        "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT",
        "KILL", "PIPE", "POLL", "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM",
        "TRAP", "TSTP", "TTIN", "TTOU", "URG", "USR1", "USR2", "WINCH",
    ];
    NAMES.contains(&name)
        || ["XCPU", "XFSZ", "VTALRM", "UNUSED"].contains(&name)
        || name
            .strip_prefix("RTMIN")
            .or_else(|| name.strip_prefix("RTMAX"))
            .is_some_and(|r| {
                r.is_empty()
                    || (r.len() > 1
                        && (r.starts_with('+') || r.starts_with('-'))
                        && r[1..].parse::<u8>().is_ok())
            })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(changes: &[&str]) -> ContainerConfig {
        let mut c = ImageConfig::default();
        apply_changes(&mut c, changes).unwrap();
        c.config.unwrap()
    }

    #[test]
    fn matches_what_docker_import_change_does() {
        // Compared with `docker import --change … ` on Docker 20.10.
        let c = apply(&[
            r#"ENV A=1 B="two words""#,
            "CMD echo $A",
            "EXPOSE 80 8000-8001/udp",
            "WORKDIR app",
            r#"ENTRYPOINT ["/bin/x"]"#,
            "HEALTHCHECK --interval=5s CMD true",
            "ONBUILD run echo",
            "VOLUME /data",
            r#"LABEL a=b "c d"=e"#,
            "USER 1:2",
        ]);
        assert_eq!(c.env.unwrap(), ["A=1", "B=two words"]);
        assert_eq!(c.cmd.unwrap(), ["/bin/sh", "-c", "echo $A"]);
        assert_eq!(
            c.exposed_ports.unwrap().keys().collect::<Vec<_>>(),
            ["80/tcp", "8000/udp", "8001/udp"]
        );
        assert_eq!(c.working_dir.unwrap(), "/app");
        assert_eq!(c.entrypoint.unwrap(), ["/bin/x"]);
        let h = c.healthcheck.unwrap();
        assert_eq!(h.test.unwrap(), ["CMD-SHELL", "true"]);
        assert_eq!(h.interval, Some(5_000_000_000));
        assert_eq!(h.timeout, None);
        assert_eq!(c.on_build.unwrap(), ["run echo"]);
        assert!(c.volumes.unwrap().contains_key("/data"));
        let labels = c.labels.unwrap();
        assert_eq!(labels["a"], "b");
        assert_eq!(labels["c d"], "e");
        assert_eq!(c.user.unwrap(), "1:2");
    }

    #[test]
    fn env_expansion_and_workdir_resolution() {
        let c = apply(&["WORKDIR /a", "WORKDIR b", "ENV P=$PATH:/x", "ENV P=${P}y"]);
        assert_eq!(c.working_dir.unwrap(), "/a/b");
        assert_eq!(c.env.unwrap(), ["P=:/xy"]);
    }

    #[test]
    fn entrypoint_clears_an_inherited_cmd() {
        let mut config = ImageConfig::default();
        apply_changes(&mut config, &[r#"CMD ["sh"]"#]).unwrap();
        apply_changes(&mut config, &[r#"ENTRYPOINT ["/x"]"#]).unwrap();
        assert_eq!(config.config.as_ref().unwrap().cmd, None);
        let c = apply(&[r#"CMD ["a"]"#, r#"ENTRYPOINT ["/x"]"#]);
        assert_eq!(c.cmd.unwrap(), ["a"]);
    }

    #[test]
    fn refuses_other_instructions_like_docker() {
        let mut c = ImageConfig::default();
        let e = apply_changes(&mut c, &["RUN x"]).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("run is not a valid change command"),
            "{e}"
        );
        let e = apply_changes(&mut c, &["FROM x"]).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("from is not a valid change command"));
        assert!(apply_changes(&mut c, &["EXPOSE 80/xyz"]).is_err());
        assert!(apply_changes(&mut c, &["STOPSIGNAL NOPE"]).is_err());
        assert!(apply_changes(&mut c, &["CMD [\"unterminated"]).is_ok());
        apply_changes(&mut c, &["STOPSIGNAL SIGRTMIN+3", "HEALTHCHECK NONE"]).unwrap();
        let cc = c.config.unwrap();
        assert_eq!(cc.stop_signal.as_deref(), Some("SIGRTMIN+3"));
        assert_eq!(cc.healthcheck.unwrap().test.unwrap(), ["NONE"]);
    }
}
