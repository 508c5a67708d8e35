// Reading one image archive three ways, side by side in one run: the native
// CLI (`layerkit inspect`, release), `layerkit/image` in Node (wasm, this
// thread), and the inspector page in headless Chromium (wasm in a Web
// Worker, the file picked with the file input), from the moment the file is
// given to the moment the page shows the image. Prints each time, the
// throughput over the archive's size, and the ratio to native.
//
//   benches/image_inspect.sh     # once: makes target/bench-image/archive.tar (a ~1 GiB layer)
//   .ci/package
//   node benches/wasm_image_browser.mjs [ARCHIVE] [ROUNDS]

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const target = path.resolve(root, process.env.CARGO_TARGET_DIR ?? 'target');
const archive = path.resolve(process.argv[2] ?? path.join(target, 'bench-image/archive.tar'));
const rounds = Number(process.argv[3] ?? 2);
if (!existsSync(archive)) {
  console.error(`${archive} does not exist: run benches/image_inspect.sh first (or give an archive)`);
  process.exit(2);
}
const pkg = path.join(root, 'pkg');
if (!existsSync(path.join(pkg, 'image/browser.js'))) {
  console.error('pkg/ has no image glue: run .ci/package first');
  process.exit(2);
}
const { chromium } = await import(path.join(root, 'tests/node/node_modules/playwright-core/index.mjs'));
const size = statSync(archive).size;

const best = async (fn) => {
  let t = Infinity;
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const took = await fn(); // a number: the part of the work to count, in ms
    t = Math.min(t, typeof took === 'number' ? took : performance.now() - t0);
  }
  return t / 1000;
};

// Native.
execFileSync('cargo', ['build', '-q', '--release', '--features', 'cli'], { cwd: root, stdio: 'inherit' });
const bin = path.join(target, 'release/layerkit');
const native = await best(() => execFileSync(bin, ['inspect', '-q', archive], { stdio: 'ignore' }));
const id = JSON.parse(execFileSync(bin, ['inspect', '-q', archive], { encoding: 'utf8' }))[0].Id;

// Node, wasm.
const { readImage } = await import(path.join(pkg, 'image/node.js'));
const node = await best(async () => {
  const r = await readImage(archive);
  if (r.inspect.Id !== id) throw new Error(`Node read ${r.inspect.Id}, the CLI ${id}`);
});

// The page, wasm in a worker.
const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm' };
const server = createServer((req, res) => {
  let rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  if (rel.endsWith('/')) rel += 'index.html';
  const file = rel.startsWith('/vendor/layerkit/') ? path.join(pkg, rel.slice(17)) : path.join(root, 'www', rel);
  if (!existsSync(file)) return res.writeHead(404).end();
  res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
  return res.end(readFileSync(file));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
let page;
const browserTime = await best(async () => {
  page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForSelector('html[data-ready=true]');
  const t0 = performance.now();
  await page.setInputFiles('#file-input', archive);
  await page.waitForFunction((want) => document.getElementById('image-id')?.value === want, id, { timeout: 0 });
  const took = performance.now() - t0;
  await page.close();
  return took;
});
await browser.close();
server.close();

const mb = size / 1e6;
const row = (name, s) => console.log(`${name.padEnd(36)} ${s.toFixed(2).padStart(7)} s  ${(mb / s).toFixed(0).padStart(5)} MB/s  ${(s / native).toFixed(2)}x native`);
console.log(`${path.basename(archive)}: ${mb.toFixed(0)} MB; best of ${rounds}`);
row('native CLI (layerkit inspect)', native);
row('Node, wasm (layerkit/image)', node);
row('Chromium page, wasm in a Worker', browserTime);
