//! The shell scripts of `RUN` instructions, parsed once per lint run, for
//! the shell-aware rules.
//!
//! Which text is the script follows BuildKit's `RUN` dispatch:
//!
//! | `RUN` form                          | script                                    |
//! |-------------------------------------|-------------------------------------------|
//! | `RUN cmd …` (shell form)            | the command line                          |
//! | `RUN ["exe", "arg"]` (exec form)    | `exe arg` as literal words                |
//! | `RUN <<EOF` + body                  | the body, unless its `#!` names a non-shell interpreter |
//! | `RUN cmd <<EOF …` + bodies          | the command line, a newline, each body and its delimiter |
//! | `ONBUILD RUN …`                     | the trigger's script, as above            |
//!
//! Nested shells (`sh -c '…'`, `bash <<EOF`) are parsed too
//! ([`shell::Options::nested_shells`]). `RUN`s under a non-POSIX `SHELL`
//! (PowerShell, cmd) or `# hadolint shell=powershell` are left out: their
//! text is not shell.

use crate::dockerfile::{Heredoc, InstructionKind, Node, Run, RunMount};
use crate::lint::shell::{self, Cmd, Script, SimpleCommand, Word};
use crate::lint::{Context, Edit, Fix, Item, Report, StageInfo};
use crate::span::Span;

/// One parsed script and where its text comes from.
pub(crate) struct Part {
    pub script: Script,
    /// (offset in the script, where that piece is in the Dockerfile).
    pieces: Vec<(usize, Anchor)>,
}

#[derive(Clone, Copy)]
enum Anchor {
    /// Byte `offset` of the instruction's `original` text (of the trigger's
    /// for `ONBUILD`).
    Original(usize),
    /// The start of a here-document body: the start of this source line.
    BodyLine(u32),
    /// Nowhere precise: the instruction's arguments.
    Args,
}

/// Every `RUN`'s parsed scripts, computed once per lint run (kept in the
/// [`Context`]): every shell rule walks every `RUN`, and parsing once
/// instead of once per rule is most of the cost of linting.
pub(crate) struct Prepared(Vec<PreparedRun>);

/// The parsed scripts of one `RUN` item.
struct PreparedRun {
    item: usize,
    onbuild: bool,
    parts: Vec<Part>,
}

/// Every `RUN` with its scripts.
pub(crate) struct RunScripts<'c> {
    cx: &'c Context<'c>,
    prepared: &'c [PreparedRun],
}

/// A `RUN` (or `ONBUILD RUN`) with its parsed script(s).
pub(crate) struct RunScript<'c> {
    pub item: Item<'c>,
    /// The stage (`None` only for a `RUN` before any `FROM`).
    pub stage: Option<&'c StageInfo>,
    /// `--mount` options, variables expanded.
    pub mounts: &'c [RunMount],
    /// An `ONBUILD RUN` trigger.
    pub onbuild: bool,
    /// The scripts: one, or none when the `RUN` is not shell.
    pub parts: &'c [Part],
}

/// Every `RUN` and `ONBUILD RUN`, in order, with its scripts (none when its
/// text is not shell).
pub(crate) fn run_scripts<'c>(cx: &'c Context<'c>) -> RunScripts<'c> {
    let prepared = &cx.run_scripts.get_or_init(|| Prepared(prepare(cx))).0;
    RunScripts { cx, prepared }
}

impl<'c> RunScripts<'c> {
    pub fn iter(&self) -> impl Iterator<Item = RunScript<'_>> {
        self.prepared.iter().map(|p| {
            let item = self.cx.item(p.item);
            let mounts: &[RunMount] = match item.expanded() {
                InstructionKind::Run(run) => &run.mounts,
                _ => &[],
            };
            RunScript {
                item,
                stage: item.stage,
                mounts,
                onbuild: p.onbuild,
                parts: &p.parts,
            }
        })
    }
}

