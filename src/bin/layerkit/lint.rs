//! `layerkit lint`: hadolint's rules and BuildKit's build checks over
//! Dockerfiles, with hadolint's configuration and output formats.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use layerkit::dockerfile;
use layerkit::lint::format::{self, FileReport};
use layerkit::lint::{self, config::parse_threshold, Config, Finding, Inputs, LabelType, Severity};

use crate::{input, Outcome};

/// Check Dockerfiles for mistakes and bad practice.
///
/// Runs hadolint's rules (DL3006, DL3008, …) and BuildKit's build checks
/// (FromAsCasing, UndefinedVar, …) after substituting build arguments, so
/// `FROM $BASE` is checked as the image it names. A file with syntax
/// errors is still checked: the errors are findings (DL1000).
///
/// Settings come from `--config FILE`, else `.hadolint.yaml` (or `.yml`)
/// or `layerkit.toml` (its `[lint]` table) in the current directory, else
/// `~/.config/hadolint.yaml`; flags add to them. Inline,
/// `# hadolint ignore=DL3008` skips a rule for the next instruction and
/// `# check=skip=FromAsCasing` (first lines) skips BuildKit checks.
///
/// Exit status: 1 when a finding is at or above the failure threshold
/// (default `info`), unless --no-fail, and on errors (an unreadable file,
/// an invalid config); 2 for bad usage.
#[derive(Args)]
#[command(after_help = "\
Examples:
  layerkit lint Dockerfile
  layerkit lint --format sarif Dockerfile > lint.sarif
  layerkit lint --ignore DL3008 --failure-threshold warning build/*.Dockerfile
  cat Dockerfile | layerkit lint -
  layerkit lint --diff Dockerfile        # show what --fix would change
  layerkit lint --fix Dockerfile
  layerkit lint --context . Dockerfile   # also check COPY against .dockerignore
  layerkit lint --explain DL3006
  layerkit lint --list-rules")]
pub struct LintArgs {
    /// Dockerfiles to check; `-` reads standard input. Default: ./Dockerfile.
    files: Vec<String>,
    /// Output: tty (text with the source line; colours on a terminal), json
    /// (array of {file, line, column, endLine, endColumn, code, severity,
    /// message}), sarif (2.1.0, for GitHub code scanning), github (workflow
    /// annotations), checkstyle (XML), gitlab (code quality JSON). With
    /// --list-rules: tty, json or markdown.
    #[arg(long, short = 'f', value_enum)]
    format: Option<Format>,
    /// A .hadolint.yaml or layerkit.toml to read instead of looking for one.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,
    /// Do not report this rule (repeatable).
    #[arg(long, value_name = "CODE")]
    ignore: Vec<String>,
    /// Exit 1 when a finding is this severe or more: error, warning, info,
    /// style, or none (any finding).
    #[arg(long, short = 't', value_name = "SEVERITY")]
    failure_threshold: Option<String>,
    /// Only allow FROM images from this registry (repeatable; `*` at either
    /// end matches); turns on DL3026.
    #[arg(long, value_name = "REGISTRY")]
    trusted_registry: Vec<String>,
    /// Require a label: `name:type` with type text, url, spdx, hash,
    /// rfc3339, semver or email (repeatable).
    #[arg(long, value_name = "LABEL:TYPE")]
    require_label: Vec<String>,
    /// Report labels that --require-label/label-schema does not name.
    #[arg(long)]
    strict_labels: bool,
    /// Report these rules as errors (repeatable).
    #[arg(long, value_name = "CODE")]
    error: Vec<String>,
    /// Report these rules as warnings (repeatable).
    #[arg(long, value_name = "CODE")]
    warning: Vec<String>,
    /// Report these rules as info (repeatable).
    #[arg(long, value_name = "CODE")]
    info: Vec<String>,
    /// Report these rules as style (repeatable).
    #[arg(long, value_name = "CODE")]
    style: Vec<String>,
    /// Ignore `# hadolint ignore=` comments.
    #[arg(long)]
    disable_ignore_pragma: bool,
    /// Always exit 0 (after printing the findings).
    #[arg(long)]
    no_fail: bool,
    /// The build context directory: its .dockerignore is checked against
    /// COPY and ADD sources (CopyIgnoredFile).
    #[arg(long, value_name = "DIR")]
    context: Option<PathBuf>,
    /// Rewrite the files with every safe fix applied (atomically; the rest
    /// of each file is kept byte for byte). For `-`, print the fixed text.
    #[arg(long, conflicts_with = "diff")]
    fix: bool,
    /// Print what --fix would change as a unified diff; change nothing.
    #[arg(long)]
    diff: bool,
    /// Explain a rule: what it checks, why, and examples.
    #[arg(long, value_name = "CODE")]
    explain: Option<String>,
    /// List every rule (with --format markdown: the rules page).
    #[arg(long)]
    list_rules: bool,
    /// Colours: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Print only the findings, no summary line.
    #[arg(long, short = 'q')]
    quiet: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Tty,
    Json,
    Sarif,
    Github,
    Checkstyle,
    Gitlab,
    Markdown,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

pub fn run(args: LintArgs) -> anyhow::Result<Outcome> {
    if let Some(code) = &args.explain {
        let Some(rule) = lint::rule(code).or_else(|| {
            lint::rules::ALL
                .iter()
                .copied()
                .find(|r| r.code.eq_ignore_ascii_case(code) || r.name == code)
        }) else {
            bail!("no rule {code:?}; `layerkit lint --list-rules` lists them");
        };
        print!("{}", format::explain(rule));
        return Ok(Outcome::Ok);
    }
    if args.list_rules {
        return list_rules(args.format);
    }
    let config = load_config(&args)?;
    let format = match args.format {
        Some(Format::Markdown) => bail!("--format markdown is for --list-rules"),
        Some(f) => f,
        None => match config.format.as_deref() {
            None | Some("tty") => Format::Tty,
            Some("json") => Format::Json,
            Some("sarif") => Format::Sarif,
            Some("checkstyle") => Format::Checkstyle,
            Some("gitlab_codeclimate" | "gitlab") => Format::Gitlab,
            Some("github") => Format::Github,
            Some(other) => bail!("format {other:?} in the config is not one layerkit writes; use tty, json, sarif, github, checkstyle or gitlab"),
        },
    };
    let dockerignore = match &args.context {
        Some(dir) => {
            if !dir.is_dir() {
                bail!("--context {}: not a directory", dir.display());
            }
            match std::fs::read_to_string(dir.join(".dockerignore")) {
                Ok(t) => Some(t),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => {
                    return Err(e)
                        .context(format!("reading {}", dir.join(".dockerignore").display()))
                }
            }
        }
        None => None,
    };
    let inputs = Inputs {
        dockerignore: dockerignore.as_deref(),
    };
    let files = if args.files.is_empty() {
        if !Path::new("Dockerfile").exists() {
            bail!("no Dockerfile here; name the files to check (or `-` for standard input)");
        }
        vec!["Dockerfile".to_string()]
    } else {
        args.files.clone()
    };

    let mut reports: Vec<(String, String, Vec<Finding>)> = Vec::new();
    let mut fixed_count = 0;
    let mut diff_out = String::new();
    for file in &files {
        let bytes = input::read(file)?;
        let name = input::display_name(file).to_string();
        let df = dockerfile::parse_bytes(&bytes);
        let mut source = df.source.clone();
        let mut findings = lint::lint_with(&df, &config, &inputs);
        if (args.fix || args.diff) && std::str::from_utf8(&bytes).is_ok() {
            let (fixed, n) = lint::fix_source(&source, &config, &inputs);
            if n > 0 && fixed != source {
                fixed_count += n;
                if args.diff {
                    diff_out.push_str(&unified_diff(&name, &source, &fixed));
                } else if file == "-" {
                    std::io::stdout().write_all(fixed.as_bytes())?;
                } else {
                    write_atomic(Path::new(file), fixed.as_bytes())?;
                }
                if args.fix {
                    source = fixed;
                    findings = lint::lint_with(&dockerfile::parse(&source), &config, &inputs);
                }
            }
        }
        reports.push((name, source, findings));
    }

    let fail = !config.no_fail
        && reports
            .iter()
            .flat_map(|r| &r.2)
            .any(|f| f.severity.reaches(config.failure_threshold));

    if args.diff {
        print!("{diff_out}");
        return Ok(if fail { Outcome::Failed } else { Outcome::Ok });
    }
    // With `--fix -`, standard output holds the fixed text: report on stderr.
    let to_stderr = args.fix && files.iter().any(|f| f == "-");
    let file_reports: Vec<FileReport> = reports
        .iter()
        .map(|(p, _, f)| FileReport {
            path: p,
            findings: f,
        })
        .collect();
    let text = match format {
        Format::Json => format::json(&file_reports),
        Format::Sarif => format::sarif(&file_reports),
        Format::Checkstyle => format::checkstyle(&file_reports),
        Format::Github => format::github(&file_reports),
        Format::Gitlab => format::gitlab(&file_reports),
        Format::Tty | Format::Markdown => {
            let colour = match args.color {
                Color::Always => true,
                Color::Never => false,
                Color::Auto => {
                    std::env::var_os("NO_COLOR").is_none()
                        && if to_stderr {
                            std::io::stderr().is_terminal()
                        } else {
                            std::io::stdout().is_terminal()
                        }
                }
            };
            let mut s = String::new();
            for (name, source, findings) in &reports {
                s.push_str(&tty(name, source, findings, colour));
            }
            if !args.quiet {
                s.push_str(&summary(&reports, fixed_count, args.fix));
            }
            s
        }
    };
    if to_stderr {
        eprint!("{text}");
    } else {
        print!("{text}");
    }
    Ok(if fail { Outcome::Failed } else { Outcome::Ok })
}

fn list_rules(format: Option<Format>) -> anyhow::Result<Outcome> {
    match format {
        Some(Format::Markdown) => print!("{}", format::rules_markdown()),
        Some(Format::Json) => {
            println!("{}", serde_json::to_string_pretty(lint::rules::ALL)?);
        }
        None | Some(Format::Tty) => {
            for r in lint::rules::ALL {
                println!(
                    "{:<32} {:<8}{}{} {}",
                    r.code,
                    r.severity.as_str(),
                    if r.fixable { " fix" } else { "    " },
                    if r.enabled { "    " } else { " off" },
                    r.summary
                );
            }
        }
        Some(_) => bail!("--list-rules writes tty, json or markdown"),
    }
    Ok(Outcome::Ok)
}

/// The config: --config, else the first of .hadolint.yaml, .hadolint.yml,
/// layerkit.toml here, ~/.config/hadolint.yaml; then the flags.
fn load_config(args: &LintArgs) -> anyhow::Result<Config> {
    let mut config = Config::default();
    let path = match &args.config {
        Some(p) => Some(p.clone()),
        None => {
            let mut candidates: Vec<PathBuf> = [".hadolint.yaml", ".hadolint.yml", "layerkit.toml"]
                .iter()
                .map(PathBuf::from)
                .collect();
            if let Some(home) = std::env::var_os("XDG_CONFIG_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
            {
                candidates.push(home.join("hadolint.yaml"));
                candidates.push(home.join("hadolint.yml"));
            }
            candidates.into_iter().find(|p| p.is_file())
        }
    };
    if let Some(path) = path {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading config {}", path.display()))?;
        let name = path.display().to_string();
        let is_toml = path.extension().is_some_and(|e| e == "toml");
        let value = if is_toml {
            let v: toml::Value = toml::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{name}: not valid TOML: {e}"))?;
            let table = match v.get("lint") {
                Some(t) => t.clone(),
                None => toml::Value::Table(Default::default()),
            };
            serde_json::to_value(table)?
        } else {
            let v: serde_yaml::Value = serde_yaml::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{name}: not valid YAML: {e}"))?;
            serde_json::to_value(v).map_err(|e| anyhow::anyhow!("{name}: {e}"))?
        };
        let name = if is_toml {
            format!("{name} [lint]")
        } else {
            name
        };
        config
            .merge_value(&value, &name)
            .map_err(|e| anyhow::anyhow!(e))?;
    }
    config.ignored.extend(args.ignore.iter().cloned());
    config
        .trusted_registries
        .extend(args.trusted_registry.iter().cloned());
    for (list, sev) in [
        (&args.style, Severity::Style),
        (&args.info, Severity::Info),
        (&args.warning, Severity::Warning),
        (&args.error, Severity::Error),
    ] {
        for code in list {
            config.overrides.insert(code.clone(), sev);
        }
    }
    for l in &args.require_label {
        let (name, ty) = l.split_once(':').unwrap_or((l, "text"));
        let Some(t) = LabelType::parse(ty) else {
            bail!("--require-label {l}: {ty:?} is not a label type (text, url, spdx, hash, rfc3339, semver, email)");
        };
        config.label_schema.insert(name.to_string(), t);
    }
    if let Some(t) = &args.failure_threshold {
        config.failure_threshold = parse_threshold(t).ok_or_else(|| {
            anyhow::anyhow!("--failure-threshold {t}: use error, warning, info, style or none")
        })?;
    }
    config.strict_labels |= args.strict_labels;
    config.no_fail |= args.no_fail;
    config.disable_ignore_pragma |= args.disable_ignore_pragma;
    Ok(config)
}

/// Writes `data` to `path` through a temporary file in the same directory
/// and a rename, keeping the file's permissions: a crash leaves the old
/// file or the new one, never half of one.
fn write_atomic(path: &Path, data: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.layerkit-{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing {}", path.display()));
    }
    Ok(())
}

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

fn severity_colour(s: Severity) -> &'static str {
    match s {
        Severity::Error => "1;31",
        Severity::Warning => "1;33",
        Severity::Info => "1;36",
        Severity::Style => "1;35",
    }
}

/// `file:line:col: severity CODE: message`, then the source line with a
/// caret under the span.
fn tty(name: &str, source: &str, findings: &[Finding], colour: bool) -> String {
    let st = Style { on: colour };
    let lines: Vec<&str> = source.lines().collect();
    let mut s = String::new();
    for f in findings {
        s.push_str(&format!(
            "{}: {} {}: {}",
            st.paint(
                "1",
                &format!("{name}:{}:{}", f.span.start.line, f.span.start.col)
            ),
            st.paint(severity_colour(f.severity), f.severity.as_str()),
            st.paint("1", f.code),
            f.message
        ));
        if f.fix.is_some() {
            s.push_str(&st.paint("2", " [fixable]"));
        }
        s.push('\n');
        let Some(line) = lines.get((f.span.start.line as usize).wrapping_sub(1)) else {
            continue;
        };
        let line = line.trim_end_matches('\r');
        let num = f.span.start.line.to_string();
        let shown: String = line
            .chars()
            .map(|c| if c == '\t' { ' ' } else { c })
            .collect();
        s.push_str(&format!(
            "{} {} {}\n",
            st.paint("2", &num),
            st.paint("2", "|"),
            shown
        ));
        let start = f.span.start.col.saturating_sub(1) as usize;
        let len = line.chars().count();
        let end = if f.span.end.line == f.span.start.line {
            (f.span.end.col.saturating_sub(1) as usize).min(len)
        } else {
            len
        };
        let width = end.saturating_sub(start).max(1);
        s.push_str(&format!(
            "{} {} {}{}\n",
            " ".repeat(num.len()),
            st.paint("2", "|"),
            " ".repeat(start),
            st.paint(severity_colour(f.severity), &"^".repeat(width))
        ));
    }
    s
}

fn summary(reports: &[(String, String, Vec<Finding>)], fixed: usize, fix: bool) -> String {
    let all: Vec<&Finding> = reports.iter().flat_map(|r| &r.2).collect();
    let mut s = String::new();
    if fix && fixed > 0 {
        s.push_str(&format!("fixed {fixed} problem{}\n", plural(fixed)));
    }
    if all.is_empty() {
        if !fix || fixed == 0 {
            s.push_str(&format!(
                "no problems in {} file{}\n",
                reports.len(),
                plural(reports.len())
            ));
        }
        return s;
    }
    let count = |sev| all.iter().filter(|f| f.severity == sev).count();
    let mut parts = Vec::new();
    for (sev, word) in [
        (Severity::Error, "error"),
        (Severity::Warning, "warning"),
        (Severity::Info, "info"),
        (Severity::Style, "style"),
    ] {
        let n = count(sev);
        if n == 0 {
            continue;
        }
        // "info" and "style" have no plural.
        let s = if matches!(sev, Severity::Error | Severity::Warning) {
            plural(n)
        } else {
            ""
        };
        parts.push(format!("{n} {word}{s}"));
    }
    let fixable = all.iter().filter(|f| f.fix.is_some()).count();
    s.push_str(&format!(
        "{} problem{} ({}) in {} file{}",
        all.len(),
        plural(all.len()),
        parts.join(", "),
        reports.len(),
        plural(reports.len())
    ));
    if fixable > 0 {
        s.push_str(&format!("; {fixable} fixable with --fix"));
    }
    s.push('\n');
    s
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A unified diff (3 lines of context) between `old` and `new`.
fn unified_diff(name: &str, old: &str, new: &str) -> String {
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    // Longest common subsequence table, from the end.
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    // The edit script: (' ' | '-' | '+', line, old index, new index).
    let mut ops: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            ops.push((' ', a[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', a[i]));
            i += 1;
        } else {
            ops.push(('+', b[j]));
            j += 1;
        }
    }
    let mut out = if name.starts_with('/') || name == "<stdin>" {
        format!("--- {name}\n+++ {name}\n")
    } else {
        format!("--- a/{name}\n+++ b/{name}\n")
    };
    let ctx = 3;
    let changed: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, o)| o.0 != ' ')
        .map(|(k, _)| k)
        .collect();
    let mut k = 0;
    while k < changed.len() {
        let start = changed[k].saturating_sub(ctx);
        let mut end = changed[k];
        while k < changed.len() && changed[k] <= end + 2 * ctx {
            end = changed[k];
            k += 1;
        }
        let end = (end + ctx + 1).min(ops.len());
        let old_start = ops[..start].iter().filter(|o| o.0 != '+').count();
        let new_start = ops[..start].iter().filter(|o| o.0 != '-').count();
        let old_len = ops[start..end].iter().filter(|o| o.0 != '+').count();
        let new_len = ops[start..end].iter().filter(|o| o.0 != '-').count();
        out.push_str(&format!(
            "@@ -{},{} +{},{} @@\n",
            old_start + usize::from(old_len > 0),
            old_len,
            new_start + usize::from(new_len > 0),
            new_len
        ));
        for (c, line) in &ops[start..end] {
            out.push(*c);
            out.push_str(line);
            if !line.ends_with('\n') {
                out.push_str("\n\\ No newline at end of file\n");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::unified_diff;

    #[test]
    fn diff_hunks() {
        let d = unified_diff("D", "a\nb\nc\n", "a\nB\nc\n");
        assert_eq!(d, "--- a/D\n+++ b/D\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
    }
}
