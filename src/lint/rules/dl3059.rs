//! DL3059: consecutive RUN instructions could be one.

use crate::dockerfile::{InstructionKind, Run};
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3059",
    name: "consolidate-run",
    origin: Origin::Hadolint,
    severity: Severity::Info,
    enabled: true,
    summary: "Multiple consecutive `RUN` instructions. Consider consolidation.",
    description: "Each `RUN` makes a layer. Short commands in a row are better joined with \
`&&`. Not reported when either `RUN` already runs more than one command (the split \
looks deliberate, as hadolint judges it) or when their `--mount`/`--network`/`--security` \
flags differ.",
    bad: "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n",
    good: "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n",
    fixable: false,
    check,
};

/// How many simple commands a shell script runs (commands in `$(…)` and
/// backticks included; assignments, keywords and empty parts not).
pub fn count_commands(script: &str) -> usize {
    count_nested(script, 0)
}

/// Substitutions nested deeper than this count as one command each, which
/// keeps pathological input (thousands of nested `$(`) linear.
const MAX_NESTING: usize = 32;

fn count_nested(script: &str, nesting: usize) -> usize {
    let mut count = 0;
    let mut segment = String::new();
    let mut quote: Option<char> = None;
    let chars: Vec<char> = script.chars().collect();
    let mut i = 0;
    let flush = |seg: &mut String, count: &mut usize| {
        let words: Vec<&str> = seg.split_whitespace().collect();
        let mut ws = words.iter().skip_while(|w| {
            matches!(
                **w,
                "if" | "then"
                    | "else"
                    | "elif"
                    | "do"
                    | "while"
                    | "until"
                    | "!"
                    | "{"
                    | "}"
                    | "("
                    | ")"
            )
        });
        let first = ws.clone().next().copied();
        let is_cmd = match first {
            None | Some("fi" | "done" | "esac" | "for" | "case" | "in") => false,
            Some(_) => ws.any(|w| !is_assignment(w)),
        };
        if is_cmd {
            *count += 1;
        }
        seg.clear();
    };
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                } else if c == '\\' && q == '"' {
                    segment.push(c);
                    i += 1;
                } else if q == '"' && c == '$' && chars.get(i + 1) == Some(&'(') {
                    count += 1;
                }
                if let Some(&ch) = chars.get(i) {
                    segment.push(ch);
                }
            }
            None => match c {
                '\'' | '"' => {
                    quote = Some(c);
                    segment.push(c);
                }
                '\\' => {
                    segment.push(c);
                    if let Some(&n) = chars.get(i + 1) {
                        segment.push(n);
                    }
                    i += 1;
                }
                '`' => {
                    count += 1;
                    let end = chars[i + 1..]
                        .iter()
                        .position(|&x| x == '`')
                        .map_or(chars.len(), |p| i + 1 + p);
                    segment.push_str("CMDSUB");
                    i = end;
                }
                '$' if chars.get(i + 1) == Some(&'(') && chars.get(i + 2) != Some(&'(') => {
                    // Count the commands inside, then skip to the closing paren.
                    let mut depth = 0;
                    let mut j = i + 1;
                    while j < chars.len() {
                        match chars[j] {
                            '(' => depth += 1,
                            ')' => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        }
                        j += 1;
                    }
                    let inner: String = chars[(i + 2).min(chars.len())..j.min(chars.len())]
                        .iter()
                        .collect();
                    count += if nesting < MAX_NESTING {
                        count_nested(&inner, nesting + 1)
                    } else {
                        1
                    };
                    segment.push_str("CMDSUB");
                    i = j;
                }
                ';' | '&' | '|' | '\n' | '(' | ')' => flush(&mut segment, &mut count),
                '#' if segment.trim().is_empty() || segment.ends_with([' ', '\t']) => {
                    while i < chars.len() && chars[i] != '\n' {
                        i += 1;
                    }
                    continue;
                }
                _ => segment.push(c),
            },
        }
        i += 1;
    }
    flush(&mut segment, &mut count);
    count
}

fn is_assignment(w: &str) -> bool {
    match w.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && !name.starts_with(|c: char| c.is_ascii_digit())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        None => false,
    }
}

fn script_commands(run: &Run) -> usize {
    let mut n = if run.shell {
        run.args.first().map_or(0, |s| count_commands(s))
    } else {
        1
    };
    for h in &run.heredocs {
        n += count_commands(&h.data);
    }
    n
}

fn check(cx: &Context, out: &mut Report) {
    let mut prev: Option<(&Run, usize)> = None;
    for item in cx.items() {
        let InstructionKind::Run(run) = item.kind() else {
            prev = None;
            continue;
        };
        let n = script_commands(run);
        if let Some((p, pn)) = prev {
            let same_flags =
                p.mounts == run.mounts && p.network == run.network && p.security == run.security;
            if same_flags && n <= 1 && pn <= 1 {
                out.add(item.keyword_span(), RULE.summary);
            }
        }
        prev = Some((run, n));
    }
}

#[cfg(test)]
mod tests {
    use super::{count_commands, RULE};
    use crate::lint::testing::{catches, passes};

    #[test]
    fn counts_commands() {
        assert_eq!(count_commands("apt-get update && apt-get install -y x"), 2);
        assert_eq!(count_commands("a; b | c || d"), 4);
        assert_eq!(count_commands("X=1 Y=2"), 0);
        assert_eq!(count_commands("export V=$(cat f) && echo \"$V\""), 3);
        assert_eq!(count_commands("if [ -f x ]; then rm x; fi"), 2);
        assert_eq!(count_commands("echo 'a && b'"), 1);
        // Deep nesting stays linear instead of re-scanning each level.
        let deep = "echo $(".repeat(5000) + &")".repeat(5000);
        assert!(count_commands(&deep) > 32);
    }

    #[test]
    fn catches_short_consecutive_runs() {
        let f = catches(&RULE, "FROM a:1\nRUN a\n# note\nRUN X=$(b)\n");
        assert_eq!(f[0].span.start.line, 4);
    }

    #[test]
    fn passes_long_chains_other_flags_or_separated() {
        passes(&RULE, "FROM a:1\nRUN a && b\nRUN d\n");
        passes(&RULE, "FROM a:1\nRUN a\nRUN echo $(b)\n");
        passes(&RULE, "FROM a:1\nRUN a\nWORKDIR /x\nRUN b\n");
        passes(
            &RULE,
            "FROM a:1\nRUN a\nRUN --mount=type=cache,target=/c b\n",
        );
    }
}