fn prepare(cx: &Context) -> Vec<PreparedRun> {
    let mut out = Vec::new();
    let powershell_pragma = cx.shell_pragma.as_deref().is_some_and(|s| !is_posix(s));
    for item in cx.items() {
        let shell = !powershell_pragma && shell_is_posix(cx, &item);
        match item.expanded() {
            InstructionKind::Run(run) => out.push(PreparedRun {
                item: item.index,
                onbuild: false,
                // The exec form runs its program without SHELL.
                parts: if shell || (!run.shell && !powershell_pragma) {
                    parts_of(run, item.node, &item.node.heredocs)
                } else {
                    Vec::new()
                },
            }),
            InstructionKind::Onbuild(o) if o.keyword == "RUN" => {
                let Some(sub) = item.node.sub.as_deref() else {
                    continue;
                };
                out.push(PreparedRun {
                    item: item.index,
                    onbuild: true,
                    // BuildKit attaches the heredocs to the ONBUILD node.
                    parts: if shell {
                        parts_of(&onbuild_run(sub), sub, &item.node.heredocs)
                    } else {
                        Vec::new()
                    },
                });
            }
            _ => {}
        }
    }
    out
}

/// The `RUN` of an `ONBUILD RUN` trigger node.
fn onbuild_run(sub: &Node) -> Run {
    Run {
        args: sub.value.clone(),
        shell: !sub.json,
        mounts: Vec::new(),
        network: None,
        security: None,
        heredocs: Vec::new(),
    }
}

fn shell_is_posix(cx: &Context, item: &Item) -> bool {
    cx.shell_at(item.index).first().is_none_or(|s| is_posix(s))
}

/// Whether a `SHELL` executable or `# hadolint shell=` value is a POSIX-like
/// shell (PowerShell and cmd are not).
fn is_posix(shell: &str) -> bool {
    let base = shell
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(shell)
        .trim_end_matches(".exe")
        .to_ascii_lowercase();
    !matches!(base.as_str(), "powershell" | "pwsh" | "cmd")
}

fn parse(text: &str) -> Script {
    shell::parse_with(
        text,
        shell::Options {
            nested_shells: true,
        },
    )
}

/// The scripts of one `RUN`, as BuildKit would hand them to the shell.
/// `node` holds the command line; `heredocs` are the bodies it reads.
fn parts_of(run: &Run, node: &Node, heredocs: &[Heredoc]) -> Vec<Part> {
    if !run.shell {
        // Exec form: the argv, each a literal word.
        let text = run
            .args
            .iter()
            .map(|a| quote(a))
            .collect::<Vec<_>>()
            .join(" ");
        return vec![Part {
            script: parse(&text),
            pieces: vec![(0, Anchor::Args)],
        }];
    }
    let Some(line) = run.args.first() else {
        return Vec::new();
    };
    let line_anchor = match args_offset(node, line) {
        Some(off) => Anchor::Original(off),
        None => Anchor::Args,
    };
    if heredocs.is_empty() {
        return vec![Part {
            script: parse(line),
            pieces: vec![(0, line_anchor)],
        }];
    }
    let body_anchor = |i: usize| {
        heredocs
            .get(i)
            .map_or(Anchor::Args, |h| Anchor::BodyLine(h.span.start.line))
    };
    // BuildKit runs a lone heredoc word's body as the script itself.
    if matches!(crate::dockerfile::parse_heredoc(line), Ok(Some(_))) {
        let doc = &heredocs[0];
        if let Some(shebang) = doc.body().strip_prefix("#!") {
            if !shebang_is_shell(shebang.lines().next().unwrap_or("")) {
                return Vec::new();
            }
        }
        return vec![Part {
            script: parse(&doc.content),
            pieces: vec![(0, body_anchor(0))],
        }];
    }
    let mut text = line.clone();
    let mut pieces = vec![(0, line_anchor)];
    for (i, doc) in heredocs.iter().enumerate() {
        text.push('\n');
        pieces.push((text.len(), body_anchor(i)));
        text.push_str(&doc.content);
        text.push_str(&doc.name);
    }
    vec![Part {
        script: parse(&text),
        pieces,
    }]
}

