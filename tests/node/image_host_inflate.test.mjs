// In Node, `layerkit/image` hands gzip layers of 1 MiB and more to Node's
// zlib, which inflates on libuv's thread pool while the main thread hashes
// and lists (the reader's `hostInflate`). These tests read images with such
// layers (tests/fixtures/image/make.sh: umoci, skopeo) and check the report
// is the CLI's, the same as the wasm core inflating on its own, from every
// kind of source and chunking; and that corrupt, cut and bomb layers fail
// as they must.
//
//   .ci/package && node --test tests/node/image_host_inflate.test.mjs

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';

import {
  assertSameReport, cli, cliBytes, cliReport, imageFixtures, nodePackage, packed, root,
} from './packed.mjs';

let lk; // layerkit/image, from the installed package
let made;
let scratch;

before(async () => {
  lk = await import(path.join(packed().dir, 'image/node.js'));
  made = imageFixtures();
  scratch = path.join(root, 'target/test-scratch/node-host-inflate');
  mkdirSync(scratch, { recursive: true });
});

/** The raw reader over `bytes` in chunks of `chunk`, the host's part played
 *  synchronously by zlib's whole-buffer gunzip when `host`:
 *  `{ report, inflated }`, the number of layers the host inflated. */
function readRaw(bytes, { host, chunk }) {
  const { ImageReader } = nodePackage();
  const r = new ImageReader('t.tar', { hostInflate: host });
  let parts = [];
  let inflated = 0;
  try {
    for (let at = 0; at < bytes.length;) {
      const piece = bytes.subarray(at, Math.min(at + chunk, bytes.length));
      const n = r.push(piece);
      at += n;
      const work = r.hostWork();
      if (work) {
        assert.ok(host, 'hostWork without hostInflate');
        if (work.prefix) parts.push(Buffer.from(work.prefix));
        parts.push(Buffer.from(piece.subarray(n - work.length, n)));
        if (work.ended) {
          r.pushInflated(gunzipSync(Buffer.concat(parts)));
          r.endInflated();
          parts = [];
          inflated += 1;
        }
      }
    }
    return { report: r.finish(), inflated };
  } finally {
    r.free();
  }
}

const big = () => [path.join(made, 'big-oci.tar'), path.join(made, 'big-docker.tar')];

test('the fixture has gzip layers big enough for the host, which inflates them', () => {
  const bytes = readFileSync(path.join(made, 'big-oci.tar'));
  const { report, inflated } = readRaw(bytes, { host: true, chunk: 1 << 20 });
  assert.equal(inflated, 2);
  assert.deepEqual(report.inspect.Layers.map((l) => l.Compression), ['gzip', 'gzip']);
  for (const l of report.inspect.Layers) assert.ok(l.Size >= 1 << 20, `${l.Digest}: ${l.Size} bytes`);
  // The same with the core inflating, in any chunking.
  for (const chunk of [1 << 20, 65536, 4093]) {
    assert.deepEqual(readRaw(bytes, { host: true, chunk }).report, report, `host, chunks of ${chunk}`);
    assert.deepEqual(readRaw(bytes, { host: false, chunk }).report, report, `core, chunks of ${chunk}`);
  }
});

test('readImage reports what inspect, history and tree print', async () => {
  for (const file of [...big(), path.join(made, 'big-layout')]) {
    assertSameReport(await lk.readImage(file), cliReport(file), file);
  }
});

test('every kind of source and chunking gives the same report', async () => {
  const file = path.join(made, 'big-oci.tar');
  const want = await lk.readImage(file, { name: 'input' });
  const bytes = readFileSync(file);
  const sources = {
    'Node stream, 1000-byte chunks': createReadStream(file, { highWaterMark: 1000 }),
    'Node stream, 5 MiB chunks': createReadStream(file, { highWaterMark: 5 << 20 }),
    ReadableStream: Readable.toWeb(createReadStream(file)),
    Blob: new Blob([bytes]),
    Uint8Array: new Uint8Array(bytes),
    'async generator, odd chunks': (async function* chunks() {
      for (let i = 0; i < bytes.length; i += 333_331) yield bytes.subarray(i, i + 333_331);
    })(),
  };
  for (const [kind, source] of Object.entries(sources)) {
    assert.deepEqual(await lk.readImage(source, { name: 'input' }), want, kind);
  }
  // The wasm build's own sha256 (as in browsers) changes nothing either.
  assert.deepEqual(await lk.readImage(file, { name: 'input', sha256: null }), want, 'built-in sha256');
});

test('readFile returns what `layerkit cat` prints, for files of the inflated layers', async () => {
  const file = path.join(made, 'big-oci.tar');
  const paths = ['/srv/d3/f2.txt', '/srv/d19/f39.txt', '/srv/d0/f29.txt'];
  const many = await lk.readImage(file, { files: paths });
  for (const p of paths) {
    const want = cliBytes('cat', '-q', file, p);
    assert.ok(want.length > 1000);
    assert.equal(Buffer.compare(Buffer.from(many.files[p].content), want), 0, p);
    const one = await lk.readFile(file, p);
    assert.equal(Buffer.compare(Buffer.from(one.content), want), 0, p);
  }
  await assert.rejects(lk.readFile(file, '/srv/d3/f0.txt'), /\/srv\/d3\/f0\.txt: no such file/);
});

