//! Variable expansion with BuildKit's scoping rules.
//!
//! ```text
//! ARG BASE=alpine          global scope: only FROM lines see it
//! FROM $BASE AS build      expanded with global ARGs and build args
//! ARG BASE                 re-declared: now visible in this stage, with
//!                          the global value
//! ARG V=1                  stage scope, until the next FROM
//! ENV PATH=/x:$PATH        ENV values see earlier ARG/ENV, not later pairs
//!                          of the same instruction
//! COPY $V /dst             ADD, COPY, ENV, EXPOSE, LABEL, STOPSIGNAL, USER,
//!                          VOLUME, WORKDIR (and RUN --mount) are expanded;
//!                          RUN, CMD, ENTRYPOINT, HEALTHCHECK, SHELL are left
//!                          to the shell at run time
//! FROM build               a stage built on another inherits its ENV
//! ```
//!
//! A build argument given from outside (`--build-arg V=2`) replaces the
//! default of every `ARG V` that declares it. The platform arguments
//! (`TARGETPLATFORM`, `BUILDARCH`, …) are predefined in the global scope.

use std::collections::BTreeMap;

use super::instructions::{InstructionKind, Instructions, KeyValue};
use super::shell::{Lex, Processed};
use super::{Diagnostic, Dockerfile, Severity};

/// Values given from outside the Dockerfile.
#[derive(Debug, Clone)]
pub struct BuildArgs {
    /// `--build-arg NAME=value`.
    pub args: BTreeMap<String, String>,
    /// `os/arch[/variant]` the image is built for.
    pub target_platform: String,
    /// `os/arch[/variant]` the build runs on.
    pub build_platform: String,
}

impl Default for BuildArgs {
    fn default() -> Self {
        BuildArgs {
            args: BTreeMap::new(),
            target_platform: "linux/amd64".into(),
            build_platform: "linux/amd64".into(),
        }
    }
}

impl BuildArgs {
    /// The predefined platform arguments.
    fn platform_args(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (prefix, platform) in [
            ("TARGET", &self.target_platform),
            ("BUILD", &self.build_platform),
        ] {
            let mut parts = platform.splitn(3, '/');
            let os = parts.next().unwrap_or_default();
            let arch = parts.next().unwrap_or_default();
            let variant = parts.next().unwrap_or_default();
            out.push((format!("{prefix}PLATFORM"), platform.clone()));
            out.push((format!("{prefix}OS"), os.to_string()));
            out.push((format!("{prefix}ARCH"), arch.to_string()));
            out.push((format!("{prefix}VARIANT"), variant.to_string()));
        }
        out
    }
}

/// A stage after expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandedStage {
    /// The base image or stage, variables substituted.
    pub base: String,
    pub platform: Option<String>,
    /// The base names an earlier stage (its index).
    pub base_stage: Option<usize>,
    /// `ENV` and in-scope `ARG` values at the end of the stage.
    pub env: Vec<(String, String)>,
}

/// The outcome of expanding every instruction.
#[derive(Debug, Clone, Default)]
pub struct Expanded {
    /// Global `ARG` values (after build args) visible to `FROM`.
    pub global: Vec<(String, String)>,
    pub stages: Vec<ExpandedStage>,
    /// Per item of [`Instructions::items`]: the instruction with its
    /// expandable values substituted; `None` where expansion failed.
    pub items: Vec<Option<InstructionKind>>,
    /// Variables referenced but not defined: (item index, name).
    pub unmatched: Vec<(usize, String)>,
    /// Expansion errors (`${X:?required}`, bad substitutions).
    pub diagnostics: Vec<Diagnostic>,
}

struct Scope {
    lex: Lex,
    env: Vec<(String, String)>,
    env_keys: Vec<String>,
    item: usize,
    unmatched: Vec<(usize, String)>,
    error: Option<String>,
}

impl Scope {
    fn word(&mut self, w: &str) -> String {
        self.word_with(w, self.lex)
    }

    fn word_with(&mut self, w: &str, lex: Lex) -> String {
        if !w.contains('$') && !w.contains(['\'', '"', lex.escape]) {
            return w.to_string();
        }
        match lex.process(w, &self.env) {
            Ok(Processed {
                result, unmatched, ..
            }) => {
                for name in unmatched {
                    self.unmatched.push((self.item, name));
                }
                result
            }
            Err(e) => {
                self.error.get_or_insert(e.to_string());
                w.to_string()
            }
        }
    }

    fn set(&mut self, key: String, value: String, is_env: bool) {
        if is_env {
            self.env_keys.push(key.clone());
        } else if self.env_keys.contains(&key) {
            // ENV overrides an ARG of the same name.
            return;
        }
        self.env.retain(|(k, _)| *k != key);
        self.env.push((key, value));
    }

    fn pairs(&mut self, pairs: &mut [KeyValue]) {
        for p in pairs.iter_mut() {
            p.key = self.word(&p.key);
            p.value = self.word(&p.value);
        }
    }
}

