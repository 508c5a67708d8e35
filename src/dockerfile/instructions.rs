//! Typed instructions: one struct per Dockerfile instruction, checked as
//! BuildKit's `instructions` package checks them (argument counts, allowed
//! flags, value formats), and grouped into build stages.
//!
//! Values are as written: variables are not expanded here (see
//! [`super::expand`]), so `FROM $BASE` has `image == "$BASE"`.

use std::ops::Range;

use serde::Serialize;

use super::syntax::{go_quote, go_to_lower, go_to_upper, Node};
use super::{parse_heredoc, Diagnostic, Dockerfile, Severity};
use crate::span::Span;

/// A `--name[=value]` flag of an instruction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flag {
    pub name: String,
    pub value: Option<String>,
}

/// `KEY=value` of `ENV` and `LABEL`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyValue {
    pub key: String,
    /// As written: quotes and escapes not yet processed.
    pub value: String,
    /// Written in the legacy `ENV key value` form.
    pub legacy: bool,
}

/// One name of an `ARG`, with its default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArgPair {
    pub key: String,
    pub default: Option<String>,
}

/// A file given inline by a heredoc (`COPY <<EOF /dst`, `RUN <<EOF`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceFile {
    /// The heredoc delimiter; for COPY/ADD the file name.
    pub name: String,
    /// The body, leading tabs removed for `<<-`.
    pub data: String,
    /// Variables in the body are expanded.
    pub expand: bool,
}

/// `FROM [--platform=p] image [AS name]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct From {
    pub image: String,
    /// The stage name, lower case (`AS Build` names the stage `build`).
    pub name: Option<String>,
    /// The stage name as written.
    pub name_as_written: Option<String>,
    /// The `AS` keyword as written.
    pub as_keyword: Option<String>,
    pub platform: Option<String>,
}

/// One `--mount` of `RUN`: `type=cache,target=/root/.cache,…`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunMount {
    /// The fields in order, keys lower case, `key` alone has an empty value.
    pub fields: Vec<(String, String)>,
}

impl RunMount {
    /// The mount type: `bind` when not given.
    pub fn kind(&self) -> &str {
        self.get("type").unwrap_or("bind")
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Where it is mounted (`target`, `dst` or `destination`).
    pub fn target(&self) -> Option<&str> {
        self.get("target")
            .or_else(|| self.get("dst"))
            .or_else(|| self.get("destination"))
    }
}

/// `RUN [--mount=…] [--network=…] [--security=…] command` (shell form) or
/// `RUN ["exe", "arg"]` (exec form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Run {
    /// Exec form: the argv. Shell form: one element, the command line.
    pub args: Vec<String>,
    /// Shell form: run with the stage's `SHELL` (default `/bin/sh -c`).
    pub shell: bool,
    pub mounts: Vec<RunMount>,
    pub network: Option<String>,
    pub security: Option<String>,
    pub heredocs: Vec<SourceFile>,
}

/// `CMD command` or `CMD ["exe", "arg"]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cmd {
    pub args: Vec<String>,
    pub shell: bool,
}

/// `ENTRYPOINT command` or `ENTRYPOINT ["exe", "arg"]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entrypoint {
    pub args: Vec<String>,
    pub shell: bool,
}

/// `COPY [--from=stage] [--chown=u:g] [--chmod=m] [--link] [--parents]
/// [--exclude=p] src… dest`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Copy {
    pub sources: Vec<String>,
    pub dest: String,
    pub heredocs: Vec<SourceFile>,
    pub from: Option<String>,
    pub chown: Option<String>,
    pub chmod: Option<String>,
    pub link: bool,
    pub parents: bool,
    pub exclude: Vec<String>,
}

/// `ADD [--chown] [--chmod] [--link] [--checksum=d] [--keep-git-dir]
/// [--unpack] [--exclude=p] src… dest`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Add {
    pub sources: Vec<String>,
    pub dest: String,
    pub heredocs: Vec<SourceFile>,
    pub chown: Option<String>,
    pub chmod: Option<String>,
    pub link: bool,
    pub checksum: Option<String>,
    pub keep_git_dir: Option<bool>,
    pub unpack: Option<bool>,
    pub exclude: Vec<String>,
}

/// `ENV key=value …` or `ENV key value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Env {
    pub pairs: Vec<KeyValue>,
}

/// `ARG name[=default] …`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Arg {
    pub pairs: Vec<ArgPair>,
}

/// `LABEL key=value …`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Label {
    pub pairs: Vec<KeyValue>,
}

