//! What rules look at: the parse, the typed and the expanded instructions,
//! stage facts (final, used, parent), the `SHELL` of each `RUN`, the
//! pragmas in comments, and the inputs from outside (`.dockerignore`).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use super::config::{parse_check_directive, parse_pragma, CheckDirective, Config, Pragma};
use super::{Edit, Finding, Inputs, Origin, Rule, Severity};
use crate::dockerfile::{
    expand, BuildArgs, Dockerfile, Expanded, From, Instruction, InstructionKind, Instructions,
    Node, Run,
};
use crate::span::{Pos, Span};

pub use super::dockerignore::DockerIgnore;

/// Facts about one build stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageInfo {
    /// 0-based position among the stages.
    pub index: usize,
    /// The stage name, lower case.
    pub name: Option<String>,
    /// Index of its `FROM` in the items.
    pub from: usize,
    /// Its instructions after `FROM` (item indices).
    pub items: Range<usize>,
    /// The base after variable expansion (`FROM $IMG` → `debian:12`).
    pub base: String,
    /// The base is this earlier stage.
    pub parent: Option<usize>,
    /// The last stage: what `docker build` without `--target` produces.
    pub is_final: bool,
    /// The final stage or one it depends on (through `FROM`, `COPY --from`
    /// or `RUN --mount=from=`): `docker build` runs it.
    pub used: bool,
}

/// The view of a Dockerfile that rules check.
pub struct Context<'a> {
    pub df: &'a Dockerfile,
    pub config: &'a Config,
    pub typed: Instructions,
    /// Values with variables substituted (default build args).
    pub expanded: Expanded,
    pub stages: Vec<StageInfo>,
    /// The `.dockerignore` of the build context, when one was given.
    pub dockerignore: Option<DockerIgnore>,
    /// `# hadolint shell=…`: the shell RUN commands are written for.
    pub shell_pragma: Option<String>,
    /// Per item: the `SHELL` in effect (default `/bin/sh -c`).
    shells: Vec<usize>,
    shell_values: Vec<Vec<String>>,
    /// Per item: its stage.
    item_stage: Vec<Option<usize>>,
    /// Comment lines: line number → text after `#`.
    pub comments: BTreeMap<u32, String>,
    /// The file-wide `# check=` directive.
    check: CheckDirective,
    /// `# check=` comments right above an instruction: its first line → settings.
    local_checks: BTreeMap<u32, CheckDirective>,
    /// `# hadolint ignore=` pragmas: the line of the instruction they apply to → codes.
    line_ignores: BTreeMap<u32, BTreeSet<String>>,
    /// `# hadolint stage ignore=`: (from line, to line inclusive, codes).
    stage_ignores: Vec<(u32, u32, BTreeSet<String>)>,
    global_ignores: BTreeSet<String>,
    /// Node start lines in order, for mapping a line to its instruction.
    node_lines: Vec<(u32, u32)>,
    /// The `RUN` scripts, parsed on first use and shared by the
    /// shell-aware rules (see `rules/run_scripts.rs`).
    pub(crate) run_scripts: std::cell::OnceCell<super::rules::run_scripts::Prepared>,
}

/// One typed instruction with what rules need around it.
#[derive(Clone, Copy)]
pub struct Item<'c> {
    /// Index in [`Instructions::items`].
    pub index: usize,
    pub instr: &'c Instruction,
    pub node: &'c Node,
    /// The stage it belongs to (`None` for `ARG`s before the first `FROM`).
    pub stage: Option<&'c StageInfo>,
    cx: &'c Context<'c>,
}

/// A `RUN` with its stage, shell and (expanded) mounts.
#[derive(Clone, Copy)]
pub struct RunItem<'c> {
    pub item: Item<'c>,
    /// The `RUN` with `--mount` values expanded.
    pub run: &'c Run,
    /// The `SHELL` in effect: `["/bin/sh", "-c"]` unless changed.
    pub shell: &'c [String],
    pub stage: &'c StageInfo,
}

