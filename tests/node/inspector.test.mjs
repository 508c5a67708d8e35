// The inspector page (www/) end to end, in headless Chromium driven by
// playwright-core: served by a static server on 127.0.0.1 with the packed
// npm package where the page imports it from (vendor/layerkit/),
// real archives dropped and picked, what the page shows compared with the
// `layerkit` CLI and dive's numbers, a file viewed and downloaded, the
// Dockerfile pane linting as one types and applying a fix — and no request
// but for the page's own files. Screenshots go to tests/artifacts/.
//
//   .ci/package && node --test tests/node/inspector.test.mjs

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';

import { chromium } from 'playwright-core';

import { cli, cliBytes, imageFixtures, packed, realFixtures, root } from './packed.mjs';

const www = path.join(root, 'www');
const artifacts = path.join(root, 'tests/artifacts');
const dive = path.join(realFixtures, 'dive/test-docker-image.tar');
const ociArchive = path.join(realFixtures, 'dive/test-oci-gzip-image.tar');

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css',
  '.wasm': 'application/wasm', '.json': 'application/json',
};

let server;
let origin;
const served = []; // every request the server saw: `${method} ${path} ${status}`
let browser;
let layout; // the umoci-made OCI layout folder

/** www/ as any static server would serve it; /vendor/layerkit/ is the
 *  installed package (www/vendor.sh copies the same files there). */
function serve(pkgDir) {
  return createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    let rel = decodeURIComponent(url.pathname);
    if (rel.endsWith('/')) rel += 'index.html';
    const file = rel.startsWith('/vendor/layerkit/')
      ? path.join(pkgDir, rel.slice('/vendor/layerkit/'.length))
      : path.join(www, rel);
    const inside = file.startsWith(`${www}/`) || file.startsWith(`${pkgDir}/`);
    const ok = req.method === 'GET' && inside && !rel.startsWith('/vendor/layerkit/../') &&
      existsSync(file) && statSync(file).isFile();
    served.push(`${req.method} ${rel} ${ok ? 200 : 404}`);
    if (!ok) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
}

before(async () => {
  const { dir } = packed();
  layout = path.join(imageFixtures(), 'layout');
  server = serve(dir);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
  mkdirSync(artifacts, { recursive: true });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** A page with everything it requests and every problem it reports recorded. */
async function openPage(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1360, height: 1000 }, acceptDownloads: true, ...options });
  const page = await context.newPage();
  const requests = [];
  const problems = [];
  context.on('request', (r) => requests.push(`${r.method()} ${r.url()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('worker', (w) => w.on('console', (m) => {
    if (m.type() === 'error') problems.push(`worker console: ${m.text()}`);
  }));
  await page.goto(`${origin}/`);
  await page.waitForSelector('html[data-ready=true]');
  return { page, context, requests, problems };
}

/** Everything fetched came from the page's origin, with GET, and existed. */
function assertNothingLeft(requests) {
  assert.ok(requests.length > 0);
  for (const r of requests) {
    const [method, url] = r.split(' ');
    if (url.startsWith('data:') || url.startsWith('blob:')) continue;
    assert.equal(method, 'GET', r);
    assert.ok(url.startsWith(`${origin}/`), `a request left the page's origin: ${r}`);
  }
  const missing = served.filter((s) => !s.endsWith(' 200'));
  assert.deepEqual(missing, [], 'every request was for a file of the page');
}

/** The number a `<data>` element holds. */
const dataValue = (page, id) => page.$eval(`#${id}`, (e) => e.value);

/** Drops a file on the drop zone as a browser does: a DataTransfer with a File. */
async function dropFile(page, file) {
  const b64 = readFileSync(file).toString('base64');
  const dt = await page.evaluateHandle(({ b64: data, name }) => {
    const bin = atob(data);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const t = new DataTransfer();
    t.items.add(new File([bytes], name, { type: 'application/x-tar' }));
    return t;
  }, { b64, name: path.basename(file) });
  await page.dispatchEvent('#drop', 'dragover', { dataTransfer: dt });
  await page.dispatchEvent('#drop', 'drop', { dataTransfer: dt });
}