/// `EXPOSE port[/proto] …`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expose {
    /// In the order written.
    pub ports: Vec<String>,
}

/// `USER user[:group]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub user: String,
}

/// `WORKDIR path`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Workdir {
    pub path: String,
}

/// `VOLUME path …` or `VOLUME ["path", …]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Volume {
    pub paths: Vec<String>,
    pub json: bool,
}

/// `STOPSIGNAL signal`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StopSignal {
    pub signal: String,
}

/// What a `HEALTHCHECK` does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum HealthcheckKind {
    /// `HEALTHCHECK NONE`: turn off a check inherited from the base image.
    None,
    /// `HEALTHCHECK [options] CMD command`.
    Cmd { args: Vec<String>, shell: bool },
}

/// `HEALTHCHECK [--interval=d] [--timeout=d] [--start-period=d]
/// [--start-interval=d] [--retries=n] CMD command` or `HEALTHCHECK NONE`.
/// Durations are in nanoseconds, as in an image config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Healthcheck {
    pub check: HealthcheckKind,
    pub interval: Option<i64>,
    pub timeout: Option<i64>,
    pub start_period: Option<i64>,
    pub start_interval: Option<i64>,
    pub retries: Option<i64>,
}

impl Healthcheck {
    /// The `Test` array of an image config: `["NONE"]`,
    /// `["CMD", exe, args…]` or `["CMD-SHELL", command]`.
    pub fn test(&self) -> Vec<String> {
        match &self.check {
            HealthcheckKind::None => vec!["NONE".into()],
            HealthcheckKind::Cmd { args, shell } => {
                let kind = if *shell { "CMD-SHELL" } else { "CMD" };
                std::iter::once(kind.to_string())
                    .chain(args.iter().cloned())
                    .collect()
            }
        }
    }
}

/// `SHELL ["exe", "arg"]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shell {
    pub shell: Vec<String>,
}

/// `ONBUILD instruction`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Onbuild {
    /// The trigger's keyword, upper case.
    pub keyword: String,
    /// The trigger instruction's text (with heredocs appended), as stored in
    /// an image config's `OnBuild`.
    pub expression: String,
}

/// `MAINTAINER name` (deprecated; use a label).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Maintainer {
    pub name: String,
}

/// Each instruction with its own data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "instruction", rename_all = "UPPERCASE")]
pub enum InstructionKind {
    From(From),
    Run(Run),
    Cmd(Cmd),
    Entrypoint(Entrypoint),
    Copy(Copy),
    Add(Add),
    Env(Env),
    Arg(Arg),
    Label(Label),
    Expose(Expose),
    User(User),
    Workdir(Workdir),
    Volume(Volume),
    #[serde(rename = "STOPSIGNAL")]
    StopSignal(StopSignal),
    Healthcheck(Healthcheck),
    Shell(Shell),
    Onbuild(Onbuild),
    Maintainer(Maintainer),
}

/// A typed instruction and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Instruction {
    /// Index of its node in [`Dockerfile::nodes`].
    pub node: usize,
    pub span: Span,
    pub flags: Vec<Flag>,
    #[serde(flatten)]
    pub kind: InstructionKind,
}

/// A build stage: a `FROM` and the instructions up to the next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stage {
    /// 0-based position among the stages.
    pub index: usize,
    /// Index of its `FROM` in [`Instructions::items`].
    pub from: usize,
    /// The stage name, lower case.
    pub name: Option<String>,
    /// The base: an image reference or an earlier stage's name (unexpanded).
    pub base: String,
    pub platform: Option<String>,
    /// The stage's instructions after `FROM`, as indices in
    /// [`Instructions::items`].
    pub items: Range<usize>,
}

/// The typed instructions of a Dockerfile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Instructions {
    /// Every instruction that checked out, in order.
    pub items: Vec<Instruction>,
    /// Indices (in `items`) of the `ARG`s before the first `FROM`.
    pub meta_args: Vec<usize>,
    pub stages: Vec<Stage>,
    /// Errors in instructions, as `docker build` reports them.
    pub diagnostics: Vec<Diagnostic>,
}

impl Instructions {
    /// The stage named `name` (case-insensitive) or numbered `name`.
    pub fn stage(&self, name: &str) -> Option<&Stage> {
        let lower = go_to_lower(name);
        self.stages
            .iter()
            .find(|s| s.name.as_deref() == Some(lower.as_str()))
            .or_else(|| name.parse::<usize>().ok().and_then(|i| self.stages.get(i)))
    }

