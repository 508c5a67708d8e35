// `layerkit/image` from the packed npm package against the `layerkit` CLI on
// the same real archives: `readImage` must report what `inspect`,
// `history`, `tree` (summary, `--layer N`, `--merged`) print as JSON, and
// `readFile` the bytes `cat` prints — from a path, a Node stream, a web
// ReadableStream, a Blob and bytes, and for an OCI layout directory.
//
//   .ci/package && node --test tests/node/image.test.mjs

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Readable } from 'node:stream';

import {
  assertSameReport, cli, cliBytes, cliReport, imageFixtures, packed, realFixtures, split,
} from './packed.mjs';

let lk; // layerkit/image, imported from the installed package
let made; // tests/fixtures/image/make.sh's output

before(async () => {
  const { dir } = packed();
  lk = await import(path.join(dir, 'image/node.js'));
  made = imageFixtures();
});

/** Every archive kind: Docker 18.09 (legacy), kaniko (gzip layers inside a
 *  docker-archive), Docker 25-style (OCI layout + manifest.json), 20.10
 *  with two images and a Parent chain, OCI archives with gzip, zstd,
 *  estargz and uncompressed layers, whiteouts, and the umoci-made layout in
 *  each form skopeo writes. `:N` picks an image. */
const archives = () => [
  ...['dive/test-docker-image.tar', 'dive/test-kaniko-image.tar', 'dive/test-oci-gzip-image.tar',
    'dive/test-oci-zstd-image.tar', 'dive/test-oci-estargz-image.tar', 'dive/test-oci-uncompressed-image.tar',
    'ggcr/hello-world-v25.tar', 'ggcr/test_link.tar:0', 'ggcr/test_link.tar:1', 'ggcr/whiteout_image.tar',
    'ggcr/overwritten_file.tar', 'ggcr/whiteout_dir.tar', 'ggcr/source_image_with_empty_layer_history.tar',
    'ggcr/test_bundle.tar:1'].map((a) => path.join(realFixtures, a)),
  ...['layout', 'docker.tar', 'docker.tar.gz', 'oci.tar'].map((a) => path.join(made, a)),
];

test('readImage(path) reports what inspect, history and tree print, for every kind of archive', async () => {
  for (const a of archives()) {
    const { file, image } = split(a);
    const report = await lk.readImage(file, { image });
    assertSameReport(report, cliReport(a), a);
    assert.deepEqual(report.files, {});
  }
});

test("dive's numbers for its test image", async () => {
  const r = await lk.readImage(path.join(realFixtures, 'dive/test-docker-image.tar'));
  assert.equal(r.inspect.Id, 'sha256:75ae28b8ebf89b203319069ddcbecdf5c3838503bbebc0d0d85e4b8589c5de3a');
  assert.equal(r.tree.layer.length, 14);
  assert.equal(r.tree.image.efficiencyScore, 0.9844212134184309);
  assert.equal(r.tree.image.inefficientBytes, 32025);
  assert.equal(r.tree.image.userSizeBytes, 66237);
});

test('a Node stream, a web ReadableStream, a Blob and bytes give the same report as the path', async () => {
  for (const file of [path.join(realFixtures, 'dive/test-docker-image.tar'), path.join(made, 'docker.tar.gz'),
    path.join(realFixtures, 'dive/test-oci-zstd-image.tar')]) {
    const want = await lk.readImage(file, { name: 'input' });
    const bytes = readFileSync(file);
    const sources = {
      'Node stream': createReadStream(file, { highWaterMark: 1000 }), // odd chunk sizes
      ReadableStream: Readable.toWeb(createReadStream(file)),
      Blob: new Blob([bytes]),
      Uint8Array: new Uint8Array(bytes),
      'async generator': (async function* chunks() {
        for (let i = 0; i < bytes.length; i += 4093) yield bytes.subarray(i, i + 4093);
      })(),
    };
    for (const [kind, source] of Object.entries(sources)) {
      assert.deepEqual(await lk.readImage(source, { name: 'input' }), want, `${file} as ${kind}`);
    }
  }
});

test('progress: bytes grow to the total, with members and layers', async () => {
  const file = path.join(made, 'docker.tar');
  const total = readFileSync(file).length;
  const seen = [];
  await lk.readImage(file, { onProgress: (p) => seen.push(p) });
  assert.ok(seen.length >= 1);
  const last = seen.at(-1);
  assert.equal(last.total, total);
  assert.equal(last.bytes, total);
  assert.equal(last.layers, 3);
  assert.ok(last.members > 3);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i].bytes >= seen[i - 1].bytes);
  // From a stream the total is unknown.
  const fromStream = [];
  await lk.readImage(createReadStream(file), { onProgress: (p) => fromStream.push(p) });
  assert.equal(fromStream.at(-1).total, null);
  assert.equal(fromStream.at(-1).bytes, total);
});