/// Expands every instruction of `df` with `args` from outside.
pub fn expand(df: &Dockerfile, typed: &Instructions, args: &BuildArgs) -> Expanded {
    let lex = Lex::new(df.escape);
    let mut out = Expanded {
        items: vec![None; typed.items.len()],
        ..Expanded::default()
    };

    // Global scope: platform args, then ARGs before the first FROM.
    let mut global: Vec<(String, String)> = args.platform_args();
    for &i in &typed.meta_args {
        let InstructionKind::Arg(arg) = &typed.items[i].kind else {
            continue;
        };
        let mut scope = Scope {
            lex,
            env: global.clone(),
            env_keys: Vec::new(),
            item: i,
            unmatched: Vec::new(),
            error: None,
        };
        let mut expanded = arg.clone();
        for pair in expanded.pairs.iter_mut() {
            let value = match args.args.get(&pair.key) {
                Some(v) => Some(v.clone()),
                None => pair.default.as_ref().map(|d| scope.word(d)),
            };
            if let Some(v) = &value {
                scope.env.retain(|(k, _)| *k != pair.key);
                scope.env.push((pair.key.clone(), v.clone()));
            }
            pair.default = value;
        }
        global = scope.env;
        out.unmatched.append(&mut scope.unmatched);
        finish(
            &mut out,
            i,
            InstructionKind::Arg(expanded),
            scope.error,
            typed,
        );
    }
    out.global = global.clone();

    for stage in &typed.stages {
        let from_item = &typed.items[stage.from];
        let InstructionKind::From(from) = &from_item.kind else {
            continue;
        };
        let mut scope = Scope {
            lex,
            env: global.clone(),
            env_keys: Vec::new(),
            item: stage.from,
            unmatched: Vec::new(),
            error: None,
        };
        let mut from = from.clone();
        from.image = scope.word(&from.image);
        from.platform = from.platform.as_ref().map(|p| scope.word(p));
        let base_stage = typed
            .stages
            .iter()
            .take(stage.index)
            .position(|s| s.name.as_deref() == Some(from.image.to_lowercase().as_str()));
        let from_error = scope.error.take();
        out.unmatched.append(&mut scope.unmatched);
        finish(
            &mut out,
            stage.from,
            InstructionKind::From(from.clone()),
            from_error,
            typed,
        );

        // The stage's own scope: ENV inherited from a parent stage only.
        let inherited = base_stage
            .and_then(|b| out.stages.get(b))
            .map(|s: &ExpandedStage| s.env.clone())
            .unwrap_or_default();
        let env_keys = inherited.iter().map(|(k, _)| k.clone()).collect();
        let mut scope = Scope {
            lex,
            env: inherited,
            env_keys,
            item: stage.from,
            unmatched: Vec::new(),
            error: None,
        };
        let mut results = Vec::new();
        for i in stage.items.clone() {
            scope.item = i;
            scope.error = None;
            let mut kind = typed.items[i].kind.clone();
            match &mut kind {
                InstructionKind::Arg(arg) => {
                    for pair in arg.pairs.iter_mut() {
                        let value = if let Some(v) = args.args.get(&pair.key) {
                            Some(v.clone())
                        } else if let Some(d) = &pair.default {
                            Some(scope.word(d))
                        } else {
                            global
                                .iter()
                                .rev()
                                .find(|(k, _)| *k == pair.key)
                                .map(|(_, v)| v.clone())
                        };
                        if let Some(v) = &value {
                            scope.set(pair.key.clone(), v.clone(), false);
                        }
                        pair.default = value;
                    }
                }
                InstructionKind::Env(env) => {
                    scope.pairs(&mut env.pairs);
                    for p in &env.pairs {
                        scope.set(p.key.clone(), p.value.clone(), true);
                    }
                }
                InstructionKind::Label(label) => scope.pairs(&mut label.pairs),
                InstructionKind::Copy(c) => {
                    c.chown = c.chown.as_ref().map(|v| scope.word(v));
                    c.chmod = c.chmod.as_ref().map(|v| scope.word(v));
                    c.sources = c.sources.iter().map(|s| scope.word(s)).collect();
                    c.dest = scope.word(&c.dest);
                    expand_files(&mut scope, &mut c.heredocs);
                }
                InstructionKind::Add(a) => {
                    a.chown = a.chown.as_ref().map(|v| scope.word(v));
                    a.chmod = a.chmod.as_ref().map(|v| scope.word(v));
                    a.checksum = a.checksum.as_ref().map(|v| scope.word(v));
                    a.sources = a.sources.iter().map(|s| scope.word(s)).collect();
                    a.dest = scope.word(&a.dest);
                    expand_files(&mut scope, &mut a.heredocs);
                }
                InstructionKind::Expose(e) => {
                    e.ports = e
                        .ports
                        .iter()
                        .flat_map(|p| {
                            let w = scope.word(p);
                            w.split_whitespace().map(str::to_string).collect::<Vec<_>>()
                        })
                        .collect();
                }
                InstructionKind::StopSignal(s) => s.signal = scope.word(&s.signal),
                InstructionKind::User(u) => u.user = scope.word(&u.user),
                InstructionKind::Workdir(w) => w.path = scope.word(&w.path),
                InstructionKind::Volume(v) => {
                    v.paths = v.paths.iter().map(|p| scope.word(p)).collect()
                }
                InstructionKind::Run(r) => {
                    for m in r.mounts.iter_mut() {
                        for (_, v) in m.fields.iter_mut() {
                            *v = scope.word(v);
                        }
                    }
                }
                _ => {}
            }
            results.push((i, kind, scope.error.take()));
        }
        let env = scope.env;
        out.unmatched.append(&mut scope.unmatched);
        for (i, kind, error) in results {
            finish(&mut out, i, kind, error, typed);
        }
        out.stages.push(ExpandedStage {
            base: from.image,
            platform: from.platform,
            base_stage,
            env,
        });
    }
    out
}