test('progress reaches the total', async () => {
  const file = path.join(made, 'big-oci.tar');
  const seen = [];
  await lk.readImage(file, { onProgress: (p) => seen.push(p) });
  const last = seen.at(-1);
  assert.equal(last.bytes, readFileSync(file).length);
  assert.equal(last.layers, 2);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i].bytes >= seen[i - 1].bytes);
});

/** A ustar header for a regular file. */
function header(name, size) {
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('0', 156);
  h.write('ustar\0' + '00', 257);
  h.fill(' ', 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

function tar(entries) {
  const parts = [];
  for (const [name, data] of entries) {
    parts.push(header(name, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** The big layout as a docker-archive with gzip'd layers (kaniko's and
 *  go-containerregistry's form), whose stored bytes no digest names: only
 *  the diff ids are checked, so a changed layer reaches the inflater.
 *  `edit(layer0)` changes the first layer in place. */
function dockerArchive(edit = () => {}) {
  const dir = path.join(made, 'big-layout');
  const blob = (d) => readFileSync(path.join(dir, 'blobs/sha256', d.slice('sha256:'.length)));
  const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8'));
  const manifest = JSON.parse(blob(index.manifests[0].digest));
  const layers = manifest.layers.map((l) => Buffer.from(blob(l.digest)));
  edit(layers[0]);
  const config = `${manifest.config.digest.slice('sha256:'.length)}.json`;
  return tar([
    [config, blob(manifest.config.digest)],
    ...layers.map((l, i) => [`l${i}.tar.gz`, l]),
    ['manifest.json', Buffer.from(JSON.stringify([{ Config: config, RepoTags: ['big:1'],
      Layers: layers.map((_, i) => `l${i}.tar.gz`) }]))],
  ]);
}

const failure = async (source, name) => {
  const err = await lk.readImage(source, { name }).then(() => assert.fail(`${name} was read`), (e) => e);
  assert.ok(err instanceof Error);
  return err.message;
};

const cliFailure = (file) => {
  try {
    cli('inspect', '-q', file);
  } catch (e) {
    return e.stderr;
  }
  return assert.fail(`the CLI read ${file}`);
};

test('a corrupt or cut layer fails naming it, as in the CLI', async () => {
  const good = path.join(scratch, 'good.tar');
  writeFileSync(good, dockerArchive());
  assertSameReport(await lk.readImage(good), cliReport(good), good);
  const cases = {
    'corrupt deflate data': (b) => {
      for (let i = b.length >> 1; i < (b.length >> 1) + 64; i++) b[i] ^= 0xff;
    },
    'a wrong CRC-32': (b) => {
      b[b.length - 8] ^= 1;
    },
  };
  for (const [what, edit] of Object.entries(cases)) {
    const bad = path.join(scratch, 'bad.tar');
    writeFileSync(bad, dockerArchive(edit));
    const msg = await failure(bad, 'bad.tar');
    assert.match(msg, /l0\.tar\.gz/, `${what}: ${msg}`);
    assert.match(msg, /corrupt/, `${what}: ${msg}`);
    assert.match(cliFailure(bad), /l0\.tar\.gz.*corrupt/, what);
    // Node's zlib checked the CRC-32 (the core words it otherwise).
    if (what === 'a wrong CRC-32') assert.match(msg, /incorrect data check/);
  }
  // Cut inside the first layer: the archive is truncated.
  const bytes = readFileSync(good);
  const cut = bytes.subarray(0, bytes.indexOf(Buffer.from('l1.tar.gz')) - 100_000);
  assert.match(await failure(new Uint8Array(cut), 'cut.tar'), /cut\.tar.*truncated/);
});

test('a decompression bomb is refused', async () => {
  // 1.5 GiB of zeros in one file, gzip'd to ~1.5 MB: over 200:1 past the
  // 1 GiB floor. The inflated tar is never held: it is made in pieces.
  const file = path.join(scratch, 'bomb.tar');
  const zeros = Buffer.alloc(64 << 20);
  const members = [gzipSync(header('zero', 24 * zeros.length), { level: 9 })];
  const body = gzipSync(zeros, { level: 9 });
  for (let i = 0; i < 24; i++) members.push(body);
  const layer = Buffer.concat(members);
  assert.ok(layer.length > 1 << 20, `${layer.length}`);
  writeFileSync(file, tar([['layer.tar.gz', layer], ['manifest.json', Buffer.from('[]')]]));
  const msg = await failure(file, 'bomb.tar');
  assert.match(msg, /layer\.tar\.gz expands to more than .* decompression bomb/);
});