/** Records the progress bar while an image is read. */
async function watchProgress(page) {
  await page.evaluate(() => {
    window.progressSeen = { shown: false, max: 0, labels: [] };
    const bar = document.getElementById('progress-bar');
    new MutationObserver(() => {
      const box = document.getElementById('progress');
      if (!box.hidden) window.progressSeen.shown = true;
      if (bar.hasAttribute('value')) window.progressSeen.max = Math.max(window.progressSeen.max, bar.value);
      window.progressSeen.labels.push(document.getElementById('progress-label').textContent);
    }).observe(document.getElementById('progress'), { subtree: true, attributes: true, childList: true, characterData: true });
  });
}

async function waitForImage(page, id) {
  await page.waitForFunction((want) => document.getElementById('image-id')?.value === want, id, { timeout: 60_000 })
    .catch(async (e) => {
      const error = await page.$eval('#error', (el) => (el.hidden ? '' : el.textContent));
      assert.fail(`the page did not show image ${id}${error ? `: ${error}` : ''} (${e.message})`);
    });
}

/** The row of `path` in the file tree, found with the filter box. */
async function findInTree(page, p) {
  await page.click('#tab-files');
  await page.fill('#filter', p.split('/').pop());
  const row = page.locator(`#tree [role=treeitem][data-path="${p}"]`);
  await row.waitFor();
  return row;
}

test('a docker save tarball dropped on the page: image, layers, dive numbers, files, a file viewed and downloaded', async () => {
  const { page, context, requests, problems } = await openPage();
  try {
    const inspect = JSON.parse(cli('inspect', '-q', dive))[0];
    const tree = JSON.parse(cli('tree', '-q', '--format', 'json', dive));
    await watchProgress(page);
    await dropFile(page, dive);
    await waitForImage(page, inspect.Id);

    assert.equal(inspect.Id, 'sha256:75ae28b8ebf89b203319069ddcbecdf5c3838503bbebc0d0d85e4b8589c5de3a');
    assert.equal(await page.textContent('#image-title'), 'dive-test:latest');
    // The layers and their sizes, as the CLI counts them.
    assert.equal(Number(await dataValue(page, 'layer-count')), 14);
    const rows = page.locator('#layers tbody tr');
    assert.equal(await rows.count(), 14);
    const sizes = await page.$$eval('#layers tbody tr td:nth-child(3)', (tds) => tds.map((td) => td.title));
    assert.deepEqual(sizes.map((t) => Number(t.replace(/[^\d]/g, ''))), tree.layer.map((l) => l.sizeBytes));
    assert.deepEqual(await page.$$eval('#layers tbody tr td:nth-child(3)', (tds) => tds.map((td) => td.textContent)).then((s) => s.slice(0, 3)),
      ['1.15MB', '6.41kB', '0B']);
    assert.equal(Number(await dataValue(page, 'image-size')), inspect.Size);
    // dive's numbers for this image.
    const efficiency = Number(await dataValue(page, 'efficiency'));
    assert.equal(efficiency, tree.image.efficiencyScore);
    assert.ok(String(efficiency).startsWith('0.98442'), String(efficiency));
    assert.equal(await page.textContent('#efficiency'), '98.44 %');
    assert.equal(Number(await dataValue(page, 'wasted-bytes')), 32025);

    // The progress bar went to the end while reading.
    const seen = await page.evaluate(() => window.progressSeen);
    assert.ok(seen.shown, 'the progress bar was shown');
    assert.equal(seen.max, 1);
    assert.ok(seen.labels.some((l) => /of 1\.52MB \(100 %\)/.test(l)), seen.labels.join(' | '));
    assert.equal(await page.isHidden('#progress'), true);

    // Wasted space and history tabs.
    await page.click('#tab-wasted');
    assert.equal(await page.locator('#wasted tbody tr').count(), tree.image.fileReference.length);
    await page.click('#tab-history');
    assert.equal(await page.locator('#history tbody tr').count(), 15);

    // A layer's own changes: layer 7 moved somefile3.txt to saved.txt.
    await page.click('#tab-layers');
    await page.click('#layers tbody tr[data-layer="7"]');
    await page.locator('#tree [data-path="root/saved.txt"]').waitFor();
    assert.equal(await page.textContent('#tree [data-path="root/saved.txt"] .mark'), 'A');
    await page.locator('#tree [data-path="root/example/somefile3.txt"]').waitFor();
    assert.equal(await page.textContent('#tree [data-path="root/example/somefile3.txt"] .mark'), 'D');

    // The merged view, a known file, its content as `layerkit cat` prints it.
    await page.selectOption('#layer-select', 'merged');
    const row = await findInTree(page, 'root/.data/saved.again2.txt');
    assert.equal(await row.locator('.layer').textContent(), 'L12');
    await row.click();
    const detail = await page.textContent('#file-detail');
    assert.match(detail, /Size6,405 bytes/);
    assert.match(detail, /Mode-rw-r--r-- \(0644\)/);
    assert.match(detail, /Owner0:0/);
    await page.click('#file-detail button:text("View")');
    await page.locator('#viewer[open]').waitFor();
    const want = cliBytes('cat', '-q', dive, '/root/.data/saved.again2.txt').toString('utf8');
    assert.equal(await page.textContent('#viewer-content'), want);
    await page.screenshot({ path: path.join(artifacts, 'inspector-viewer.png') });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#viewer-download')]);
    assert.equal(download.suggestedFilename(), 'saved.again2.txt');
    assert.equal(readFileSync(await download.path(), 'utf8'), want);
    await page.keyboard.press('Escape');
    await page.locator('#viewer[open]').waitFor({ state: 'detached' }).catch(() => {});
    assert.equal(await page.$eval('#viewer', (d) => d.open), false);

    // The keyboard moves through the tree.
    await page.fill('#filter', '');
    // The filter applies on the next animation frame: let it, so it cannot
    // reset the tree under the key presses below.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await page.focus('#tree');
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowDown');
    const active = await page.$eval('#tree', (t) => t.getAttribute('aria-activedescendant'));
    assert.equal(active, 'tree-row-1');

    await page.click('#tab-files');
    await page.fill('#filter', 'saved');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(artifacts, 'inspector-image.png') });
    assert.deepEqual(problems, []);
    assertNothingLeft(requests);
  } finally {
    await context.close();
  }
});