    /// The stage an item belongs to.
    pub fn stage_of(&self, item: usize) -> Option<&Stage> {
        self.stages
            .iter()
            .find(|s| s.from == item || s.items.contains(&item))
    }
}

const INSTRUCTIONS: [&str; 18] = [
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// Levenshtein distance, for "did you mean" suggestions.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest option within distance 2, BuildKit's suggestion rule.
pub(crate) fn suggest<'a>(
    value: &str,
    options: impl IntoIterator<Item = &'a str>,
    case_sensitive: bool,
) -> Option<String> {
    let v = if case_sensitive {
        value.to_string()
    } else {
        go_to_lower(value)
    };
    let mut best: Option<(usize, String)> = None;
    for opt in options {
        let o = if case_sensitive {
            opt.to_string()
        } else {
            go_to_lower(opt)
        };
        if o == v {
            return None;
        }
        let d = distance(&v, &o);
        if d < best.as_ref().map_or(3, |b| b.0) {
            let shown = if case_sensitive || value == go_to_lower(value) {
                o
            } else if value == go_to_upper(value) {
                go_to_upper(&o)
            } else {
                o
            };
            best = Some((d, shown));
        }
    }
    best.map(|b| b.1)
}

/// How a flag takes its value.
#[derive(Clone, Copy, PartialEq)]
enum FlagType {
    Bool,
    String,
    Strings,
}

/// Checks an instruction's flags against the ones it accepts, as BuildKit's
/// `BFlags.Parse` does.
fn check_flags(raw: &[String], allowed: &[(&str, FlagType)]) -> Result<Vec<Flag>, String> {
    let mut out: Vec<Flag> = Vec::new();
    for a in raw {
        if a == "--" {
            break;
        }
        let Some(body) = a.strip_prefix("--") else {
            return Err(format!("arg should start with -- : {a}"));
        };
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (body, None),
        };
        let Some(&(_, ty)) = allowed.iter().find(|(n, _)| *n == name) else {
            let mut msg = format!("unknown flag: --{name}");
            if let Some(s) = suggest(name, allowed.iter().map(|a| a.0), true) {
                msg.push_str(&format!(" (did you mean {s}?)"));
            }
            return Err(msg);
        };
        if ty != FlagType::Strings && out.iter().any(|f| f.name == name) {
            return Err(format!("duplicate flag specified: --{name}"));
        }
        let value = match ty {
            FlagType::Bool => {
                if value == Some("") {
                    return Err(format!("missing a value on flag: --{name}"));
                }
                match value.map(go_to_lower).as_deref() {
                    None | Some("true") => "true".to_string(),
                    Some("false") => "false".to_string(),
                    Some(_) => {
                        return Err(format!(
                            "expecting boolean value for flag --{name}, not: {}",
                            value.unwrap_or_default()
                        ))
                    }
                }
            }
            FlagType::String | FlagType::Strings => match value {
                Some(v) => v.to_string(),
                None => return Err(format!("missing a value on flag: --{name}")),
            },
        };
        out.push(Flag {
            name: name.to_string(),
            value: Some(value),
        });
    }
    Ok(out)
}

fn flag<'a>(flags: &'a [Flag], name: &str) -> Option<&'a str> {
    flags
        .iter()
        .rev()
        .find(|f| f.name == name)
        .and_then(|f| f.value.as_deref())
}

fn flag_all(flags: &[Flag], name: &str) -> Vec<String> {
    flags
        .iter()
        .filter(|f| f.name == name)
        .filter_map(|f| f.value.clone())
        .collect()
}

fn bool_flag(flags: &[Flag], name: &str) -> Option<bool> {
    flag(flags, name).map(|v| v == "true")
}

fn at_least_one(cmd: &str) -> String {
    format!("{cmd} requires at least one argument")
}

fn exactly_one(cmd: &str) -> String {
    format!("{cmd} requires exactly one argument")
}

/// Parses Go's `time.ParseDuration` syntax into nanoseconds.
pub(crate) fn parse_duration(s: &str) -> Result<i64, String> {
    let bad = || format!("time: invalid duration {}", go_quote(s));
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num = &rest[..num_len];
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return Err(bad());
        }
        let value: f64 = num.parse().map_err(|_| bad())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(format!("time: missing unit in duration {}", go_quote(s))),
            u => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    go_quote(u),
                    go_quote(s)
                ))
            }
        };
        rest = &rest[unit_len..];
        total += value * unit;
    }
    if total > i64::MAX as f64 {
        return Err(bad());
    }
    let n = total as i64;
    Ok(if neg { -n } else { n })
}