impl<'a> Context<'a> {
    pub fn new(df: &'a Dockerfile, config: &'a Config, inputs: &Inputs) -> Context<'a> {
        let typed = df.instructions();
        let expanded = expand(df, &typed, &BuildArgs::default());
        let mut cx = Context {
            df,
            config,
            stages: Vec::new(),
            dockerignore: inputs.dockerignore.map(DockerIgnore::parse),
            shell_pragma: None,
            shells: Vec::new(),
            shell_values: vec![vec!["/bin/sh".into(), "-c".into()]],
            item_stage: Vec::new(),
            comments: BTreeMap::new(),
            check: CheckDirective::default(),
            local_checks: BTreeMap::new(),
            line_ignores: BTreeMap::new(),
            stage_ignores: Vec::new(),
            global_ignores: BTreeSet::new(),
            node_lines: df
                .nodes
                .iter()
                .map(|n| (n.start_line, n.end_line))
                .collect(),
            typed,
            expanded,
            run_scripts: std::cell::OnceCell::new(),
        };
        cx.build_stages();
        cx.build_shells();
        cx.read_comments();
        cx
    }

    fn build_stages(&mut self) {
        let n = self.typed.stages.len();
        self.item_stage = vec![None; self.typed.items.len()];
        for s in &self.typed.stages {
            let ex = self.expanded.stages.get(s.index);
            self.item_stage[s.from] = Some(s.index);
            for i in s.items.clone() {
                self.item_stage[i] = Some(s.index);
            }
            self.stages.push(StageInfo {
                index: s.index,
                name: s.name.clone(),
                from: s.from,
                items: s.items.clone(),
                base: ex.map_or_else(|| s.base.clone(), |e| e.base.clone()),
                parent: ex.and_then(|e| e.base_stage),
                is_final: s.index + 1 == n,
                used: false,
            });
        }
        // Dependencies, then what the final stage reaches.
        let mut deps: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
        for (si, s) in self.stages.iter().enumerate() {
            if let Some(p) = s.parent {
                deps[si].insert(p);
            }
            for i in s.items.clone() {
                for name in self.stage_refs(i) {
                    if let Some(t) = self.stage_named(&name, si) {
                        deps[si].insert(t);
                    }
                }
            }
        }
        let mut todo: Vec<usize> = n.checked_sub(1).into_iter().collect();
        while let Some(s) = todo.pop() {
            if self.stages[s].used {
                continue;
            }
            self.stages[s].used = true;
            todo.extend(deps[s].iter().copied());
        }
    }

    /// Stage names an item reads from (`COPY --from`, `RUN --mount=from=`).
    fn stage_refs(&self, item: usize) -> Vec<String> {
        let kind = self.expanded.items[item]
            .as_ref()
            .unwrap_or(&self.typed.items[item].kind);
        match kind {
            InstructionKind::Copy(c) => c.from.iter().cloned().collect(),
            InstructionKind::Run(r) => r
                .mounts
                .iter()
                .filter_map(|m| m.get("from").map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The stage `name` (a name or an index) refers to from stage `before`:
    /// only earlier stages count.
    pub fn stage_named(&self, name: &str, before: usize) -> Option<usize> {
        let lower = name.to_ascii_lowercase();
        if let Some(s) = self.stages[..before.min(self.stages.len())]
            .iter()
            .find(|s| s.name.as_deref() == Some(lower.as_str()))
        {
            return Some(s.index);
        }
        name.parse::<usize>().ok().filter(|&i| i < before)
    }

    fn build_shells(&mut self) {
        self.shells = vec![0; self.typed.items.len()];
        let mut stage_shell = vec![0usize; self.stages.len()];
        for s in 0..self.stages.len() {
            let mut cur = self.stages[s].parent.map_or(0, |p| stage_shell[p]);
            let from = self.stages[s].from;
            self.shells[from] = cur;
            for i in self.stages[s].items.clone() {
                if let InstructionKind::Shell(sh) = &self.typed.items[i].kind {
                    self.shell_values.push(sh.shell.clone());
                    cur = self.shell_values.len() - 1;
                }
                self.shells[i] = cur;
            }
            stage_shell[s] = cur;
        }
    }

    fn read_comments(&mut self) {
        for d in &self.df.directives {
            if d.name == "check" {
                self.check = parse_check_directive(&d.value).unwrap_or_default();
            }
        }
        let lines = self.df.line_index().line_count();
        let mut ni = 0;
        let mut line = 1;
        while line <= lines {
            while ni < self.node_lines.len() && self.node_lines[ni].1 < line {
                ni += 1;
            }
            if let Some(&(start, end)) = self.node_lines.get(ni) {
                if start <= line && line <= end {
                    line = end + 1;
                    continue;
                }
            }
            let text = self.df.line(line).trim_start();
            if let Some(c) = text.strip_prefix('#') {
                self.comments.insert(line, c.to_string());
            }
            line += 1;
        }
        let comments: Vec<(u32, String)> =
            self.comments.iter().map(|(l, c)| (*l, c.clone())).collect();
        for (line, text) in comments {
            // The instruction a comment block sits on.
            let mut next = line + 1;
            while self.comments.contains_key(&next) {
                next += 1;
            }
            let target = self
                .node_lines
                .iter()
                .find(|(s, _)| *s == next)
                .map(|(s, _)| *s);
            match parse_pragma(&text) {
                Some(Pragma::Ignore(codes)) => {
                    if let Some(t) = target {
                        self.line_ignores.entry(t).or_default().extend(codes);
                    }
                }
                Some(Pragma::GlobalIgnore(codes)) => self.global_ignores.extend(codes),
                Some(Pragma::StageIgnore(codes)) => {
                    let end = self
                        .stages
                        .iter()
                        .map(|s| self.typed.items[s.from].span.start.line)
                        .find(|&l| l > next)
                        .map_or(u32::MAX, |l| l - 1);
                    self.stage_ignores
                        .push((line + 1, end, codes.into_iter().collect()));
                }
                Some(Pragma::Shell(sh)) => self.shell_pragma = Some(sh),
                None => {
                    if let Some(t) = target {
                        if let Some(d) = check_comment(&text) {
                            self.local_checks.insert(t, d);
                        }
                    }
                }
            }
        }
    }

    /// Whether `rule` should run at all under the config and the file's
    /// `# check=` directive.
    pub(crate) fn rule_enabled(&self, rule: &Rule) -> bool {
        if self.config.ignored.iter().any(|c| c == rule.code) {
            return false;
        }
        if self.check.skips(rule) {
            return false;
        }
        rule.enabled || self.config.overrides.contains_key(rule.code)
    }

    /// Applies pragmas, `# check=` settings and the config to findings.
    pub(crate) fn filter(&self, findings: Vec<Finding>) -> Vec<Finding> {
        let mut out = Vec::with_capacity(findings.len());
        for mut f in findings {
            let rule = super::rule(f.code);
            if self.config.ignored.iter().any(|c| c == f.code) {
                continue;
            }
            let line = self.instruction_line(f.span.start.line);
            if !self.config.disable_ignore_pragma && self.pragma_ignores(f.code, line) {
                continue;
            }
            let local = self.local_checks.get(&line);
            if let Some(rule) = rule {
                if self.check.skips(rule) || local.is_some_and(|c| c.skips(rule)) {
                    continue;
                }
            }
            if let Some(&s) = self.config.overrides.get(f.code) {
                f.severity = s;
            }
            let error_on_warn = self.check.error || local.is_some_and(|c| c.error);
            if error_on_warn && rule.is_some_and(|r| r.origin == Origin::Buildkit) {
                f.severity = Severity::Error;
            }
            out.push(f);
        }
        out
    }

    fn pragma_ignores(&self, code: &str, line: u32) -> bool {
        self.global_ignores.contains(code)
            || self
                .line_ignores
                .get(&line)
                .is_some_and(|s| s.contains(code))
            || self
                .stage_ignores
                .iter()
                .any(|(a, b, s)| *a <= line && line <= *b && s.contains(code))
    }

    /// The first line of the instruction that `line` is part of (`line`
    /// itself when it is not inside one).
    pub fn instruction_line(&self, line: u32) -> u32 {
        let i = self.node_lines.partition_point(|(s, _)| *s <= line);
        match i.checked_sub(1).map(|i| self.node_lines[i]) {
            Some((s, e)) if line <= e => s,
            _ => line,
        }
    }

    /// Every typed instruction, in order.
    pub fn items(&self) -> impl Iterator<Item = Item<'_>> + '_ {
        (0..self.typed.items.len()).map(move |i| self.item(i))
    }

    /// The item at `index`.
    pub fn item(&self, index: usize) -> Item<'_> {
        let instr = &self.typed.items[index];
        Item {
            index,
            instr,
            node: &self.df.nodes[instr.node],
            stage: self.item_stage[index].map(|s| &self.stages[s]),
            cx: self,
        }
    }

    /// Every stage with its `FROM` item and instruction (as written).
    pub fn stage_froms(&self) -> impl Iterator<Item = (&StageInfo, Item<'_>, &From)> + '_ {
        self.stages.iter().filter_map(move |stage| {
            let item = self.item(stage.from);
            match item.kind() {
                InstructionKind::From(f) => Some((stage, item, f)),
                _ => None,
            }
        })
    }

    /// The items of `stage` after its `FROM`.
    pub fn stage_items(&self, stage: &StageInfo) -> impl Iterator<Item = Item<'_>> + '_ {
        stage.items.clone().map(move |i| self.item(i))
    }

    /// Every `RUN`, with its stage, shell and mounts.
    pub fn runs(&self) -> impl Iterator<Item = RunItem<'_>> + '_ {
        self.items().filter_map(move |item| {
            let InstructionKind::Run(run) = item.expanded() else {
                return None;
            };
            Some(RunItem {
                item,
                run,
                shell: &self.shell_values[self.shells[item.index]],
                stage: item.stage?,
            })
        })
    }

    /// The `SHELL` in effect at item `index`.
    pub fn shell_at(&self, index: usize) -> &[String] {
        &self.shell_values[self.shells.get(index).copied().unwrap_or(0)]
    }

    /// The final stage, if there is any stage.
    pub fn final_stage(&self) -> Option<&StageInfo> {
        self.stages.last()
    }

    /// An edit replacing `len` bytes at `offset` of `node.original` with
    /// `text`.
    pub fn edit(&self, node: &Node, offset: usize, len: usize, text: impl Into<String>) -> Edit {
        let start = self.source_offset(node, offset);
        let end = if len == 0 {
            start
        } else {
            self.source_offset(node, offset + len - 1) + 1
        };
        self.edit_bytes(start, end, text)
    }

    /// An edit replacing source bytes `start..end` with `text`.
    pub fn edit_bytes(&self, start: usize, end: usize, text: impl Into<String>) -> Edit {
        Edit {
            span: Span::new(self.pos_of_byte(start), self.pos_of_byte(end)),
            start,
            end,
            text: text.into(),
        }
    }

    /// The byte offset in the source of byte `offset` of `node.original`.
    pub fn source_offset(&self, node: &Node, offset: usize) -> usize {
        let idx = self.df.line_index();
        match node.locate(offset) {
            Some((line, col)) => idx.line_start(line).unwrap_or(0) + col,
            None => idx.offset(&self.df.source, node.span.start),
        }
    }

    /// The position of source byte `offset`.
    pub fn pos_of_byte(&self, offset: usize) -> Pos {
        self.df.line_index().pos_of_offset(&self.df.source, offset)
    }
}

/// A `# check=…` comment right above an instruction (BuildKit reads these
/// as per-instruction check settings).
fn check_comment(text: &str) -> Option<CheckDirective> {
    let t = text.trim();
    let (k, v) = t.split_once('=')?;
    if !k.trim().eq_ignore_ascii_case("check") {
        return None;
    }
    // In a comment, text after a space is not part of the value.
    parse_check_directive(v.trim_start().split(' ').next().unwrap_or("")).ok()
}

impl<'c> Item<'c> {
    /// The instruction as written.
    pub fn kind(&self) -> &'c InstructionKind {
        &self.instr.kind
    }

    /// The instruction with variables substituted where the builder
    /// substitutes them (falls back to [`Item::kind`] when expansion
    /// failed).
    pub fn expanded(&self) -> &'c InstructionKind {
        self.cx.expanded.items[self.index]
            .as_ref()
            .unwrap_or(&self.instr.kind)
    }

    /// The whole instruction.
    pub fn span(&self) -> Span {
        self.instr.span
    }

    /// The first line of the instruction.
    pub fn line(&self) -> u32 {
        self.instr.span.start.line
    }

    /// The keyword (`FROM`, `run`).
    pub fn keyword_span(&self) -> Span {
        let off = self.keyword_offset();
        self.cx.df.span_in(self.node, off, self.node.keyword.len())
    }

    fn keyword_offset(&self) -> usize {
        self.node
            .original
            .find(self.node.keyword.as_str())
            .unwrap_or(0)
    }

    /// The byte offset in `node.original` where the arguments start
    /// (after the keyword and the flags).
    pub fn args_offset(&self) -> usize {
        let o = &self.node.original;
        let mut at = self.keyword_offset() + self.node.keyword.len();
        let skip_ws = |at: &mut usize| {
            while o[*at..].starts_with([' ', '\t']) {
                *at += 1;
            }
        };
        skip_ws(&mut at);
        while o[at..].starts_with("--") {
            let end = o[at..].find([' ', '\t']).map_or(o.len(), |i| at + i);
            at = end;
            skip_ws(&mut at);
        }
        at
    }

    /// The span of the first occurrence of `needle` in the instruction's
    /// arguments, or the whole instruction when absent.
    pub fn find(&self, needle: &str) -> Span {
        self.find_from(self.args_offset(), needle)
            .unwrap_or(self.instr.span)
    }

    /// The span of `needle` at or after byte `from` of `node.original`.
    pub fn find_from(&self, from: usize, needle: &str) -> Option<Span> {
        let o = &self.node.original;
        let at = from + o.get(from..)?.find(needle)?;
        Some(self.cx.df.span_in(self.node, at, needle.len()))
    }

    /// The span of the arguments (after keyword and flags) to the end of
    /// the instruction's text.
    pub fn args_span(&self) -> Span {
        let at = self.args_offset();
        let len = self.node.original.len().saturating_sub(at);
        if len == 0 {
            return self.instr.span;
        }
        self.cx.df.span_in(self.node, at, len)
    }

    /// The span of the flag `--name` as written (with its value), or the
    /// whole instruction when it is absent.
    pub fn find_flag(&self, name: &str) -> Span {
        self.flag_span(name).unwrap_or(self.instr.span)
    }

    /// The flag `--name` as written (with its value), with its span.
    pub fn flag_span(&self, name: &str) -> Option<Span> {
        let o = &self.node.original;
        let needle = format!("--{name}");
        let at = o.find(&needle)?;
        let end = o[at..].find([' ', '\t']).map_or(o.len(), |i| at + i);
        Some(self.cx.df.span_in(self.node, at, end - at))
    }
}