test('an OCI archive picked with the file input, and an OCI layout folder', async () => {
  const { page, context, requests, problems } = await openPage({ colorScheme: 'dark' });
  try {
    const inspect = JSON.parse(cli('inspect', '-q', ociArchive))[0];
    await page.setInputFiles('#file-input', ociArchive);
    await waitForImage(page, inspect.Id);
    assert.equal(Number(await dataValue(page, 'layer-count')), inspect.RootFS.Layers.length);
    assert.match(await page.textContent('#image-source'), /oci-archive/);
    assert.match(await page.textContent('#summary'), new RegExp(`${inspect.Os}/${inspect.Architecture}`));

    // The folder: the layout umoci made, read blob by blob in the worker.
    const folder = JSON.parse(cli('inspect', '-q', layout))[0];
    await page.setInputFiles('#folder-input', layout);
    await waitForImage(page, folder.Id);
    assert.match(await page.textContent('#image-source'), /· oci ·/);
    const tree = JSON.parse(cli('tree', '-q', '--format', 'json', layout));
    assert.equal(Number(await dataValue(page, 'wasted-bytes')), tree.image.inefficientBytes);
    // A symlink, followed inside the image.
    const row = await findInTree(page, 'usr/bin/greet-link');
    await row.click();
    await page.click('#file-detail button:text("View")');
    await page.locator('#viewer[open]').waitFor();
    assert.equal(await page.textContent('#viewer-content'), cli('cat', '-q', layout, '/usr/bin/greet-link'));
    assert.match(await page.textContent('#viewer-title'), /\/usr\/bin\/greet-link → \/etc\/greeting/);
    await page.click('#viewer-close');
    // Removed paths show in the merged view on request.
    await page.fill('#filter', 'todelete');
    await page.check('#show-removed');
    await page.locator('#tree [data-path="etc/todelete"]').waitFor();
    assert.equal(await page.textContent('#tree [data-path="etc/todelete"] .mark'), 'D');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(artifacts, 'inspector-layout-dark.png') });

    // An archive with two images: the first is shown, the other can be picked.
    const link = path.join(realFixtures, 'ggcr/test_link.tar');
    const ids = [0, 1].map((n) => JSON.parse(cli('inspect', '-q', `${link}@${n}`))[0].Id);
    await page.setInputFiles('#file-input', link);
    await waitForImage(page, ids[0]);
    assert.equal(await page.isVisible('#image-select'), true);
    assert.equal(await page.locator('#image-select option').count(), 2);
    await page.selectOption('#image-select', '1');
    await waitForImage(page, ids[1]);

    // A broken archive: the core's message, no crash.
    await page.setInputFiles('#file-input', path.join(realFixtures, 'ggcr/no_manifest.tar'));
    await page.locator('#error:not([hidden])').waitFor();
    assert.match(await page.textContent('#error'), /has neither manifest\.json .* nor index\.json/);
    assert.deepEqual(problems, []);
    assertNothingLeft(requests);
  } finally {
    await context.close();
  }
});

