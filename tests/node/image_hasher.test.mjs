// The host's sha256 (`options.sha256`): `layerkit/image` in Node hashes
// with OpenSSL by default, and gets the same reports as with the wasm
// build's own sha256 and as the CLI; a broken hasher gives a clear error,
// never a report with wrong digests.
//
//   .ci/package && node --test tests/node/image_hasher.test.mjs

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, Hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import { cli, imageFixtures, packed, realFixtures } from './packed.mjs';

let lk; // layerkit/image
let ImageReader; // the nodejs build's class, as layerkit/image uses it
const made = []; // the options of every ImageReader layerkit/image made

before(async () => {
  const { dir } = packed();
  const bindings = createRequire(path.join(dir, 'package.json'))('./nodejs/layerkit.js');
  ImageReader = bindings.ImageReader;
  // layerkit/image takes the class from the nodejs build when it loads:
  // this subclass records what it is constructed with and changes nothing.
  bindings.ImageReader = class extends ImageReader {
    constructor(name, options) {
      super(name, options);
      made.push(options);
    }
  };
  lk = await import(path.join(dir, 'image/node.js'));
});

const real = (f) => path.join(realFixtures, f);

/** Docker 18.09 (uncompressed layers: the stored hash is the diff_id),
 *  OCI with gzip and zstd layers (two hashes per layer), Docker 25. */
const archives = ['dive/test-docker-image.tar', 'dive/test-oci-gzip-image.tar',
  'dive/test-oci-zstd-image.tar', 'ggcr/hello-world-v25.tar'].map(real);

/** OpenSSL's sha256, counting the bytes it is fed. */
function counting() {
  const fed = { bytes: 0, hashers: 0 };
  const make = () => {
    fed.hashers += 1;
    const h = createHash('sha256');
    return { update: (d) => { fed.bytes += d.length; h.update(d); }, digest: () => h.digest() };
  };
  return { fed, make };
}

test('readImage hashes with OpenSSL by default in Node; sha256: null keeps the built-in one', async () => {
  made.length = 0;
  await lk.readImage(archives[0]);
  assert.equal(made.length, 1);
  assert.equal(typeof made[0].sha256, 'function');
  assert.ok(made[0].sha256() instanceof Hash, 'the default hasher is crypto.createHash');
  made.length = 0;
  const f = await lk.readFile(path.join(imageFixtures(), 'docker.tar'), '/etc/greeting');
  assert.equal(new TextDecoder().decode(f.content), 'hello\n');
  assert.ok(made[0].sha256() instanceof Hash, 'readFile too');
  made.length = 0;
  await lk.readImage(archives[0], { sha256: null });
  assert.equal(made[0].sha256, null);
});

test('the same reports with the host hasher, the built-in one and the CLI', async () => {
  for (const file of archives) {
    const { fed, make } = counting();
    const host = await lk.readImage(file, { sha256: make });
    const builtIn = await lk.readImage(file, { sha256: null });
    const byDefault = await lk.readImage(file);
    assert.deepEqual(host, builtIn, file);
    assert.deepEqual(byDefault, builtIn, file);
    assert.deepEqual(host.inspect, JSON.parse(cli('inspect', '-q', '--format', 'json', file))[0], file);
    // The layers' bytes went through the host's hasher (a compressed
    // layer's both stored and decompressed).
    assert.ok(fed.bytes >= host.inspect.Size, `${file}: ${fed.bytes} bytes hashed, ${host.inspect.Size} in layers`);
    assert.ok(fed.hashers > host.inspect.RootFS.Layers.length, `${file}: ${fed.hashers} hashers`);
  }
});

test('an OCI layout directory (readLayout) with the host hasher', async () => {
  const layout = path.join(imageFixtures(), 'layout');
  const { fed, make } = counting();
  const host = await lk.readImage(layout, { sha256: make });
  assert.deepEqual(host, await lk.readImage(layout, { sha256: null }));
  assert.ok(fed.bytes > 0);
  const f = await lk.readFile(layout, '/etc/greeting', { sha256: make });
  assert.equal(new TextDecoder().decode(f.content), 'hello\n');
});

test('ImageReader with and without sha256 gives the same report', () => {
  const bytes = readFileSync(real('dive/test-oci-gzip-image.tar'));
  const run = (options) => {
    const r = new ImageReader('gzip.tar', options);
    try {
      for (let at = 0; at < bytes.length; at += 100_000) r.push(bytes.subarray(at, at + 100_000));
      return r.finish();
    } finally {
      r.free();
    }
  };
  assert.deepEqual(run({ sha256: () => createHash('sha256') }), run({}));
});

test('a hasher that is not sha256 is refused before reading', async () => {
  const file = archives[1];
  const flipped = () => {
    const h = createHash('sha256');
    return { update: (d) => h.update(d), digest: () => { const b = h.digest(); b[0] ^= 1; return b; } };
  };
  const cases = [
    [() => createHash('sha512'), /options: sha256: digest\(\) did not return 32 bytes/],
    [flipped, /options: sha256: it hashes "abc" to sha256:bb7816bf\w+ where sha256 gives sha256:ba7816bf\w+: it is not sha256/],
    [() => ({ update() { throw new Error('no hashing today'); }, digest: () => new Uint8Array(32) }),
      /options: sha256: .*no hashing today/],
    [() => { throw new Error('no hashers left'); }, /options: sha256: .*no hashers left/],
    [() => 'sha256', /options: sha256: it returned something other than a hasher/],
    [() => ({ update() {}, digest: () => 'ba7816bf' }), /options: sha256: digest\(\) did not return 32 bytes/],
    ['sha256', /options: sha256: expected a function returning a hasher/],
  ];
  for (const [sha256, want] of cases) {
    assert.throws(() => new ImageReader('x.tar', { sha256 }), want);
    await assert.rejects(lk.readImage(file, { sha256 }), want);
  }
});

/** A sha256 that passes the check (its first hasher), then fails as `how` says. */
function failingLater(how) {
  let made = 0;
  return () => {
    const h = createHash('sha256');
    if (made++ === 0) return h;
    let fed = 0;
    return {
      update(d) {
        fed += d.length;
        if (how === 'throw' && fed > 1000) throw new Error('the hasher broke');
        h.update(d);
      },
      digest() {
        const b = h.digest();
        if (how === 'wrong') b[31] ^= 1;
        return b;
      },
    };
  };
}

test('a hasher that fails while reading: an error naming it, not a report', async () => {
  for (const file of archives) {
    await assert.rejects(lk.readImage(file, { sha256: failingLater('throw') }),
      (e) => e.message.includes(`${file}: the sha256 hasher failed:`) && e.message.includes('the hasher broke'),
      file);
    // Digests that come out wrong are mismatches, as for a corrupt archive.
    await assert.rejects(lk.readImage(file, { sha256: failingLater('wrong') }),
      /digest mismatch for .*expected sha256:\w+, but its content is sha256:/, file);
  }
  const layout = path.join(imageFixtures(), 'layout');
  await assert.rejects(lk.readImage(layout, { sha256: failingLater('throw') }), /the sha256 hasher failed: .*the hasher broke/);
  // ImageReader: once failed, every call says so.
  const r = new ImageReader('gzip.tar', { sha256: failingLater('throw') });
  const bytes = readFileSync(archives[1]);
  assert.throws(() => {
    for (let at = 0; at < bytes.length; at += 65536) r.push(bytes.subarray(at, at + 65536));
  }, /gzip\.tar: the sha256 hasher failed: .*the hasher broke/);
  assert.throws(() => r.finish(), /the sha256 hasher failed/);
  r.free();
});
