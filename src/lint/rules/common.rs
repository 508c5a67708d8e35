//! Helpers shared by several rules.

use crate::dockerfile::{InstructionKind, Node};
use crate::lint::{Context, Edit, Item, StageInfo};

/// `s` with the quotes at either end removed (`"/app/"` → `/app/`), as a
/// path, name or value written in quotes is meant.
pub fn unquote(s: &str) -> &str {
    s.trim_matches(['"', '\''])
}

/// Every `COPY --from=…` inside a stage: the item, its stage and the
/// `--from` value (unquoted, as written).
pub fn copies_from<'c>(
    cx: &'c Context,
) -> impl Iterator<Item = (Item<'c>, &'c StageInfo, &'c str)> {
    cx.items().filter_map(|item| {
        let (InstructionKind::Copy(c), Some(stage)) = (item.kind(), item.stage) else {
            return None;
        };
        Some((item, stage, unquote(c.from.as_deref()?)))
    })
}

/// Names of the variables `s` references (`$NAME`, `${NAME…}`), in order,
/// outside single quotes and not escaped with `escape`.
pub fn var_refs(s: &str, escape: char) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut single = false;
    let mut double = false;
    while i < chars.len() {
        let c = chars[i];
        if c == escape && !single {
            i += 2;
            continue;
        }
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '$' if !single => {
                let braced = chars.get(i + 1) == Some(&'{');
                let start = i + 1 + usize::from(braced);
                let mut j = start;
                while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                if j > start && !chars[start].is_ascii_digit() {
                    out.push(chars[start..j].iter().collect());
                }
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Whether `p` is an absolute path: `/x`, or on Windows `C:\x`, `C:/x`,
/// `\x`.
pub fn is_absolute(p: &str) -> bool {
    let b = p.as_bytes();
    p.starts_with('/')
        || p.starts_with('\\')
        || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
}

/// The exec (JSON) form of a shell-form command line, when converting it
/// changes nothing but how it is started: plain words with no quotes,
/// variables, globs, redirections or operators.
pub fn exec_form(cmd: &str) -> Option<String> {
    let words: Vec<&str> = cmd.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        return None;
    }
    let plain = |w: &str| {
        w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c))
    };
    if !words.iter().all(|w| plain(w)) {
        return None;
    }
    let quoted: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
    Some(format!("[{}]", quoted.join(", ")))
}

/// An edit turning the shell-form arguments of `node` into `json` (the
/// exec form), from the first argument to the end of the instruction's
/// text.
pub fn args_edit(cx: &Context, node: &Node, args_offset: usize, json: String) -> Edit {
    let o = &node.original;
    let end = o.trim_end().len();
    cx.edit(node, args_offset, end.saturating_sub(args_offset), json)
}

/// A suggestion for a misspelt `name` among `options` (Levenshtein
/// distance at most 2, case counts), as BuildKit suggests.
pub fn suggest<'a>(name: &str, options: impl IntoIterator<Item = &'a str>) -> Option<String> {
    crate::dockerfile::suggest(name, options, true)
}

/// Pairs (earlier, later) of consecutive items of the same kind within a
/// stage, for "only the last one counts" rules.
pub fn repeated_in_stage(
    cx: &Context,
    is_kind: impl Fn(&crate::dockerfile::InstructionKind) -> bool,
) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for stage in &cx.stages {
        let mut prev = None;
        for item in cx.stage_items(stage) {
            if is_kind(item.kind()) {
                if let Some(p) = prev {
                    out.push((p, item.index));
                }
                prev = Some(item.index);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_variable_references() {
        assert_eq!(
            var_refs("a $A ${B:-x} '$C' \\$D \"$E\" $1", '\\'),
            ["A", "B", "E"]
        );
    }

    #[test]
    fn converts_only_simple_commands() {
        assert_eq!(
            exec_form("nginx -g daemon=off").as_deref(),
            Some(r#"["nginx", "-g", "daemon=off"]"#)
        );
        assert_eq!(exec_form("echo $HOME"), None);
        assert_eq!(exec_form("a && b"), None);
        assert_eq!(exec_form("echo 'x y'"), None);
    }
}
