// The edge worker in the real Workers runtime: `wrangler deploy --dry-run`
// bundles worker/ exactly as a deploy would upload it (src/index.js, the
// layerkit package through its "workerd" export condition, the .wasm as a
// CompiledWasm module), then Miniflare runs that bundle in workerd on
// 127.0.0.1 and the tests send it real HTTP requests. Results are checked
// against the layerkit CLI on the same files.
//
//   .ci/package && cargo build --features cli && node --test worker/test/

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { bundle, start, workerDir } from '../local.mjs';

const root = path.resolve(workerDir, '..');
const cli = path.join(process.env.CARGO_TARGET_DIR ?? path.join(root, 'target'), 'debug/layerkit');
const exampleFile = path.join(root, 'tests/fixtures/example/Dockerfile');
const example = readFileSync(exampleFile);
const dive = path.join(root, '../shared/fixtures/real/dive');
const dockerTar = path.join(dive, 'test-docker-image.tar');
const ociTar = path.join(dive, 'test-oci-gzip-image.tar');

let out; // wrangler's bundle
let mf; // the worker as wrangler.toml configures it
let base; // its URL
let small; // the same bundle with MAX_IMAGE_BYTES=1000000
let smallBase;

before(async () => {
  for (const [file, hint] of [
    [path.join(root, 'pkg/web/workerd.js'), 'run .ci/package'],
    [cli, 'run cargo build --features cli'],
    [path.join(workerDir, 'node_modules/layerkit'), 'run npm ci in worker/ (.ci/setup --deps-only)'],
  ]) {
    assert.ok(existsSync(file), `${file} is missing: ${hint}`);
  }
  out = mkdtempSync(path.join(tmpdir(), 'layerkit-worker-'));
  try {
    bundle(out);
    ({ mf, url: base } = await start(out));
    ({ mf: small, url: smallBase } = await start(out, { vars: { MAX_IMAGE_BYTES: 1_000_000 } }));
  } catch (e) {
    await stop();
    throw e;
  }
});

async function stop() {
  await mf?.dispose();
  await small?.dispose();
  if (out) rmSync(out, { recursive: true, force: true });
}

after(stop);

/** The CLI's stdout; exit status 1 is "problems found", still an answer. */
function runCli(args) {
  try {
    return execFileSync(cli, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    if (e.status === 1 && e.stdout) return e.stdout;
    throw e;
  }
}

async function post(pathAndQuery, body, init = {}) {
  const res = await fetch(new URL(pathAndQuery, base), { method: 'POST', body, ...init });
  return { status: res.status, headers: res.headers, json: await res.json() };
}

/** A file as a request body stream of `chunk`-byte pieces (no Content-Length). */
function chunked(bytes, chunk = 64 * 1024) {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(new Uint8Array(bytes.subarray(at, at + chunk)));
      at += chunk;
    },
  }, { highWaterMark: 0 });
}

async function inspectStream(bytes, query = '', origin = base) {
  const res = await fetch(new URL(`/v1/image/inspect${query}`, origin), {

    method: 'POST', body: chunked(bytes), duplex: 'half',
  });
  return { status: res.status, json: await res.json() };
}

test('the bundle is what wrangler would upload: the worker, and the wasm as its own module', () => {
  const files = readdirSync(out);
  assert.ok(files.includes('index.js'), files.join(', '));
  const wasm = files.filter((f) => f.endsWith('.wasm'));
  assert.equal(wasm.length, 1, files.join(', '));
  assert.deepEqual(readFileSync(path.join(out, wasm[0])), readFileSync(path.join(root, 'pkg/web/layerkit_bg.wasm')));
});

test('the package\'s "workerd" and "worker" export conditions name its workerd entry', () => {
  for (const condition of ['workerd', 'worker']) {
    const resolved = execFileSync(process.execPath,
      ['-C', condition, '--input-type=module', '-e', 'console.log(import.meta.resolve("layerkit"))'],
      { cwd: workerDir, encoding: 'utf8' }).trim();
    assert.equal(fileURLToPath(resolved), path.join(root, 'pkg/web/workerd.js'), condition);
  }
});

