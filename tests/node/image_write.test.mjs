// The npm package's image assembly from Node: assembleImage, mutateConfig,
// retag and writeDockerArchive. The archive is streamed to a file from its
// parts (layer blobs piped from disk, never held whole) and checked with
// skopeo, the peer that reads docker-archives.
// The package's Node build comes from nodePackage() (see packed.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { nodePackage } from './packed.mjs';

const { assembleImage, mutateConfig, retag, writeDockerArchive } = nodePackage();

const sha256 = (b) => 'sha256:' + createHash('sha256').update(b).digest('hex');

/** A gzip'd layer made by tar from a few files. */
function makeLayer(dir) {
  const src = path.join(dir, 'rootfs');
  mkdirSync(path.join(src, 'etc'), { recursive: true });
  writeFileSync(path.join(src, 'etc/hello'), 'hello from wasm\n');
  const tar = path.join(dir, 'layer.tar');
  execFileSync('tar', ['--sort=name', '--mtime=@1700000000', '--owner=0', '--group=0',
    '--numeric-owner', '-C', src, '-cf', tar, '.']);
  const raw = readFileSync(tar);
  const gz = gzipSync(raw);
  const file = path.join(dir, 'layer.tar.gz');
  writeFileSync(file, gz);
  return { file, digest: sha256(gz), size: gz.length, diffId: sha256(raw) };
}

/** Writes archive parts to `out`, streaming each blob from `files`. */
async function writeParts(parts, files, out) {
  const w = createWriteStream(out);
  for (const p of parts) {
    if (p instanceof Uint8Array) {
      if (!w.write(p)) await new Promise((r) => w.once('drain', r));
    } else {
      const file = files.get(p.blob.digest);
      assert.ok(file, `no file for ${p.blob.digest}`);
      for await (const chunk of createReadStream(file)) {
        if (!w.write(chunk)) await new Promise((r) => w.once('drain', r));
      }
    }
  }
  await new Promise((r, j) => w.end((e) => (e ? j(e) : r())));
}

test('assembleImage + writeDockerArchive give an archive skopeo reads', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'layerkit-wasm-write-'));
  const layer = makeLayer(dir);
  const base = assembleImage({
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer.digest,
      size: layer.size, diffId: layer.diffId, createdBy: 'made in node' }],
    created: '2024-01-02T03:04:05Z',
  });
  assert.equal(base.id, sha256(Buffer.from(base.config)));
  assert.equal(base.manifestDescriptor.digest, sha256(Buffer.from(base.manifest)));
  const again = assembleImage({
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer.digest,
      size: layer.size, diffId: layer.diffId, createdBy: 'made in node' }],
    created: '2024-01-02T03:04:05Z',
  });
  assert.equal(again.id, base.id, 'deterministic');

  // docker commit --change, in the browser.
  const changed = mutateConfig(JSON.parse(base.config), ['ENV GREETING=hi', 'CMD ["cat", "/etc/hello"]'], { author: 'node' });
  assert.deepEqual(changed.config.Env, ['GREETING=hi']);
  assert.deepEqual(changed.config.Cmd, ['cat', '/etc/hello']);
  assert.equal(changed.author, 'node');
  assert.throws(() => mutateConfig(changed, ['RUN rm -rf /']), /run is not a valid change command/);
  const image = assembleImage({
    config: changed,
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer.digest, size: layer.size }],
  });

  const parts = writeDockerArchive([{ manifest: image.manifest, config: image.config, tags: ['wasm/test:1'] }]);
  assert.ok(parts.some((p) => !(p instanceof Uint8Array) && p.blob.digest === layer.digest));
  const out = path.join(dir, 'image.tar');
  await writeParts(parts, new Map([[layer.digest, layer.file]]), out);

  const names = execFileSync('tar', ['-tf', out], { encoding: 'utf8' }).split('\n');
  for (const n of ['oci-layout', 'index.json', 'manifest.json', `blobs/sha256/${layer.digest.slice(7)}`]) {
    assert.ok(names.includes(n), `${n} in ${names}`);
  }
  const config = execFileSync('skopeo', ['inspect', '--config', '--raw', `docker-archive:${out}`]);
  assert.equal(sha256(config), image.id);
  const info = JSON.parse(execFileSync('skopeo', ['inspect', `docker-archive:${out}`], { encoding: 'utf8' }));
  // skopeo's docker-archive source serves layers uncompressed: their diff ids.
  assert.deepEqual(info.Layers, [layer.diffId]);

  // oci-archive too.
  const oci = path.join(dir, 'image-oci.tar');
  await writeParts(writeDockerArchive([{ manifest: image.manifest, config: image.config, tags: ['wasm/test:1'] }],
    { format: 'oci-archive' }), new Map([[layer.digest, layer.file]]), oci);
  const ociConfig = execFileSync('skopeo', ['inspect', '--config', '--raw', `oci-archive:${oci}`]);
  assert.equal(sha256(ociConfig), image.id);
});

test('retag moves names in an index and keeps an image that lost its last one', () => {
  const a = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256('a'), size: 1 };
  const b = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256('b'), size: 1 };
  let index = { schemaVersion: 2, manifests: [] };
  index = retag(index, a, ['app:1']);
  index = retag(index, b, ['app:1', 'app:2']);
  const names = index.manifests.map((d) => [d.digest, d.annotations?.['org.opencontainers.image.ref.name'] ?? null]);
  assert.deepEqual(names, [
    [a.digest, null],
    [b.digest, 'docker.io/library/app:1'],
    [b.digest, 'docker.io/library/app:2'],
  ]);
  assert.throws(() => retag(index, a, ['Not Valid']), /invalid reference/);
});

test('bad input is an error that says what is wrong', () => {
  assert.throws(() => assembleImage({ layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256('x'), size: 1 }] }), /no diffId/);
  assert.throws(() => writeDockerArchive([{ manifest: '{}', config: '{}' }]), /image 0/);
});
