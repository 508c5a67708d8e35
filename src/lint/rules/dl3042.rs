//! DL3042: `pip install --no-cache-dir`.

use super::common::unquote;
use crate::dockerfile::InstructionKind;
use crate::lint::rules::dl3013::is_pip_install;
use crate::lint::rules::run_scripts::run_scripts;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3042",
    name: "pip-no-cache-dir",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Avoid use of cache directory with pip: `pip install --no-cache-dir <package>`",
    description: "pip keeps every downloaded wheel in `~/.cache/pip`; in an image that cache \
is dead weight. Use `pip install --no-cache-dir`, set `PIP_NO_CACHE_DIR` (with `ENV` or `ARG` in the stage or \
a stage it is built from, or in the `RUN` itself; pip turns the cache off for any boolean \
value, even `0`), or keep the cache \
out of the image with a cache mount (`RUN --mount=type=cache,target=/root/.cache/pip …`).",
    bad: "FROM python:3.13\nRUN pip install requests==2.32.3\n",
    good: "FROM python:3.13\nRUN pip install --no-cache-dir requests==2.32.3\n",
    fixable: false,
    check,
};

/// Whether pip takes `PIP_NO_CACHE_DIR=v` as turning the cache off: any
/// boolean pip understands does, `0` and `false` included (pip keeps an old
/// behaviour for compatibility: the option, given in any valid form,
/// disables the cache).
fn disables_cache(v: &str) -> bool {
    const BOOLEANS: &[&str] = &[
        "y", "yes", "t", "true", "on", "1", "n", "no", "f", "false", "off", "0",
    ];
    let v = unquote(v).to_ascii_lowercase();
    BOOLEANS.contains(&v.as_str())
}

/// Whether `text` sets `PIP_NO_CACHE_DIR`.
fn sets_no_cache_dir(text: &str) -> bool {
    text.match_indices("PIP_NO_CACHE_DIR=").any(|(i, k)| {
        let rest = &text[i + k.len()..];
        let value = rest
            .split(|c: char| c.is_whitespace() || c == ';' || c == '&')
            .next();
        value.is_some_and(disables_cache)
    })
}

fn check(cx: &Context, out: &mut Report) {
    // Per stage: whether PIP_NO_CACHE_DIR is on at each item, a stage
    // starting from its parent's final value.
    let mut stage_final = vec![false; cx.stages.len()];
    let mut on_at = vec![false; cx.typed.items.len()];
    for stage in &cx.stages {
        let mut on = stage.parent.is_some_and(|p| stage_final[p]);
        for item in cx.stage_items(stage) {
            match item.expanded() {
                InstructionKind::Env(e) => {
                    if let Some(kv) = e.pairs.iter().rev().find(|kv| kv.key == "PIP_NO_CACHE_DIR") {
                        on = disables_cache(&kv.value);
                    }
                }
                InstructionKind::Arg(a) => {
                    if let Some(p) = a.pairs.iter().rev().find(|p| p.key == "PIP_NO_CACHE_DIR") {
                        on = p.default.as_deref().is_some_and(disables_cache);
                    }
                }
                _ => {}
            }
            on_at[item.index] = on;
        }
        stage_final[stage.index] = on;
    }
    for run in run_scripts(cx).iter() {
        if on_at.get(run.item.index).copied().unwrap_or(false)
            || run.has_cache_mount_with(".cache/pip")
            || run.mounts.iter().any(|m| {
                matches!(m.kind(), "cache" | "tmpfs")
                    && m.target()
                        .is_some_and(|t| t.trim_end_matches('/').ends_with("/.cache"))
            })
            || run
                .parts
                .iter()
                .any(|p| sets_no_cache_dir(&p.script.source))
        {
            continue;
        }
        let found = run.effective().find(|(_, _, cmd)| {
            is_pip_install(cmd)
                && !cmd
                    .arg_values()
                    .iter()
                    .any(|a| a.starts_with("--no-cache-dir"))
        });
        if let Some((part, c, _)) = found {
            out.add(
                run.command_span(cx, part, c),
                "Use `pip install --no-cache-dir` so pip's download cache stays out of the image",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_cache_left_behind() {
        catches(&RULE, "FROM python:3.13\nRUN pip install requests==1\n");
        catches(
            &RULE,
            "FROM python:3.13\nRUN python -m pip install -r requirements.txt\n",
        );
        // Set after the RUN: too late.
        catches(
            &RULE,
            "FROM python:3.13\nRUN pip install x==1\nENV PIP_NO_CACHE_DIR=1\n",
        );
        catches(
            &RULE,
            "FROM python:3.13\nENV PIP_NO_CACHE_DIR=maybe\nRUN pip install x==1\n",
        );
        // Stages from the same image share nothing (hadolint keys what it
        // remembers by image name).
        catches(
            &RULE,
            "FROM python:3.13\nENV PIP_NO_CACHE_DIR=1\nFROM python:3.13\nRUN pip install x==1\n",
        );
    }

    #[test]
    fn passes_no_cache_env_and_mounts() {
        passes(
            &RULE,
            "FROM python:3.13\nRUN pip install --no-cache-dir requests==1\n",
        );
        passes(
            &RULE,
            "FROM python:3.13\nENV PIP_NO_CACHE_DIR=1\nRUN pip install x==1\n",
        );
        passes(
            &RULE,
            "FROM python:3.13\nARG PIP_NO_CACHE_DIR=true\nRUN pip install x==1\n",
        );
        // pip turns the cache off for any boolean value, `0` and `false`
        // too (hadolint wants a true one).
        passes(
            &RULE,
            "FROM python:3.13\nENV PIP_NO_CACHE_DIR=0\nRUN pip install x==1\n",
        );
        passes(
            &RULE,
            "FROM python:3.13\nENV PIP_NO_CACHE_DIR=false\nRUN pip install x==1\n",
        );
        passes(
            &RULE,
            "FROM python:3.13 AS base\nENV PIP_NO_CACHE_DIR=yes\nFROM base\nRUN pip install x==1\n",
        );
        passes(
            &RULE,
            "FROM python:3.13\nRUN PIP_NO_CACHE_DIR=1 pip install x==1\n",
        );
        passes(
            &RULE,
            "FROM python:3.13\nRUN --mount=type=cache,target=/root/.cache/pip pip install x==1\n",
        );
        passes(
            &RULE,
            "FROM python:3.13\nRUN --mount=type=cache,target=/root/.cache pip install x==1\n",
        );
        passes(&RULE, "FROM python:3.13\nRUN pipx install black==24.1\n");
        passes(&RULE, "FROM python:3.13\nRUN pip download x==1\n");
    }
}