fn interval(flags: &[Flag], name: &str) -> Result<Option<i64>, String> {
    let Some(v) = flag(flags, name).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let d = parse_duration(v)?;
    if d == 0 {
        return Ok(Some(0));
    }
    if d < 1_000_000 {
        return Err(format!("Interval \"{name}\" cannot be less than 1ms"));
    }
    Ok(Some(d))
}

/// Splits a `--mount` value as Go's `encoding/csv` reads one record.
fn csv_fields(s: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    let mut at_start = true;
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cur.push('"');
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
            continue;
        }
        match c {
            '"' if at_start => {
                quoted = true;
                at_start = false;
            }
            '"' => return Err(format!("parse error: bare \" in non-quoted field: {s}")),
            ',' => {
                fields.push(std::mem::take(&mut cur));
                at_start = true;
            }
            c => {
                cur.push(c);
                at_start = false;
            }
        }
    }
    if quoted {
        return Err(format!(
            "parse error: extraneous or missing \" in quoted field: {s}"
        ));
    }
    fields.push(cur);
    Ok(fields)
}

fn parse_mount(value: &str) -> Result<RunMount, String> {
    let mut fields = Vec::new();
    for field in csv_fields(value)? {
        let (k, v) = match field.split_once('=') {
            Some((k, v)) => (go_to_lower(k.trim()), v.to_string()),
            None => (go_to_lower(field.trim()), String::new()),
        };
        if k.is_empty() {
            continue;
        }
        let known = [
            "type",
            "from",
            "source",
            "src",
            "target",
            "dst",
            "destination",
            "readonly",
            "ro",
            "readwrite",
            "rw",
            "required",
            "size",
            "id",
            "sharing",
            "mode",
            "uid",
            "gid",
            "env",
        ];
        if !known.contains(&k.as_str()) {
            return Err(format!("unexpected key '{k}' in '{field}'"));
        }
        if k == "type" && !["bind", "cache", "tmpfs", "secret", "ssh"].contains(&v.as_str()) {
            return Err(format!("unsupported mount type {}", go_quote(&v)));
        }
        fields.push((k, v));
    }
    Ok(RunMount { fields })
}

/// Splits `COPY`/`ADD` arguments into sources, heredoc files and dest.
fn sources_and_dest(
    node: &Node,
    args: &[String],
    cmd: &str,
) -> Result<(Vec<String>, Vec<SourceFile>, String), String> {
    let Some((dest, srcs)) = args.split_last().filter(|(_, s)| !s.is_empty()) else {
        return Err(format!(
            "{cmd} requires at least two arguments, but only one was provided. Destination could not be determined"
        ));
    };
    if matches!(parse_heredoc(dest), Ok(Some(_))) {
        return Err(format!("{cmd} cannot accept a heredoc as a destination"));
    }
    let mut paths = Vec::new();
    let mut files = Vec::new();
    for src in srcs {
        match parse_heredoc(src) {
            Ok(Some(h)) => {
                let body = node.heredocs.iter().find(|b| b.name == h.name);
                let mut data = body.map(|b| b.content.clone()).unwrap_or_default();
                if h.chomp {
                    data = data
                        .split_inclusive('\n')
                        .map(|l| l.trim_start_matches('\t'))
                        .collect();
                }
                files.push(SourceFile {
                    name: h.name,
                    data,
                    expand: h.expand,
                });
            }
            _ => paths.push(src.clone()),
        }
    }
    Ok((paths, files, dest.clone()))
}

fn run_heredocs(node: &Node) -> Vec<SourceFile> {
    node.heredocs
        .iter()
        .map(|h| SourceFile {
            name: h.name.clone(),
            data: h.content.clone(),
            expand: h.expand,
        })
        .collect()
}