/// Whether a `#!` line names a POSIX shell (`/bin/sh`, `/usr/bin/env
/// bash -e`, …).
fn shebang_is_shell(line: &str) -> bool {
    let mut words = line.split_whitespace();
    let Some(first) = words.next() else {
        return true;
    };
    let exe = if shell::basename(first) == "env" {
        match words.find(|w| !w.starts_with('-') && !w.contains('=')) {
            Some(w) => w,
            None => return false,
        }
    } else {
        first
    };
    shell::is_posix_shell(shell::basename(exe))
}

/// `arg` as one literal shell word.
fn quote(arg: &str) -> String {
    format!("'{}'", arg.replace('\'', r"'\''"))
}

/// Where `line` (a `RUN`'s command line) starts in `node.original`: after
/// the keyword and the `--flags`.
fn args_offset(node: &Node, line: &str) -> Option<usize> {
    let o = &node.original;
    let mut at = o.find(node.keyword.as_str())? + node.keyword.len();
    let skip_ws = |at: &mut usize| {
        while o[*at..].starts_with([' ', '\t']) {
            *at += 1;
        }
    };
    skip_ws(&mut at);
    while o[at..].starts_with("--") && !o[at..].starts_with(line) {
        at = o[at..].find([' ', '\t']).map_or(o.len(), |i| at + i);
        skip_ws(&mut at);
    }
    if o[at..].starts_with(line) {
        Some(at)
    } else {
        o.find(line)
    }
}

impl<'c> RunScript<'c> {
    /// Every simple command, in every script, with its part.
    pub fn commands(&self) -> impl Iterator<Item = (&'c Part, &'c SimpleCommand)> {
        self.parts
            .iter()
            .flat_map(|p| p.script.commands.iter().map(move |c| (p, c)))
    }

    /// The effective view of every command with a literal name (past
    /// `sudo`, `env`, …).
    pub fn effective(&self) -> impl Iterator<Item = (&'c Part, &'c SimpleCommand, Cmd<'c>)> {
        self.commands()
            .filter_map(|(p, c)| c.effective().map(|e| (p, c, e)))
    }

    /// Commands whose effective name (basename) is `name`.
    pub fn named<'s>(
        &'s self,
        name: &'s str,
    ) -> impl Iterator<Item = (&'c Part, &'c SimpleCommand, Cmd<'c>)> + 's {
        self.effective().filter(move |(_, _, e)| e.is(name))
    }

    /// Whether a `cache` or `tmpfs` mount covers `path` (mounted at it or
    /// above it), so what is written there stays out of the image.
    pub fn has_cache_mount(&self, path: &str) -> bool {
        let path = path.trim_end_matches('/');
        self.mounts.iter().any(|m| {
            if !matches!(m.kind(), "cache" | "tmpfs") {
                return false;
            }
            let Some(t) = m.target() else { return false };
            let t = t.trim_end_matches('/');
            t.is_empty() || path == t || path.strip_prefix(t).is_some_and(|r| r.starts_with('/'))
        })
    }

    /// Whether a `cache` or `tmpfs` mount's target contains `fragment`
    /// (`.cache/pip` matches `/root/.cache/pip` and `/home/u/.cache/pip`).
    pub fn has_cache_mount_with(&self, fragment: &str) -> bool {
        self.mounts.iter().any(|m| {
            matches!(m.kind(), "cache" | "tmpfs")
                && m.target().is_some_and(|t| t.contains(fragment))
        })
    }

    /// The node whose `original` the script's line comes from.
    fn node(&self) -> &'c Node {
        match (self.onbuild, self.item.node.sub.as_deref()) {
            (true, Some(sub)) => sub,
            _ => self.item.node,
        }
    }

    /// The source byte of script offset `at` of `part`, when the text is
    /// anchored in the source.
    pub fn source_byte(&self, cx: &Context, part: &Part, at: usize) -> Option<usize> {
        let i = part.pieces.partition_point(|(o, _)| *o <= at);
        let (start, anchor) = *part.pieces.get(i.checked_sub(1)?)?;
        let delta = at - start;
        match anchor {
            Anchor::Original(off) => {
                let node = self.node();
                let o = (off + delta).min(node.original.len().saturating_sub(1));
                Some(cx.source_offset(node, o))
            }
            Anchor::BodyLine(line) => {
                let base = cx.df.line_index().line_start(line)?;
                Some((base + delta).min(cx.df.source.len()))
            }
            Anchor::Args => None,
        }
    }

    /// The Dockerfile span of `range` of `part`'s script.
    pub fn span(&self, cx: &Context, part: &Part, range: std::ops::Range<usize>) -> Span {
        let last = range.end.max(range.start + 1) - 1;
        let (Some(start), Some(end)) = (
            self.source_byte(cx, part, range.start),
            self.source_byte(cx, part, last),
        ) else {
            return self.item.args_span();
        };
        let src = &cx.df.source;
        let mut end = (end + 1).min(src.len());
        while !src.is_char_boundary(end) {
            end += 1;
        }
        Span::new(cx.pos_of_byte(start), cx.pos_of_byte(end.max(start)))
    }

    /// The span of a command.
    pub fn command_span(&self, cx: &Context, part: &Part, c: &SimpleCommand) -> Span {
        self.span(cx, part, c.span.clone())
    }
}

