// The wasm `lint` of a 200-line Dockerfile in Node: median of many runs.
// Goal: under 1 ms (fast enough to lint on every keystroke in an editor).
//
//   benches/build-wasm-node.sh && node benches/lint_wasm.mjs
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = process.env.LAYERKIT_NODE_PKG ?? path.join(root, 'target/wasm-node/layerkit.js');
const { lint, rules } = createRequire(import.meta.url)(pkg);

const file = path.join(root, '../shared/corpus/dockerfiles/docker-library_php__8.6-rc__alpine3.23__zts__Dockerfile.Dockerfile');
const source = readFileSync(file, 'utf8');
const lines = source.split('\n').length - 1;

for (let i = 0; i < 200; i++) lint(source); // warm up
const times = [];
for (let i = 0; i < 2000; i++) {
  const t = process.hrtime.bigint();
  lint(source);
  times.push(Number(process.hrtime.bigint() - t) / 1e6);
}
times.sort((a, b) => a - b);
const q = (p) => times[Math.floor(p * (times.length - 1))].toFixed(3);
const findings = lint(source).length;
console.log(`wasm lint, ${lines}-line Dockerfile (${findings} findings, ${rules().length} rules): median ${q(0.5)} ms, p90 ${q(0.9)} ms, p99 ${q(0.99)} ms, min ${q(0)} ms`);