/// Parses one node into a typed instruction.
pub(crate) fn parse_node(node: &Node) -> Result<(InstructionKind, Vec<Flag>), String> {
    // ONBUILD carries its trigger as a child; its arguments for checking
    // are the trigger's keyword and arguments.
    let args: Vec<String> = match &node.sub {
        Some(sub) => std::iter::once(sub.keyword.clone())
            .chain(sub.value.iter().cloned())
            .collect(),
        None => node.value.clone(),
    };
    let raw = &node.flags;
    use FlagType::{Bool, String as Str, Strings};
    let kind = match node.lower().as_str() {
        "from" => {
            let flags = check_flags(raw, &[("platform", Str)])?;
            let (name, name_as_written, as_keyword) = match args.as_slice() {
                [_] => (None, None, None),
                [_, kw, name] if kw.eq_ignore_ascii_case("as") => {
                    let lower = go_to_lower(name);
                    let valid = lower.starts_with(|c: char| c.is_ascii_lowercase())
                        && lower.chars().all(|c| {
                            c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c)
                        });
                    if !valid {
                        return Err(format!(
                            "invalid name for build stage: {}, name can't start with a number or contain symbols",
                            go_quote(name)
                        ));
                    }
                    (Some(lower), Some(name.clone()), Some(kw.clone()))
                }
                _ => return Err("FROM requires either one or three arguments".into()),
            };
            let platform = flag(&flags, "platform").map(str::to_string);
            return Ok((
                InstructionKind::From(From {
                    image: args[0].clone(),
                    name,
                    name_as_written,
                    as_keyword,
                    platform,
                }),
                flags,
            ));
        }
        "run" => {
            let flags = check_flags(
                raw,
                &[
                    ("mount", Strings),
                    ("network", Str),
                    ("security", Str),
                    ("device", Strings),
                ],
            )?;
            let mounts = flag_all(&flags, "mount")
                .iter()
                .map(|m| parse_mount(m))
                .collect::<Result<Vec<_>, _>>()?;
            let network = flag(&flags, "network").map(str::to_string);
            if let Some(n) = &network {
                if !["default", "none", "host"].contains(&n.as_str()) {
                    return Err(format!("unsupported network mode {}", go_quote(n)));
                }
            }
            let security = flag(&flags, "security").map(str::to_string);
            if let Some(s) = &security {
                if !["sandbox", "insecure"].contains(&s.as_str()) {
                    return Err(format!("unsupported security mode {}", go_quote(s)));
                }
            }
            let run = Run {
                args,
                shell: !node.json,
                mounts,
                network,
                security,
                heredocs: run_heredocs(node),
            };
            return Ok((InstructionKind::Run(run), flags));
        }
        "cmd" => InstructionKind::Cmd(Cmd {
            args,
            shell: !node.json,
        }),
        "entrypoint" => InstructionKind::Entrypoint(Entrypoint {
            args,
            shell: !node.json,
        }),
        "copy" => {
            let flags = check_flags(
                raw,
                &[
                    ("chown", Str),
                    ("from", Str),
                    ("chmod", Str),
                    ("link", Bool),
                    ("exclude", Strings),
                    ("parents", Bool),
                ],
            )?;
            let (sources, heredocs, dest) = sources_and_dest(node, &args, "COPY")?;
            let copy = Copy {
                sources,
                dest,
                heredocs,
                from: flag(&flags, "from").map(str::to_string),
                chown: flag(&flags, "chown").map(str::to_string),
                chmod: flag(&flags, "chmod").map(str::to_string),
                link: bool_flag(&flags, "link").unwrap_or(false),
                parents: bool_flag(&flags, "parents").unwrap_or(false),
                exclude: flag_all(&flags, "exclude"),
            };
            return Ok((InstructionKind::Copy(copy), flags));
        }
        "add" => {
            let flags = check_flags(
                raw,
                &[
                    ("chown", Str),
                    ("chmod", Str),
                    ("link", Bool),
                    ("keep-git-dir", Bool),
                    ("checksum", Str),
                    ("unpack", Bool),
                    ("exclude", Strings),
                ],
            )?;
            let (sources, heredocs, dest) = sources_and_dest(node, &args, "ADD")?;
            let add = Add {
                sources,
                dest,
                heredocs,
                chown: flag(&flags, "chown").map(str::to_string),
                chmod: flag(&flags, "chmod").map(str::to_string),
                link: bool_flag(&flags, "link").unwrap_or(false),
                checksum: flag(&flags, "checksum").map(str::to_string),
                keep_git_dir: bool_flag(&flags, "keep-git-dir"),
                unpack: bool_flag(&flags, "unpack"),
                exclude: flag_all(&flags, "exclude"),
            };
            return Ok((InstructionKind::Add(add), flags));
        }
        "env" | "label" => {
            let cmd = if node.is("env") { "ENV" } else { "LABEL" };
            if args.is_empty() {
                return Err(at_least_one(cmd));
            }
            if args.len() % 3 != 0 {
                return Err(format!("Bad input to {cmd}, too many arguments"));
            }
            let mut pairs = Vec::new();
            for t in args.chunks(3) {
                if t[0].is_empty() {
                    return Err(format!("{cmd} names can not be blank"));
                }
                pairs.push(KeyValue {
                    key: t[0].clone(),
                    value: t[1].clone(),
                    legacy: t[2].is_empty(),
                });
            }
            check_flags(raw, &[])?;
            if cmd == "ENV" {
                InstructionKind::Env(Env { pairs })
            } else {
                InstructionKind::Label(Label { pairs })
            }
        }
        "arg" => {
            if args.is_empty() {
                return Err(at_least_one("ARG"));
            }
            let mut pairs = Vec::new();
            for a in &args {
                let (key, default) = match a.split_once('=') {
                    Some((k, v)) => (k.to_string(), Some(v.to_string())),
                    None => (a.clone(), None),
                };
                if key.is_empty() {
                    return Err("ARG names can not be blank".into());
                }
                pairs.push(ArgPair { key, default });
            }
            // BuildKit does not check ARG's flags.
            return Ok((InstructionKind::Arg(Arg { pairs }), Vec::new()));
        }
        "expose" => {
            if args.is_empty() {
                return Err(at_least_one("EXPOSE"));
            }
            check_flags(raw, &[])?;
            InstructionKind::Expose(Expose { ports: args })
        }
        "user" | "workdir" | "maintainer" => {
            let cmd = node.lower();
            if args.len() != 1 {
                return Err(exactly_one(&go_to_upper(&cmd)));
            }
            check_flags(raw, &[])?;
            let v = args[0].clone();
            match cmd.as_str() {
                "user" => InstructionKind::User(User { user: v }),
                "workdir" => InstructionKind::Workdir(Workdir { path: v }),
                _ => InstructionKind::Maintainer(Maintainer { name: v }),
            }
        }
        "volume" => {
            if args.is_empty() {
                return Err(at_least_one("VOLUME"));
            }
            check_flags(raw, &[])?;
            let mut paths = Vec::new();
            for v in &args {
                let v = v.trim();
                if v.is_empty() {
                    return Err("VOLUME specified can not be an empty string".into());
                }
                paths.push(v.to_string());
            }
            InstructionKind::Volume(Volume {
                paths,
                json: node.json,
            })
        }
        "stopsignal" => {
            if args.len() != 1 {
                return Err(exactly_one("STOPSIGNAL"));
            }
            // BuildKit does not check STOPSIGNAL's flags.
            return Ok((
                InstructionKind::StopSignal(StopSignal {
                    signal: args[0].clone(),
                }),
                Vec::new(),
            ));
        }
        "healthcheck" => {
            let Some(typ) = args.first() else {
                return Err(at_least_one("HEALTHCHECK"));
            };
            let typ = go_to_upper(typ);
            if typ == "NONE" {
                if args.len() != 1 {
                    return Err("HEALTHCHECK NONE takes no arguments".into());
                }
                let hc = Healthcheck {
                    check: HealthcheckKind::None,
                    interval: None,
                    timeout: None,
                    start_period: None,
                    start_interval: None,
                    retries: None,
                };
                return Ok((InstructionKind::Healthcheck(hc), Vec::new()));
            }
            let flags = check_flags(
                raw,
                &[
                    ("interval", Str),
                    ("timeout", Str),
                    ("start-period", Str),
                    ("start-interval", Str),
                    ("retries", Str),
                ],
            )?;
            if typ != "CMD" {
                return Err(format!(
                    "Unknown type {} in HEALTHCHECK (try CMD)",
                    go_quote(&typ)
                ));
            }
            let cmd: Vec<String> = args[1..].to_vec();
            if cmd.is_empty() {
                return Err("Missing command after HEALTHCHECK CMD".into());
            }
            let retries = match flag(&flags, "retries").filter(|v| !v.is_empty()) {
                None => None,
                Some(v) => {
                    let n: i64 = v
                        .parse()
                        .ok()
                        .filter(|n| i32::try_from(*n).is_ok())
                        .ok_or_else(|| {
                            format!("strconv.ParseInt: parsing {}: invalid syntax", go_quote(v))
                        })?;
                    if n < 0 {
                        return Err(format!("--retries cannot be negative ({n})"));
                    }
                    Some(n)
                }
            };
            let hc = Healthcheck {
                check: HealthcheckKind::Cmd {
                    args: cmd,
                    shell: !node.json,
                },
                interval: interval(&flags, "interval")?,
                timeout: interval(&flags, "timeout")?,
                start_period: interval(&flags, "start-period")?,
                start_interval: interval(&flags, "start-interval")?,
                retries,
            };
            return Ok((InstructionKind::Healthcheck(hc), flags));
        }
        "shell" => {
            check_flags(raw, &[])?;
            if args.is_empty() {
                return Err(at_least_one("SHELL"));
            }
            if !node.json {
                return Err(format!(
                    "SHELL requires the arguments to be in JSON form: {}",
                    node.original
                ));
            }
            InstructionKind::Shell(Shell { shell: args })
        }
        "onbuild" => {
            let Some(sub) = &node.sub else {
                return Err(at_least_one("ONBUILD"));
            };
            check_flags(raw, &[])?;
            let trigger = go_to_upper(sub.keyword.trim());
            match trigger.as_str() {
                "ONBUILD" => {
                    return Err("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed".into())
                }
                "MAINTAINER" | "FROM" => {
                    return Err(format!("{trigger} isn't allowed as an ONBUILD trigger"))
                }
                _ => {}
            }
            let mut expression = sub.original.clone();
            for h in &node.heredocs {
                expression.push('\n');
                expression.push_str(&h.content);
                expression.push_str(&h.name);
            }
            InstructionKind::Onbuild(Onbuild {
                keyword: trigger,
                expression,
            })
        }
        _ => {
            let mut msg = format!("unknown instruction: {}", node.keyword);
            if let Some(s) = suggest(&node.keyword, INSTRUCTIONS, false) {
                msg.push_str(&format!(" (did you mean {s}?)"));
            }
            return Err(msg);
        }
    };
    Ok((kind, Vec::new()))
}