/// One finding for the commands of a `RUN` that lack an option, fixed by
/// inserting the option after a word of each (hadolint reports a `RUN`
/// once; the fix covers every command in it).
pub(crate) struct Insertions<'r, 'c> {
    cx: &'c Context<'c>,
    run: &'r RunScript<'c>,
    text: &'static str,
    span: Option<Span>,
    edits: Vec<Edit>,
    fixable: bool,
}

impl<'r, 'c> Insertions<'r, 'c> {
    /// Insertions of `text` into commands of `run`.
    pub fn new(cx: &'c Context<'c>, run: &'r RunScript<'c>, text: &'static str) -> Self {
        Insertions {
            cx,
            run,
            text,
            span: None,
            edits: Vec::new(),
            fixable: true,
        }
    }

    /// Adds command `c` of `part`, fixed by inserting the text after
    /// `after`. The finding is at the first command added.
    pub fn add(&mut self, part: &Part, c: &SimpleCommand, after: &Word) {
        let (cx, run) = (self.cx, self.run);
        self.span
            .get_or_insert_with(|| run.command_span(cx, part, c));
        match run.source_byte(cx, part, after.span.end - 1) {
            Some(at) => self.edits.push(cx.edit_bytes(at + 1, at + 1, self.text)),
            // A word the source does not hold as written: no safe fix.
            None => self.fixable = false,
        }
    }

    /// Reports the finding, when a command was added, with the fix when
    /// every insertion has its place in the source.
    pub fn report(self, out: &mut Report, message: &str, title: &str) {
        let Some(span) = self.span else { return };
        let f = out.add(span, message);
        if self.fixable {
            f.fix(Fix {
                title: title.into(),
                edits: self.edits,
            });
        }
    }
}

/// Whether `cmd` is `rm` removing, recursively, something under `dir`
/// (`rm -rf /var/lib/apt/lists/*`, `rm -r /var/lib/apt/lists`).
pub(crate) fn removes_recursively(cmd: &Cmd, dir: &str) -> bool {
    cmd.is("rm")
        && cmd.has_any_flag(&["r", "R", "recursive"])
        && cmd.args().iter().any(|w| {
            let v = w.value();
            let v = v.trim_end_matches(['*', '/']);
            v == dir || v.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
        })
}