impl RunItem<'_> {
    /// Whether a `cache` or `tmpfs` mount covers `path` (is mounted at it
    /// or at a directory above it), so files written there do not end up
    /// in the image.
    pub fn has_cache_mount(&self, path: &str) -> bool {
        let path = path.trim_end_matches('/');
        self.run.mounts.iter().any(|m| {
            if !matches!(m.kind(), "cache" | "tmpfs") {
                return false;
            }
            let Some(t) = m.target() else { return false };
            let t = t.trim_end_matches('/');
            t.is_empty() || path == t || path.strip_prefix(t).is_some_and(|r| r.starts_with('/'))
        })
    }

    /// The command line of a shell-form `RUN` (heredoc bodies not
    /// included); `None` for exec form.
    pub fn shell_command(&self) -> Option<&str> {
        if self.run.shell {
            self.run.args.first().map(String::as_str)
        } else {
            None
        }
    }

    /// Whether the `SHELL` in effect is a POSIX-like shell (sh, bash, ash,
    /// dash, zsh, ksh, mksh), as opposed to PowerShell or cmd.
    pub fn is_posix_shell(&self, cx: &Context) -> bool {
        if let Some(p) = &cx.shell_pragma {
            return is_posix(p);
        }
        self.shell.first().is_some_and(|s| is_posix(s))
    }
}

fn is_posix(shell: &str) -> bool {
    let base = shell
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(shell)
        .trim_end_matches(".exe");
    matches!(
        base,
        "sh" | "bash" | "ash" | "dash" | "zsh" | "ksh" | "mksh" | "busybox"
    )
}
