//! Any bytes through every stage of the Dockerfile parser: `parse_bytes`,
//! `instructions()`, `expand()`, `dump()` and `to_json()`. Besides "no
//! panic", it checks what must hold for every input:
//!
//! - every span (nodes, heredocs, directives, diagnostics, typed items) lies
//!   within the source and starts no later than it ends;
//! - `start_line <= end_line`, and they agree with the node's span;
//! - nodes come in source order and never share a line;
//! - every character of a node's `original` maps back to that same
//!   character in the source;
//! - typed items point at existing nodes, in order, and stages hold them;
//! - `dump()` has one line per node, `to_json()` one object per node;
//! - for UTF-8 input, `parse_bytes` and `parse` agree.

#![no_main]

use layerkit::dockerfile::{self, BuildArgs, Dockerfile, Node};
use layerkit::{Pos, Span};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let df = dockerfile::parse_bytes(data);
    if let Ok(text) = std::str::from_utf8(data) {
        assert_eq!(dockerfile::parse(text), df, "parse and parse_bytes differ");
    }
    check_tree(&df);

    let typed = df.instructions();
    let mut last_node = None;
    for item in &typed.items {
        assert!(item.node < df.nodes.len(), "item points past the nodes");
        assert!(last_node < Some(item.node), "items out of order");
        last_node = Some(item.node);
        check_span(&df, item.span, "typed item");
    }
    for d in &typed.diagnostics {
        check_span(&df, d.span, "instruction diagnostic");
    }
    for &m in &typed.meta_args {
        assert!(m < typed.items.len());
    }
    for s in &typed.stages {
        assert!(s.from < typed.items.len());
        assert!(s.items.start == s.from + 1 && s.items.end <= typed.items.len());
    }

    let expanded = dockerfile::expand(&df, &typed, &BuildArgs::default());
    assert_eq!(expanded.items.len(), typed.items.len());
    for d in &expanded.diagnostics {
        check_span(&df, d.span, "expansion diagnostic");
    }

    let dump = df.dump();
    assert_eq!(dump.lines().count(), df.nodes.len(), "dump: {dump:?}");
    let json = serde_json::to_string(&df.to_json()).expect("nodes serialise");
    let back: Vec<serde_json::Value> = serde_json::from_str(&json).expect("JSON reads back");
    assert_eq!(back.len(), df.nodes.len());
});

fn check_tree(df: &Dockerfile) {
    let mut prev_end = 0;
    for node in &df.nodes {
        assert_eq!(node.span.start.line, node.start_line);
        assert!(
            node.start_line > prev_end,
            "node at line {} overlaps the previous one (ends {prev_end})",
            node.start_line
        );
        prev_end = node.end_line;
        check_node(df, node);
        for h in &node.heredocs {
            check_span(df, h.span, "heredoc");
            assert!(h.span.start.line >= node.start_line && h.span.end.line <= node.end_line);
        }
    }
    for d in &df.directives {
        check_span(df, d.span, "directive");
    }
    for d in &df.diagnostics {
        check_span(df, d.span, "parse diagnostic");
    }
}

fn check_node(df: &Dockerfile, node: &Node) {
    assert!(node.start_line <= node.end_line, "lines {node:?}");
    check_span(df, node.span, "node");
    assert!(node.span.start.line >= node.start_line);
    assert_eq!(node.span.end.line, node.end_line);
    // Every character of `original` is the source character it maps to.
    for (offset, ch) in node.original.char_indices() {
        let (line, col) = node.locate(offset).expect("every offset maps somewhere");
        assert!(
            line >= node.start_line && line <= node.end_line,
            "offset {offset} of {:?} maps to line {line}, outside the node",
            node.original
        );
        let at = df.line_index().line_start(line).expect("line exists") + col;
        assert!(
            df.source.get(at..).is_some_and(|s| s.starts_with(ch)),
            "offset {offset} ({ch:?}) of {:?} maps to {line}:{col} (bytes), which holds {:?}",
            node.original,
            df.source.get(at..).and_then(|s| s.chars().next())
        );
    }
    // And the character positions agree, at both ends.
    if let Some((last, _)) = node.original.char_indices().next_back() {
        for offset in [0, last] {
            let pos = df.pos_in(node, offset);
            let at = df.line_index().offset(&df.source, pos);
            let ch = node.original[offset..].chars().next().unwrap_or_default();
            assert!(
                df.source.get(at..).is_some_and(|s| s.starts_with(ch)),
                "offset {offset} of {:?} is at {pos}, which does not hold {ch:?}",
                node.original
            );
        }
    }
    if let Some(sub) = &node.sub {
        // ONBUILD's trigger: the same lines, its span inside the parent's.
        assert_eq!(
            (sub.start_line, sub.end_line),
            (node.start_line, node.end_line)
        );
        assert!(sub.span.start >= node.span.start && sub.span.end == node.span.end);
        assert!(node.original.contains(sub.original.as_str()));
        check_node(df, sub);
    }
}

fn check_span(df: &Dockerfile, span: Span, what: &str) {
    check_pos(df, span.start, what);
    check_pos(df, span.end, what);
    assert!(span.start <= span.end, "{what}: span {span:?} is backwards");
}

fn check_pos(df: &Dockerfile, pos: Pos, what: &str) {
    let lines = df.line_index().line_count();
    assert!(
        pos.line >= 1 && pos.line <= lines,
        "{what}: line {} not in 1..={lines}",
        pos.line
    );
    let len = df.line(pos.line).chars().count() as u32;
    assert!(
        pos.col >= 1 && pos.col <= len + 1,
        "{what}: column {} not in 1..={} on line {}",
        pos.col,
        len + 1,
        pos.line
    );
}