/// Whether a stage's filesystem reaches an image someone runs: it is the
/// final stage, or another stage is built `FROM` it. (Stages only copied
/// from pass on the files copied, not their caches.)
pub(crate) fn stage_is_kept(cx: &Context, stage: Option<&StageInfo>) -> bool {
    match stage {
        None => true,
        Some(s) => s.is_final || cx.stages.iter().any(|o| o.parent == Some(s.index)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::Config;

    fn scripts(src: &str) -> Vec<Vec<String>> {
        let df = crate::dockerfile::parse(src);
        let config = Config::default();
        let cx = Context::new(&df, &config, &Default::default());
        run_scripts(&cx)
            .iter()
            .map(|r| {
                r.commands()
                    .filter_map(|(_, c)| c.name().map(str::to_string))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    fn spans(src: &str) -> Vec<(String, Span)> {
        let df = crate::dockerfile::parse(src);
        let config = Config::default();
        let cx = Context::new(&df, &config, &Default::default());
        let mut out = Vec::new();
        for r in run_scripts(&cx).iter() {
            for (p, c) in r.commands() {
                out.push((
                    c.name().unwrap_or_default().to_string(),
                    r.command_span(&cx, p, c),
                ));
            }
        }
        out
    }

    #[test]
    fn every_form_of_run_gives_its_script() {
        let src = "FROM debian:12\n\
                   RUN apt-get update && apt-get install -y curl\n\
                   RUN [\"apt-get\", \"install\", \"-y\", \"git\"]\n\
                   RUN <<EOF\nset -e\napt-get install -y vim\nEOF\n\
                   RUN cat <<EOF >/etc/x && wget -q u\nnot a command\nEOF\n\
                   RUN <<EOF\n#!/usr/bin/env python3\nimport os\nEOF\n\
                   RUN <<EOF\n#!/bin/bash\nls\nEOF\n\
                   ONBUILD RUN pip install x\n\
                   ONBUILD RUN <<EOF\nwget -q u\nEOF\n\
                   RUN python3 <<EOF\nprint(1)\nEOF\n";
        assert_eq!(
            scripts(src),
            [
                vec!["apt-get", "apt-get"],
                vec!["apt-get"],
                vec!["set", "apt-get"],
                vec!["cat", "wget"],
                vec![],
                vec!["ls"],
                vec!["pip"],
                vec!["wget"],
                vec!["python3"],
            ]
        );
    }

    #[test]
    fn powershell_runs_are_not_shell() {
        let src = "FROM mcr.microsoft.com/windows/servercore:ltsc2022\n\
                   SHELL [\"powershell\", \"-Command\"]\n\
                   RUN cd C:\\ ; Get-Item x | Select-Object\n";
        assert_eq!(scripts(src), [Vec::<String>::new()]);
        // The exec form runs without SHELL.
        let src = "FROM mcr.microsoft.com/windows/servercore:ltsc2022\n\
                   SHELL [\"powershell\", \"-Command\"]\n\
                   RUN [\"curl.exe\", \"-o\", \"x\", \"u\"]\n";
        assert_eq!(scripts(src), [vec!["curl.exe"]]);
        let src = "# hadolint shell=powershell\nFROM x:1\nRUN cd C:\\\n";
        assert_eq!(scripts(src), [Vec::<String>::new()]);
    }

    #[test]
    fn spans_point_at_commands_in_the_dockerfile() {
        let src = "FROM a:1\nRUN --mount=type=cache,target=/x apt-get update \\\n  && rm -rf /y\nRUN <<EOF\n\tcurl -o f u\nEOF\n";
        let s = spans(src);
        assert_eq!(s[0].0, "apt-get");
        assert_eq!((s[0].1.start.line, s[0].1.start.col), (2, 34));
        assert_eq!((s[0].1.end.line, s[0].1.end.col), (2, 48));
        assert_eq!((s[1].1.start.line, s[1].1.start.col), (3, 6));
        assert_eq!((s[1].1.end.line, s[1].1.end.col), (3, 15));
        assert_eq!((s[2].1.start.line, s[2].1.start.col), (5, 2));
    }
}