test('the Dockerfile pane lints as one types and applies fixes', async () => {
  const { page, context, requests, problems } = await openPage();
  try {
    await page.click('#tab-dockerfile');
    await page.locator('#findings li').first().waitFor();
    await page.fill('#source', '');
    await page.focus('#source');
    await page.keyboard.type('FROM debian\nMAINTAINER me\n');
    const codes = () => page.$$eval('#findings li', (lis) => lis.map((li) => li.dataset.code));
    await page.waitForFunction(() => document.querySelectorAll('#findings li[data-code]').length === 3);
    assert.deepEqual(await codes(), ['DL3006', 'DL4000', 'MaintainerDeprecated']);
    const first = page.locator('#findings li').first();
    assert.equal(await first.locator('.where').textContent(), '1:6');
    assert.equal(await first.locator('.sev').textContent(), 'warning');
    assert.equal(await page.locator('#findings li[data-code=DL4000] .sev').textContent(), 'error');
    // Going to a finding selects its text.
    await first.locator('.where').click();
    assert.equal(await page.$eval('#source', (t) => t.value.slice(t.selectionStart, t.selectionEnd)), 'debian');

    // A fix button applies the finding's edits; the finding goes.
    await page.keyboard.press('Control+End');
    await page.keyboard.type('FROM alpine:3.20 as build\n');
    await page.locator('#findings li[data-code=FromAsCasing]').waitFor();
    await page.click('#findings li[data-code=FromAsCasing] .finding-fix button');
    await page.waitForFunction(() => !document.querySelector('#findings li[data-code=FromAsCasing]'));
    assert.match(await page.inputValue('#source'), /FROM alpine:3\.20 AS build/);
    await page.click('#findings li[data-code=MaintainerDeprecated] .finding-fix button');
    await page.waitForFunction(() => !document.querySelector('#findings li[data-code=MaintainerDeprecated]'));
    assert.match(await page.inputValue('#source'), /LABEL org\.opencontainers\.image\.authors="me"/);
    assert.equal(await page.textContent('#df-stats'), '4 lines · 3 instructions · 2 stages · 1 finding');
    assert.deepEqual(await codes(), ['DL3006']);
    await page.screenshot({ path: path.join(artifacts, 'inspector-dockerfile.png') });
    assert.deepEqual(problems, []);
    assertNothingLeft(requests);
  } finally {
    await context.close();
  }
});

test("layerkit/image's browser API on a page: a ReadableStream, bytes and a Blob, read in a worker", async () => {
  const { page, context, requests, problems } = await openPage();
  try {
    const inspect = JSON.parse(cli('inspect', '-q', dive))[0];
    const want = cli('cat', '-q', dive, '/root/saved.txt');
    const got = await page.evaluate(async (b64) => {
      const { readImage, readFile } = await import('./vendor/layerkit/image/browser.js');
      const bin = atob(b64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      const blob = new Blob([bytes]);
      const progress = [];
      const fromStream = await readImage(blob.stream(), { onProgress: (p) => progress.push(p) });
      const fromBytes = await readImage(bytes, { files: ['/root/saved.txt'] });
      const file = await readFile(blob, '/root/saved.txt');
      const missing = await readFile(blob, '/nope').then(() => 'read', (e) => e.message);
      return {
        ids: [fromStream.inspect.Id, fromBytes.inspect.Id],
        same: JSON.stringify(fromStream.merged) === JSON.stringify(fromBytes.merged),
        last: progress.at(-1),
        viaImage: new TextDecoder().decode(fromBytes.files['/root/saved.txt'].content),
        viaFile: new TextDecoder().decode(file.content),
        missing,
      };
    }, readFileSync(dive).toString('base64'));
    assert.deepEqual(got.ids, [inspect.Id, inspect.Id]);
    assert.ok(got.same);
    assert.equal(got.last.bytes, statSync(dive).size);
    assert.equal(got.last.total, null); // a stream's length is unknown
    assert.equal(got.viaImage, want);
    assert.equal(got.viaFile, want);
    assert.match(got.missing, /\/nope: no such file or directory in the image/);
    assert.deepEqual(problems, []);
    assertNothingLeft(requests);
  } finally {
    await context.close();
  }
});
