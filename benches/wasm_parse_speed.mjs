// Parse speed of the npm package's wasm in Node: every Dockerfile of the
// shared corpus (../shared/corpus/dockerfiles) through parseDockerfile,
// result conversion to JS objects included, best of several rounds.
//
//   node benches/wasm_parse_speed.mjs [PKG_DIR ...]   (default: pkg)
//
// With several package directories (builds with other profiles or wasm-opt
// flags), prints each one's speed and its ratio to the first.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const corpusDir = path.resolve(root, '../shared/corpus/dockerfiles');
const files = readdirSync(corpusDir).sort().map((f) => readFileSync(path.join(corpusDir, f), 'utf8'));
const bytes = files.reduce((n, f) => n + Buffer.byteLength(f), 0);
const dirs = process.argv.slice(2).length ? process.argv.slice(2) : [path.join(root, 'pkg')];
const require = createRequire(import.meta.url);

const rounds = 15;
const results = [];
for (const dir of dirs) {
  const lk = require(path.resolve(dir, 'nodejs/layerkit.js'));
  const wasm = statSync(path.resolve(dir, 'nodejs/layerkit_bg.wasm')).size;
  let instructions = 0;
  for (const f of files) instructions += lk.parseDockerfile(f).instructions.length; // warm up
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (const f of files) lk.parseDockerfile(f);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  results.push({ dir, wasm, best, instructions });
}

console.log(`corpus: ${files.length} Dockerfiles, ${(bytes / 1024).toFixed(0)} KiB, ` +
  `${results[0].instructions} instructions; best of ${rounds} rounds`);
for (const r of results) {
  const mbps = bytes / 1024 / 1024 / (r.best / 1000);
  const ratio = results[0].best / r.best;
  console.log(`${r.dir}: ${r.best.toFixed(1)} ms  ${mbps.toFixed(1)} MiB/s  ` +
    `${(r.best * 1000 / files.length).toFixed(0)} us/file  wasm ${r.wasm} B  ` +
    `speed vs first ${ratio.toFixed(2)}x`);
}
