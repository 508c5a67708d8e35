// The wasm build in Node over the whole shared corpus, timed like
// benches/parse.rs: whole rounds over every file, after a warm-up, for at
// least SECONDS and 20 rounds. Prints one JSON line per workload:
// the npm package's parseDockerfile, and, from the bench-only module
// (benches/wasm-parse), parse() and parse()+instructions() with only a
// count coming back.
//
//   node benches/parse_wasm.mjs PKG_DIR BENCH_DIR [SECONDS]
//
// Both directories hold wasm-bindgen `--target nodejs` output;
// benches/parse.sh builds them.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const [pkgDir, benchDir, secondsArg] = process.argv.slice(2);
if (!pkgDir || !benchDir) {
  console.error('usage: node benches/parse_wasm.mjs PKG_DIR BENCH_DIR [SECONDS]');
  process.exit(2);
}
const seconds = Number(secondsArg ?? 3);
const require = createRequire(import.meta.url);
const { parseDockerfile } = require(resolve(pkgDir, 'layerkit.js'));
const { parseCount, parseTypedCount } = require(
  resolve(benchDir, 'layerkit_bench_wasm.js'),
);

const here = dirname(fileURLToPath(import.meta.url));
const dir = join(here, '..', '..', 'shared', 'corpus', 'dockerfiles');
const files = readdirSync(dir).sort().map((f) => readFileSync(join(dir, f), 'utf8'));
const bytes = files.reduce((n, f) => n + Buffer.byteLength(f), 0);

function measure(workload, parseOne) {
  const round = () => {
    let n = 0;
    for (const f of files) n += parseOne(f);
    return n;
  };
  const instructions = round();
  const warmUntil = performance.now() + (seconds * 1000) / 10;
  while (performance.now() < warmUntil) round();
  const times = [];
  const start = performance.now();
  while (times.length < 20 || performance.now() - start < seconds * 1000) {
    const t = performance.now();
    round();
    times.push((performance.now() - t) / 1000);
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({
    impl: 'wasm',
    workload,
    files: files.length,
    bytes,
    instructions,
    rounds: times.length,
    median_s: times[Math.floor(times.length / 2)],
    best_s: times[0],
  }));
}

measure('parse', parseCount);
measure('parse+instructions', parseTypedCount);
measure('parseDockerfile', (f) => parseDockerfile(f).instructions.length);