test('GET /healthz: ok, with the version the CLI reports', async () => {
  const res = await fetch(new URL('/healthz', base));
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  const body = await res.json();
  assert.equal(body.ok, true);
  assert.equal(`layerkit ${body.version}`, runCli(['--version']).trim());
});

describe('Dockerfiles', () => {
  test('parse: the bundled example gives the CLI\'s tree, with spans and no diagnostics', async () => {
    const { status, json } = await post('/v1/dockerfile/parse', example);
    assert.equal(status, 200);
    const cliTree = JSON.parse(runCli(['dockerfile', 'parse', '--format', 'json', exampleFile]));
    assert.deepEqual(json.instructions.map(({ span, ...rest }) => rest), cliTree);
    assert.deepEqual(json.instructions[0].span, { start: { line: 4, col: 1 }, end: { line: 4, col: 20 } });
    assert.deepEqual(json.diagnostics, []);
    assert.equal(json.escape, '\\');
  });

  test('parse: a broken Dockerfile is still parsed, its errors are diagnostics with lines', async () => {
    const { status, json } = await post('/v1/dockerfile/parse', 'FROM alpine\nRUN <<EOF\nnever closed\n');
    assert.equal(status, 200);
    assert.ok(json.diagnostics.some((d) => d.severity === 'error'), JSON.stringify(json.diagnostics));
  });

  const pick = ({ code, severity, message, line, column, endLine, endColumn }) =>
    ({ code, severity, message, line, column, endLine, endColumn });

  test('lint: the bundled example gives the CLI\'s findings', async () => {
    const { status, json } = await post('/v1/dockerfile/lint', example);
    assert.equal(status, 200);
    const cliFindings = JSON.parse(runCli(['lint', '--format', 'json', exampleFile]));
    assert.ok(cliFindings.length > 0, 'the example has findings to compare');
    assert.deepEqual(json.findings.map(pick), cliFindings.map(pick));
  });

  test('lint: a config as ?config= or in a JSON body, as the CLI\'s --ignore', async () => {
    const cliFindings = JSON.parse(runCli(['lint', '--format', 'json', '--ignore', 'DL3018', exampleFile]));
    const config = { ignored: ['DL3018'] };
    const viaQuery = await post(`/v1/dockerfile/lint?config=${encodeURIComponent(JSON.stringify(config))}`, example);
    assert.equal(viaQuery.status, 200);
    assert.deepEqual(viaQuery.json.findings.map(pick), cliFindings.map(pick));
    const viaJson = await post('/v1/dockerfile/lint',
      JSON.stringify({ dockerfile: example.toString('utf8'), config }),
      { headers: { 'content-type': 'application/json' } });
    assert.equal(viaJson.status, 200);
    assert.deepEqual(viaJson.json.findings.map(pick), cliFindings.map(pick));
    // And the config really changed something.
    const plain = await post('/v1/dockerfile/lint', example);
    assert.notDeepEqual(plain.json.findings.map(pick), viaJson.json.findings.map(pick));
  });

  test('lint: an invalid config is a 400 that names the setting', async () => {
    const { status, json } = await post(`/v1/dockerfile/lint?config=${encodeURIComponent('{"ignored":5}')}`, example);
    assert.equal(status, 400);
    assert.equal(json.error.code, 'bad_config');
    assert.match(json.error.message, /ignored/);
    const notJson = await post('/v1/dockerfile/lint?config=ignored:DL3018', example);
    assert.equal(notJson.status, 400);
    assert.match(notJson.json.error.message, /\?config= is not valid JSON/);
  });

  test('binary garbage is a 400 saying the body is not text, for parse and lint', async () => {
    const garbage = gzipSync(readFileSync(dockerTar).subarray(0, 64 * 1024));
    for (const endpoint of ['/v1/dockerfile/parse', '/v1/dockerfile/lint']) {
      const { status, json } = await post(endpoint, garbage);
      assert.equal(status, 400, endpoint);
      assert.equal(json.error.code, 'not_text', endpoint);
      assert.match(json.error.message, /not UTF-8 text/, endpoint);
    }
  });

  test('a bad JSON body is a 400 that says what is expected', async () => {
    const headers = { 'content-type': 'application/json' };
    const broken = await post('/v1/dockerfile/parse', '{"dockerfile": ', { headers });
    assert.equal(broken.status, 400);
    assert.match(broken.json.error.message, /not valid JSON/);
    const wrong = await post('/v1/dockerfile/parse', '{"text": "FROM alpine"}', { headers });
    assert.equal(wrong.status, 400);
    assert.match(wrong.json.error.message, /"dockerfile"/);
  });

  test('a Dockerfile over MAX_DOCKERFILE_BYTES is a 413, declared or streamed', async () => {
    const big = Buffer.alloc(1024 * 1024 + 1, '# padding\n');
    const declared = await post('/v1/dockerfile/parse', big);
    assert.equal(declared.status, 413);
    assert.equal(declared.json.error.code, 'too_large');
    assert.match(declared.json.error.message, /1048577 bytes, over this service's limit of 1048576 bytes/);
    const streamed = await fetch(new URL('/v1/dockerfile/lint', base), {
      method: 'POST', body: chunked(big), duplex: 'half',
    });
    assert.equal(streamed.status, 413);
    assert.match((await streamed.json()).error.message, /over this service's limit of 1048576 bytes/);
  });
});

describe('images', () => {
  test('inspect: a docker save tarball, streamed in 64 KiB chunks, gives the CLI\'s image', async () => {
    const { status, json } = await inspectStream(readFileSync(dockerTar));
    assert.equal(status, 200, JSON.stringify(json));
    const [cliImage] = JSON.parse(runCli(['inspect', '-q', '--format', 'json', dockerTar]));
    assert.equal(json.inspect.Id, cliImage.Id);
    assert.equal(json.inspect.RootFS.Layers.length, cliImage.RootFS.Layers.length);
    assert.equal(json.inspect.Layers.length, 14);
    assert.deepEqual(json.inspect.RepoTags, ['dive-test:latest']);
    assert.equal(json.history.length, runCli(['history', '-q', dockerTar]).trim().split('\n').length);
    const tree = JSON.parse(runCli(['tree', '-q', '--format', 'json', dockerTar]));
    assert.deepEqual(json.analysis, tree.image);
  });

  test('inspect: the same tarball gzip\'d as a whole gives the same image', async () => {
    const plain = await inspectStream(readFileSync(dockerTar));
    const gz = await inspectStream(gzipSync(readFileSync(dockerTar)));
    assert.equal(gz.status, 200, JSON.stringify(gz.json));
    assert.equal(gz.json.inspect.Id, plain.json.inspect.Id);
  });

  test('inspect: an oci-archive gives the CLI\'s image', async () => {
    const { status, json } = await inspectStream(readFileSync(ociTar));
    assert.equal(status, 200, JSON.stringify(json));
    const [cliImage] = JSON.parse(runCli(['inspect', '-q', '--format', 'json', ociTar]));
    assert.equal(json.inspect.Id, cliImage.Id);
    assert.equal(json.inspect.Layers.length, cliImage.Layers.length);
  });

  test('inspect: a truncated tarball is a 400 with the reader\'s message, and the worker keeps serving', async () => {
    const cut = readFileSync(dockerTar).subarray(0, 700_000);
    const { status, json } = await inspectStream(cut);
    assert.equal(status, 400, JSON.stringify(json));
    assert.equal(json.error.code, 'bad_image');
    assert.match(json.error.message, /^request body is not a valid tar archive .*truncated/);
    let cliMessage = '';
    try {
      execFileSync(cli, ['inspect', '-q', '-'], { input: cut, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (e) {
      cliMessage = e.stderr.toString();
    }
    assert.ok(cliMessage.includes(json.error.message.replace(/^request body /, '')),
      `the CLI says the same: ${cliMessage}`);
    const again = await inspectStream(readFileSync(dockerTar));
    assert.equal(again.status, 200);
  });

  test('inspect: garbage is a 400 as soon as it arrives, and the upload may still finish', async () => {
    // 64 MiB of garbage offered in 64 KiB chunks: a worker that streams
    // answers after the first chunk, while most of the body is unsent; it
    // then reads the rest, so the client is not cut off mid-upload.
    const total = 64 * 1024 * 1024;
    let sent = 0;
    const body = new ReadableStream({
      pull(controller) {
        if (sent >= total) return controller.close();
        controller.enqueue(new Uint8Array(64 * 1024).fill(0xab));
        sent += 64 * 1024;
      },
    }, { highWaterMark: 0 });
    const res = await fetch(new URL('/v1/image/inspect', base), { method: 'POST', body, duplex: 'half' });
    const sentAtAnswer = sent;
    assert.equal(res.status, 400);
    assert.ok(sentAtAnswer < total / 2, `answered after ${sentAtAnswer} of ${total} bytes`);
    const json = await res.json();
    assert.equal(json.error.code, 'bad_image');
    assert.match(json.error.message, /not a valid tar archive \(at byte 0\)/);
    assert.equal(sent, total);
  });

  test('inspect: ?index= out of range and a bad ?index= are 400s', async () => {
    const far = await inspectStream(readFileSync(ociTar), '?index=5');
    assert.equal(far.status, 400, JSON.stringify(far.json));
    assert.equal(far.json.error.code, 'bad_image');
    const bad = await inspectStream(readFileSync(ociTar), '?index=first');
    assert.equal(bad.status, 400);
    assert.match(bad.json.error.message, /\?index=first/);
  });

  test('inspect: an empty body is a 400 that says what to send', async () => {
    const { status, json } = await post('/v1/image/inspect', '');
    assert.equal(status, 400);
    assert.equal(json.error.code, 'empty_body');
    assert.match(json.error.message, /docker save/);
  });

  test('inspect: over MAX_IMAGE_BYTES is a 413, whether declared or found while streaming', async () => {
    const tar = readFileSync(dockerTar); // 1.5 MB against a 1 MB limit
    const declared = await fetch(new URL('/v1/image/inspect', smallBase), { method: 'POST', body: tar });
    assert.equal(declared.status, 413);
    assert.match((await declared.json()).error.message,
      /the image is too large: 1523200 bytes, over this service's limit of 1000000 bytes/);
    const streamed = await inspectStream(tar, '', smallBase);
    assert.equal(streamed.status, 413, JSON.stringify(streamed.json));
    assert.equal(streamed.json.error.code, 'too_large');
    // The same worker takes what fits.
    const fits = await inspectStream(readFileSync(ociTar), '', smallBase);
    assert.equal(fits.status, 200);
  });
});

describe('HTTP', () => {
  test('an unknown path is a 404, a wrong method a 405 with Allow', async () => {
    const missing = await fetch(new URL('/v1/nope', base));
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error.code, 'not_found');
    const wrong = await fetch(new URL('/v1/dockerfile/parse', base));
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'POST');
    assert.match((await wrong.json()).error.message, /takes POST, not GET/);
  });

  test('GET / lists the endpoints; browsers may call them (CORS)', async () => {
    const res = await fetch(new URL('/', base));
    assert.equal(res.status, 200);
    assert.ok(Object.keys((await res.json()).endpoints).includes('POST /v1/image/inspect'));
    const preflight = await fetch(new URL('/v1/dockerfile/lint', base), {
      method: 'OPTIONS',
      headers: { origin: 'https://example.com', 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
  });
});