pub(crate) fn from_dockerfile(df: &Dockerfile) -> Instructions {
    let mut out = Instructions::default();
    for (i, node) in df.nodes.iter().enumerate() {
        match parse_node(node) {
            Ok((kind, flags)) => {
                let is_from = matches!(kind, InstructionKind::From(_));
                let is_arg = matches!(kind, InstructionKind::Arg(_));
                if out.stages.is_empty() && !is_from && !is_arg {
                    out.diagnostics.push(Diagnostic {
                        severity: Severity::Error,
                        code: "instruction",
                        message: format!(
                            "no build stage in current context: {} comes before the first FROM",
                            node.cmd()
                        ),
                        span: node.span,
                    });
                    continue;
                }
                let item = out.items.len();
                if let InstructionKind::From(from) = &kind {
                    if let Some(last) = out.stages.last_mut() {
                        last.items.end = item;
                    }
                    out.stages.push(Stage {
                        index: out.stages.len(),
                        from: item,
                        name: from.name.clone(),
                        base: from.image.clone(),
                        platform: from.platform.clone(),
                        items: item + 1..item + 1,
                    });
                } else if out.stages.is_empty() {
                    out.meta_args.push(item);
                }
                out.items.push(Instruction {
                    node: i,
                    span: node.span,
                    flags,
                    kind,
                });
            }
            Err(message) => out.diagnostics.push(Diagnostic {
                severity: Severity::Error,
                code: "instruction",
                message,
                span: node.span,
            }),
        }
    }
    if let Some(last) = out.stages.last_mut() {
        last.items.end = out.items.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::parse;

    fn typed(src: &str) -> Instructions {
        parse(src).instructions()
    }

    fn error(src: &str) -> String {
        let t = typed(src);
        t.diagnostics
            .first()
            .map(|d| d.message.clone())
            .unwrap_or_default()
    }

    #[test]
    fn stages_and_meta_args() {
        let t =
            typed("ARG V=1\nFROM alpine:$V AS Base\nRUN a\nFROM base\nCOPY --from=base /a /b\n");
        assert!(t.diagnostics.is_empty(), "{:?}", t.diagnostics);
        assert_eq!(t.meta_args, [0]);
        assert_eq!(t.stages.len(), 2);
        assert_eq!(t.stages[0].name.as_deref(), Some("base"));
        assert_eq!(t.stages[0].items, 2..3);
        assert_eq!(t.stages[1].items, 4..5);
        assert_eq!(t.stage("BASE").unwrap().index, 0);
        assert_eq!(t.stage("1").unwrap().index, 1);
        let InstructionKind::Copy(c) = &t.items[4].kind else {
            panic!()
        };
        assert_eq!(c.from.as_deref(), Some("base"));
    }

    #[test]
    fn flags_are_checked() {
        assert_eq!(
            error("FROM a\nCOPY --form=x a b\n"),
            "unknown flag: --form (did you mean from?)"
        );
        assert_eq!(
            error("FROM a\nCOPY --link=maybe a b\n"),
            "expecting boolean value for flag --link, not: maybe"
        );
        assert_eq!(
            error("FROM a\nCOPY --from a b\n"),
            "missing a value on flag: --from"
        );
        assert_eq!(
            error("FROM a\nCOPY --from=x --from=y a b\n"),
            "duplicate flag specified: --from"
        );
        assert_eq!(error("FROM a\nUSER --x=1 me\n"), "unknown flag: --x");
    }

    #[test]
    fn argument_counts_are_checked() {
        assert!(error("FROM a\nCOPY a\n").contains("requires at least two arguments"));
        assert_eq!(
            error("FROM a b\n"),
            "FROM requires either one or three arguments"
        );
        assert!(error("FROM a AS 1x\n").contains("invalid name for build stage"));
        assert_eq!(
            error("FROM a\nUSER\n"),
            "USER requires exactly one argument"
        );
        assert!(
            error("FROM a\nUSER a b\n").is_empty(),
            "USER takes its whole text as one argument"
        );
        assert_eq!(
            error("FROM a\nSHELL /bin/sh -c\n"),
            "SHELL requires the arguments to be in JSON form: SHELL /bin/sh -c"
        );
        assert_eq!(
            error("FROM a\nONBUILD FROM b\n"),
            "FROM isn't allowed as an ONBUILD trigger"
        );
        assert_eq!(
            error("FORM a\n"),
            "unknown instruction: FORM (did you mean FROM?)"
        );
        assert!(error("RUN x\n").contains("no build stage"));
    }

    #[test]
    fn run_mounts_and_heredocs() {
        let t = typed("FROM a\nRUN --mount=type=cache,target=/root/.cache --network=none <<EOF\npip install x\nEOF\n");
        assert!(t.diagnostics.is_empty(), "{:?}", t.diagnostics);
        let InstructionKind::Run(r) = &t.items[1].kind else {
            panic!()
        };
        assert_eq!(r.mounts[0].kind(), "cache");
        assert_eq!(r.mounts[0].target(), Some("/root/.cache"));
        assert_eq!(r.network.as_deref(), Some("none"));
        assert_eq!(r.heredocs[0].data, "pip install x\n");
        assert!(error("FROM a\nRUN --mount=type=nope x\n").contains("unsupported mount type"));
    }

    #[test]
    fn copy_heredoc_sources() {
        let t = typed("FROM a\nCOPY <<-EOF src /dst\n\thello\nEOF\n");
        let InstructionKind::Copy(c) = &t.items[1].kind else {
            panic!()
        };
        assert_eq!(c.sources, ["src"]);
        assert_eq!(c.heredocs[0].data, "hello\n");
        assert_eq!(c.dest, "/dst");
        assert!(error("FROM a\nCOPY a <<EOF\nx\nEOF\n")
            .contains("cannot accept a heredoc as a destination"));
    }

    #[test]
    fn healthcheck_forms() {
        let t = typed(
            "FROM a\nHEALTHCHECK --interval=1m30s --retries=3 CMD curl -f x\nHEALTHCHECK NONE\n",
        );
        let InstructionKind::Healthcheck(h) = &t.items[1].kind else {
            panic!()
        };
        assert_eq!(h.interval, Some(90_000_000_000));
        assert_eq!(h.retries, Some(3));
        assert_eq!(h.test(), ["CMD-SHELL", "curl -f x"]);
        let InstructionKind::Healthcheck(h) = &t.items[2].kind else {
            panic!()
        };
        assert_eq!(h.test(), ["NONE"]);
        assert!(
            error("FROM a\nHEALTHCHECK --interval=1us CMD x\n").contains("cannot be less than 1ms")
        );
        assert!(error("FROM a\nHEALTHCHECK --retries=-1 CMD x\n").contains("cannot be negative"));
        assert!(error("FROM a\nHEALTHCHECK CONNECT x\n").contains("Unknown type"));
    }

    #[test]
    fn durations_like_go() {
        assert_eq!(parse_duration("1.5h").unwrap(), 5_400_000_000_000);
        assert_eq!(parse_duration("300ms").unwrap(), 300_000_000);
        assert_eq!(parse_duration("0").unwrap(), 0);
        assert!(parse_duration("5").unwrap_err().contains("missing unit"));
        assert!(parse_duration("5x").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("").is_err());
    }
}
