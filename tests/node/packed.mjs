// Helpers for the tests of the npm package (not a test file itself).
//
// packed(): the package as a user gets it: `npm pack` on pkg/ (built by
// .ci/package), the tarball installed without a registry into an empty
// project. node --test runs each file in its own process, so the result is
// kept in target/npm-packed/<hash of pkg/>/ and made once per build.
//
// nodePackage(): the package's Node build, loaded with require.
//
// cli(...args): the `layerkit` CLI (built with `cargo build --features cli`
// when missing), its standard output.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const pkgDir = path.join(root, 'pkg');
const targetDir = path.resolve(root, process.env.CARGO_TARGET_DIR ?? 'target');

function hashDir(dir) {
  const h = createHash('sha256');
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else h.update(`${path.relative(dir, p)}\0`).update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex').slice(0, 16);
}

let cached;
/** `{ project, dir, files, version, filename }`: the consuming project, the
 *  installed package's folder, and what `npm pack --json` said. */
export function packed() {
  if (cached) return cached;
  assert.ok(existsSync(path.join(pkgDir, 'package.json')), `${pkgDir} has no package.json: run .ci/package first`);
  const base = path.join(targetDir, 'npm-packed');
  const home = path.join(base, hashDir(pkgDir));
  if (!existsSync(path.join(home, 'pack.json'))) {
    mkdirSync(base, { recursive: true });
    const work = mkdtempSync(path.join(base, 'tmp-'));
    const [info] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work, pkgDir], {
      encoding: 'utf8',
    }));
    const project = path.join(work, 'project');
    mkdirSync(project);
    writeFileSync(path.join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }));
    // --offline: the package has no dependencies, so nothing may be fetched.
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error',
      path.join(work, info.filename)], { cwd: project, stdio: ['ignore', 'ignore', 'inherit'] });
    writeFileSync(path.join(work, 'pack.json'), JSON.stringify(info));
    // Older builds' installs go; another process may have made this one meanwhile.
    for (const old of readdirSync(base)) {
      if (old !== path.basename(home) && !old.startsWith('tmp-')) rmSync(path.join(base, old), { recursive: true, force: true });
    }
    try {
      renameSync(work, home);
    } catch {
      rmSync(work, { recursive: true, force: true });
    }
  }
  const info = JSON.parse(readFileSync(path.join(home, 'pack.json'), 'utf8'));
  const project = path.join(home, 'project');
  cached = { ...info, project, dir: path.join(project, 'node_modules/layerkit') };
  return cached;
}

let built = false;
/** Runs the CLI; returns its standard output as bytes. */
export function cliBytes(...args) {
  const bin = path.join(targetDir, 'debug/layerkit');
  if (!built) {
    execFileSync('cargo', ['build', '-q', '--features', 'cli', '--bin', 'layerkit'], { cwd: root, stdio: 'inherit' });
    built = true;
  }
  return execFileSync(bin, args, { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs the CLI; returns its standard output. A failure throws an error
 *  whose `stderr` is the CLI's message (a string). */
export function cli(...args) {
  try {
    return cliBytes(...args).toString('utf8');
  } catch (e) {
    if (e.stderr) e.stderr = e.stderr.toString('utf8');
    throw e;
  }
}

/** The generated image fixtures (tests/fixtures/image/make.sh: umoci, skopeo, gzip). */
export function imageFixtures() {
  const out = path.join(targetDir, 'image-fixtures');
  execFileSync('bash', [path.join(root, 'tests/fixtures/image/make.sh'), out], { stdio: ['ignore', 'ignore', 'inherit'] });
  return out;
}

export const realFixtures = path.resolve(root, '../shared/fixtures/real');

/** The package's Node build (what `require('layerkit')` gives in Node):
 *  LAYERKIT_NODE_PKG (a wasm-bindgen --target nodejs build) when set, else
 *  the one .ci/package built (pkg/nodejs), else one built now with
 *  benches/build-wasm-node.sh (target/wasm-node). */
export function nodePackage() {
  let pkg = process.env.LAYERKIT_NODE_PKG;
  if (!pkg && existsSync(path.join(root, 'pkg/nodejs/layerkit.js'))) {
    pkg = path.join(root, 'pkg/nodejs/layerkit.js');
  }
  if (!pkg) {
    pkg = path.join(root, 'target/wasm-node/layerkit.js');
    if (!existsSync(pkg)) execFileSync(path.join(root, 'benches/build-wasm-node.sh'), { stdio: 'inherit' });
  }
  return createRequire(import.meta.url)(pkg);
}

/** `file[:N]` as the file and the image's index. */
export const split = (a) => {
  const m = /^(.*?)(?::(\d+))?$/.exec(a);
  return { file: m[1], image: m[2] === undefined ? undefined : Number(m[2]) };
};

/** What the CLI prints for `a` (`file[:N]`), as readImage's report fields. */
export function cliReport(a) {
  const { file, image } = split(a);
  const target = image === undefined ? file : `${file}@${image}`;
  const json = (...args) => JSON.parse(cli(...args, target));
  const tree = json('tree', '-q', '--format', 'json');
  const layers = tree.layer.map((l) => json('tree', '-q', '--format', 'json', '--layer', String(l.index)));
  const history = cli('history', '--format', 'json', '--no-trunc', '--human=false', target)
    .trim().split('\n').map((l) => JSON.parse(l));
  return {
    inspect: json('inspect', '-q', '--format', 'json')[0],
    history,
    tree: { image: tree.image, layer: tree.layer },
    layers,
    merged: json('tree', '-q', '--format', 'json', '--merged').merged,
  };
}

/** A readImage report against `cliReport`'s, field by field. */
export function assertSameReport(report, want, a) {
  const { file } = split(a);
  assert.deepEqual(report.inspect, want.inspect, `${a}: inspect`);
  assert.equal(report.inspect.Source.Name, file);
  // docker's history rows (--no-trunc --human=false) from the entries.
  const rows = report.history.map((h) => ({
    ID: h.id, CreatedBy: h.createdBy.replaceAll('\t', ' '), Size: String(h.size), Comment: h.comment,
    Created: h.created,
  }));
  assert.deepEqual(rows, want.history.map((r) => ({
    ID: r.ID, CreatedBy: r.CreatedBy, Size: r.Size, Comment: r.Comment, Created: Date.parse(r.CreatedAt) / 1000,
  })), `${a}: history`);
  assert.deepEqual(report.tree, want.tree, `${a}: tree`);
  assert.equal(report.changes.length, want.layers.length);
  want.layers.forEach((l, i) => {
    assert.equal(report.tree.layer[i].digest, l.digest);
    assert.deepEqual(report.changes[i], l.changes, `${a}: tree --layer ${i}`);
  });
  assert.deepEqual(report.merged, want.merged, `${a}: tree --merged`);
}
