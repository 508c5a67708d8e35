//! Native Dockerfile parse speed over the whole shared corpus, in process.
//!
//!   cargo bench --bench parse [-- --seconds S] [-- --json]
//!
//! Two workloads, each timed as whole rounds over every corpus file, after
//! a warm-up, for at least `--seconds` (default 3) and 20 rounds:
//!
//! - `parse`: [`layerkit::dockerfile::parse`], the syntax tree (what
//!   BuildKit's `parser.Parse` does);
//! - `parse+instructions`: and the typed instructions;
//! - `parseDockerfile`: what the npm package's `parseDockerfile` does —
//!   parse, typed instructions, and the result as a JSON value (serde_json
//!   here, JS objects in wasm) — to compare with the wasm build.
//!
//! benches/parse.sh runs this with the wasm build under Node and BuildKit's
//! own parser, and prints the ratios.

use std::time::{Duration, Instant};

use layerkit::dockerfile::{self, Diagnostic, Directive, NodeJson};
use serde::Serialize;

/// The shape `parseDockerfile` returns (src/wasm.rs).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Parsed {
    instructions: Vec<NodeJson>,
    diagnostics: Vec<Diagnostic>,
    directives: Vec<Directive>,
    escape: char,
}

fn parse_dockerfile(source: &str) -> serde_json::Value {
    let df = dockerfile::parse(source);
    let typed = df.instructions();
    let instructions = df
        .nodes
        .iter()
        .map(|n| NodeJson {
            span: Some(n.span),
            ..n.to_json()
        })
        .collect();
    let mut diagnostics = df.diagnostics.clone();
    diagnostics.extend(typed.diagnostics);
    serde_json::to_value(Parsed {
        instructions,
        diagnostics,
        directives: df.directives.clone(),
        escape: df.escape,
    })
    .expect("serialisable")
}

struct Stats {
    rounds: usize,
    median: Duration,
    best: Duration,
}

/// Times `round` until `min_time` has passed and at least 20 rounds ran.
fn measure(min_time: Duration, mut round: impl FnMut() -> usize) -> Stats {
    // Warm-up: caches, allocator, branch predictors.
    let warm = Instant::now();
    while warm.elapsed() < min_time / 10 {
        std::hint::black_box(round());
    }
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 20 || start.elapsed() < min_time {
        let t = Instant::now();
        std::hint::black_box(round());
        times.push(t.elapsed());
    }
    times.sort();
    Stats {
        rounds: times.len(),
        median: times[times.len() / 2],
        best: times[0],
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let json = args.iter().any(|a| a == "--json");
    let seconds: f64 = args
        .iter()
        .position(|a| a == "--seconds")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let min_time = Duration::from_secs_f64(seconds);

    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/dockerfiles");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    paths.sort();
    let files: Vec<String> = paths
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .collect();
    let bytes: usize = files.iter().map(String::len).sum();
    let nodes: usize = files.iter().map(|f| dockerfile::parse(f).nodes.len()).sum();

    let parse = measure(min_time, || {
        files.iter().map(|f| dockerfile::parse(f).nodes.len()).sum()
    });
    let typed = measure(min_time, || {
        files
            .iter()
            .map(|f| dockerfile::parse(f).instructions().items.len())
            .sum()
    });
    let full = measure(min_time, || {
        files
            .iter()
            .map(|f| {
                parse_dockerfile(f)["instructions"]
                    .as_array()
                    .map_or(0, Vec::len)
            })
            .sum()
    });

    let report = |name: &str, s: &Stats| {
        let secs = s.median.as_secs_f64();
        if json {
            println!(
                "{{\"impl\":\"native\",\"workload\":\"{name}\",\"files\":{},\"bytes\":{bytes},\"instructions\":{nodes},\"rounds\":{},\"median_s\":{secs},\"best_s\":{}}}",
                files.len(),
                s.rounds,
                s.best.as_secs_f64()
            );
        } else {
            println!(
                "native {name:<20} {:>8.2} ms/round (best {:.2}, {} rounds)  {:>9.0} files/s  {:>7.1} MiB/s",
                secs * 1e3,
                s.best.as_secs_f64() * 1e3,
                s.rounds,
                files.len() as f64 / secs,
                bytes as f64 / secs / (1024.0 * 1024.0)
            );
        }
    };
    if !json {
        println!(
            "corpus: {} files, {} KiB, {nodes} instructions",
            files.len(),
            bytes / 1024
        );
    }
    report("parse", &parse);
    report("parse+instructions", &typed);
    report("parseDockerfile", &full);
}