test('readFile returns the bytes `layerkit cat` prints, links followed', async () => {
  const cases = [
    ['dive/test-docker-image.tar', ['/root/saved.txt', '/somefile.txt', 'root/.data/tag.sh', '/etc/passwd']],
    ['dive/test-kaniko-image.tar', []],
    ['ggcr/overwritten_file.tar', []],
  ].map(([f, p]) => [path.join(realFixtures, f), p]);
  for (const form of ['layout', 'docker.tar', 'docker.tar.gz', 'oci.tar']) {
    cases.push([path.join(made, form), ['/etc/greeting', '/usr/bin/greet-link', '/usr/bin/tool-hardlink',
      '/etc/absolute-link', '/data/big', '/data/opaque/c', 'etc/added']]);
  }
  for (const [file, paths] of cases) {
    if (paths.length === 0) {
      // Every regular file of the merged view.
      const r = await lk.readImage(file);
      paths.push(...r.merged.filter((m) => m.kind === 'file').map((m) => `/${m.path}`));
    }
    const many = await lk.readImage(file, { files: paths });
    for (const p of paths) {
      const one = await lk.readFile(file, p);
      assert.equal(Buffer.compare(Buffer.from(one.content), cliBytes('cat', '-q', file, p)), 0, `${file} ${p}`);
      assert.deepEqual(many.files[p].content, one.content, `${file} ${p}: with readImage`);
      if (one.kind === 'file') assert.equal(one.size, one.content.length);
    }
  }
});

test('readFile: links to elsewhere need a second read, which a stream cannot give', async () => {
  const file = path.join(made, 'oci.tar');
  // One pass captures the file itself from a stream...
  const direct = await lk.readFile(createReadStream(file), '/etc/greeting');
  assert.equal(new TextDecoder().decode(direct.content), 'hello\n');
  // ...but a symlink's target elsewhere only from a source read twice.
  await assert.rejects(lk.readFile(createReadStream(file), '/usr/bin/greet-link'),
    /\/usr\/bin\/greet-link: its content is stored at \/etc\/greeting .* cannot be read twice/);
  const linked = await lk.readFile(new Blob([readFileSync(file)]), '/usr/bin/greet-link');
  assert.equal(linked.path, 'etc/greeting');
  assert.equal(new TextDecoder().decode(linked.content), 'hello\n');
});

test('errors carry the messages the CLI prints', async () => {
  const run = (args) => {
    try {
      cli(...args);
    } catch (e) {
      return e.stderr;
    }
    assert.fail(`layerkit ${args.join(' ')} succeeded`);
  };
  for (const f of ['ggcr/no_manifest.tar', 'ggcr/null_manifest.tar']) {
    const file = path.join(realFixtures, f);
    const err = await lk.readImage(file).then(() => assert.fail('read'), (e) => e);
    assert.ok(err instanceof Error);
    assert.ok(run(['inspect', '-q', file]).includes(err.message), `${f}: ${err.message}`);
  }
  const dive = path.join(realFixtures, 'dive/test-docker-image.tar');
  const err = await lk.readFile(dive, '/nope/x').then(() => assert.fail('read'), (e) => e);
  assert.ok(run(['cat', '-q', dive, '/nope/x']).includes(err.message), err.message);
  await assert.rejects(lk.readFile(dive, '/root'), /\/root: is a directory/);
  await assert.rejects(lk.readImage(path.join(realFixtures, 'ggcr/test_link.tar')), /no image named; it holds 2/);
  await assert.rejects(lk.readImage(dive, { image: 'nope:1' }), /no image matches "nope:1"/);
  await assert.rejects(lk.readImage(dive, { platform: 'linux' }), /platform/);
  await assert.rejects(lk.readImage(dive, { files: ['../etc/passwd'] }), /may not contain `\.\.`/);
  // Truncated: the archive cut in the middle of a layer.
  const bytes = readFileSync(dive);
  await assert.rejects(lk.readImage(bytes.subarray(0, 700_000), { name: 'cut.tar' }), /cut\.tar/);
});

test("require('layerkit/image') works too", async () => {
  const { dir } = packed();
  const require = createRequire(path.join(dir, '..', 'x.js'));
  const image = require('layerkit/image');
  const file = path.join(made, 'docker.tar');
  const r = await image.readImage(file);
  assert.deepEqual(r, await lk.readImage(file));
  const f = await image.readFile(file, '/etc/greeting');
  assert.equal(new TextDecoder().decode(f.content), 'hello\n');
});