fn expand_files(scope: &mut Scope, files: &mut [super::SourceFile]) {
    let raw = Lex {
        skip_process_quotes: true,
        ..Lex::new('\\')
    };
    for f in files.iter_mut().filter(|f| f.expand) {
        f.data = scope.word_with(&f.data, raw);
    }
}

fn finish(
    out: &mut Expanded,
    i: usize,
    kind: InstructionKind,
    error: Option<String>,
    typed: &Instructions,
) {
    match error {
        None => out.items[i] = Some(kind),
        Some(message) => out.diagnostics.push(Diagnostic {
            severity: Severity::Error,
            code: "instruction",
            message,
            span: typed.items[i].span,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::{parse, InstructionKind as K};

    fn run(src: &str, build_args: &[(&str, &str)]) -> (Instructions, Expanded) {
        let df = parse(src);
        let typed = df.instructions();
        let mut args = BuildArgs::default();
        for (k, v) in build_args {
            args.args.insert(k.to_string(), v.to_string());
        }
        let e = expand(&df, &typed, &args);
        (typed, e)
    }

    #[test]
    fn arg_before_from_is_global_only() {
        let src =
            "ARG TAG=3.19\nFROM alpine:${TAG}\nRUN echo\nWORKDIR /$TAG\nARG TAG\nWORKDIR /$TAG\n";
        let (_, e) = run(src, &[]);
        assert_eq!(e.stages[0].base, "alpine:3.19");
        let K::Workdir(w) = e.items[3].as_ref().unwrap() else {
            panic!()
        };
        assert_eq!(w.path, "/");
        let K::Workdir(w) = e.items[5].as_ref().unwrap() else {
            panic!()
        };
        assert_eq!(w.path, "/3.19");
        assert!(e.unmatched.contains(&(3, "TAG".to_string())));
    }

    #[test]
    fn build_args_override_defaults() {
        let (_, e) = run(
            "ARG TAG=1\nFROM a:$TAG\nARG V=x\nENV W=$V\n",
            &[("TAG", "2"), ("V", "y")],
        );
        assert_eq!(e.stages[0].base, "a:2");
        let K::Env(env) = e.items[3].as_ref().unwrap() else {
            panic!()
        };
        assert_eq!(env.pairs[0].value, "y");
    }

    #[test]
    fn env_pairs_see_only_earlier_instructions() {
        let (_, e) = run(
            "FROM a\nENV A=1\nENV A=2 B=$A\nENV C=\"${A}-${B:-no}\"\n",
            &[],
        );
        let K::Env(env) = e.items[2].as_ref().unwrap() else {
            panic!()
        };
        assert_eq!(env.pairs[1].value, "1");
        let K::Env(env) = e.items[3].as_ref().unwrap() else {
            panic!()
        };
        assert_eq!(env.pairs[0].value, "2-1");
    }

    #[test]
    fn env_wins_over_arg_and_stages_inherit_env() {
        let src = "FROM a AS one\nENV X=env\nARG X=arg\nWORKDIR /$X\nFROM one\nUSER $X\nFROM a\nUSER u$X\n";
        let (_, e) = run(src, &[]);
        let K::Workdir(w) = e.items[3].as_ref().unwrap() else {
            panic!()
        };
        assert_eq!(w.path, "/env");
        let K::User(u) = e.items[5].as_ref().unwrap() else {
            panic!()
        };
        assert_eq!(u.user, "env");
        let K::User(u) = e.items[7].as_ref().unwrap() else {
            panic!()
        };
        assert_eq!(u.user, "u");
        assert_eq!(e.stages[1].base_stage, Some(0));
    }

    #[test]
    fn platform_args_are_predefined() {
        let (_, e) = run(
            "FROM --platform=$BUILDPLATFORM golang AS b\nARG TARGETARCH\nENV A=$TARGETARCH\n",
            &[],
        );
        assert_eq!(e.stages[0].platform.as_deref(), Some("linux/amd64"));
        let K::Env(env) = e.items[2].as_ref().unwrap() else {
            panic!()
        };
        assert_eq!(env.pairs[0].value, "amd64");
    }

    #[test]
    fn expansion_errors_are_diagnostics() {
        let (_, e) = run("FROM a\nUSER ${NAME:?set NAME}\n", &[]);
        assert!(e.items[1].is_none());
        assert!(e.diagnostics[0].message.contains("NAME: set NAME"));
        assert_eq!(e.diagnostics[0].span.start.line, 2);
    }
}
