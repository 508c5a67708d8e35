// The npm package as a user gets it: `npm pack` on pkg/ (built by
// .ci/package), the tarball installed into an empty folder without a
// registry, then used from there: `import` and `require` in Node, the bundler
// build, the web build in a plain page in headless Chromium, and its
// TypeScript types checked by tsc and against what the functions return.
//
//   .ci/package && node --test tests/node/

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';

import { chromium } from 'playwright-core';
import ts from 'typescript';

import { packed as pack, realFixtures, root } from './packed.mjs';

const exampleFile = path.join(root, 'tests/fixtures/example/Dockerfile');
const example = readFileSync(exampleFile, 'utf8');
const broken = 'FROM alpine\nCOPY onlyone\n  ENV a\nRUN <<EOF\nnever closed\n';

let project; // the project with layerkit installed from the tarball
let packed; // `npm pack --json` about the tarball

before(() => {
  packed = pack();
  project = packed.project;
});

/** Runs a script file written into the consuming project; returns its JSON output. */
function runIn(name, source, nodeArgs = []) {
  const file = path.join(project, name);
  writeFileSync(file, source);
  const out = execFileSync(process.execPath, [...nodeArgs, file], {
    cwd: project,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(out);
}

/** What a correct parse of tests/fixtures/example/Dockerfile looks like. */
function assertExample(result) {
  assert.deepEqual(
    result.instructions.map((i) => i.cmd),
    ['ARG', 'FROM', 'WORKDIR', 'COPY', 'RUN', 'COPY', 'RUN', 'FROM', 'RUN', 'COPY', 'COPY',
      'EXPOSE', 'USER', 'HEALTHCHECK', 'ENTRYPOINT'],
  );
  assert.deepEqual(result.diagnostics, []);
  assert.deepEqual(result.directives, [
    { name: 'syntax', value: 'docker/dockerfile:1',
      span: { start: { line: 1, col: 1 }, end: { line: 1, col: 29 } } },
  ]);
  assert.equal(result.escape, '\\');
  const [, from, , , mount, , heredoc] = result.instructions;
  assert.deepEqual(from.value, ['golang:${GO_VERSION}-alpine', 'AS', 'build']);
  assert.deepEqual(mount.flags, ['--mount=type=cache,target=/go/pkg/mod']);
  assert.deepEqual([mount.startLine, mount.endLine], [8, 9]);
  assert.deepEqual(heredoc.heredocs, [
    { name: 'EOF', content: 'set -e\nCGO_ENABLED=0 go build -o /out/app ./cmd/app\n',
      fileDescriptor: 0 },
  ]);
  assert.deepEqual(heredoc.span, { start: { line: 11, col: 1 }, end: { line: 14, col: 4 } });
  const health = result.instructions[13];
  assert.equal(health.json, true);
  assert.equal(health.subCmd, null);
  assert.deepEqual(health.flags, ['--interval=30s', '--timeout=3s']);
  assert.deepEqual(health.value, ['CMD', '/usr/local/bin/app', '-health']);
}

/** What the broken file gives: diagnostics with lines, instructions anyway. */
function assertBroken(result) {
  const at = result.diagnostics
    .map((d) => [d.span.start.line, d.severity, d.code])
    .sort((a, b) => a[0] - b[0]);
  assert.deepEqual(at, [
    [2, 'error', 'instruction'],
    [3, 'error', 'syntax'],
    [4, 'error', 'syntax'],
  ]);
  assert.deepEqual(result.instructions.map((i) => i.cmd), ['FROM', 'COPY', 'RUN']);
}

const script = (importLine) => `${importLine}
import { readFileSync } from 'node:fs';
const example = readFileSync(${JSON.stringify(exampleFile)}, 'utf8');
console.log(JSON.stringify({
  version: lk.version(),
  example: lk.parseDockerfile(example),
  broken: lk.parseDockerfile(${JSON.stringify(broken)}),
}));
`;

test('the tarball holds both modules for every target, the image glue, the README, nothing else', () => {
  const files = packed.files.map((f) => f.path).sort();
  for (const target of ['nodejs', 'web', 'bundler']) {
    for (const f of ['layerkit.js', 'layerkit.d.ts', 'layerkit_bg.wasm',
      'dockerfile.js', 'dockerfile.d.ts', 'dockerfile_bg.wasm', 'package.json']) {
      assert.ok(files.includes(`${target}/${f}`), `${target}/${f} missing from ${files}`);
    }
  }
  for (const f of ['index.d.ts', 'core.js', 'node.js', 'node.cjs', 'browser.js', 'worker.js', 'package.json']) {
    assert.ok(files.includes(`image/${f}`), `image/${f} missing from ${files}`);
  }
  assert.ok(files.includes('README.md'));
  assert.ok(files.includes('package.json'));
  const stray = files.filter((f) => /(^|\/)\.|\.stamp$/.test(f));
  assert.deepEqual(stray, []);
  const manifest = JSON.parse(readFileSync(path.join(project, 'node_modules/layerkit/package.json')));
  const cargoVersion = /^version = "([^"]+)"/m.exec(readFileSync(path.join(root, 'Cargo.toml'), 'utf8'))[1];
  assert.equal(manifest.version, cargoVersion, 'package.json has the crate version');
});

test("'layerkit/dockerfile' parses and lints as 'layerkit' does, without the image readers", () => {
  const probe = (spec, req) => `
${req ? `const lk = require(${JSON.stringify(spec)});` : `import * as lk from ${JSON.stringify(spec)};`}
${req ? "const { readFileSync } = require('node:fs');" : "import { readFileSync } from 'node:fs';"}
const text = readFileSync(${JSON.stringify(exampleFile)}, 'utf8');
console.log(JSON.stringify({ exports: Object.keys(lk).filter((k) => k !== 'default').sort(), version: lk.version(),
  parse: lk.parseDockerfile(text), lint: lk.lint(text + 'MAINTAINER me\\n'), rules: lk.rules().length }));
`;
  const full = runIn('full.mjs', probe('layerkit'));
  const esm = runIn('dockerfile.mjs', probe('layerkit/dockerfile'));
  const cjs = runIn('dockerfile.cjs', probe('layerkit/dockerfile', true));
  assert.deepEqual(esm, cjs);
  assert.deepEqual(esm.exports, ['lint', 'parseDockerfile', 'rules', 'version']);
  assert.deepEqual(full.exports, [
    'ImageReader', 'assembleImage', 'lint', 'mutateConfig', 'parseDockerfile', 'retag', 'rules', 'version',
    'writeDockerArchive',
  ]);
  for (const k of ['version', 'parse', 'lint', 'rules']) assert.deepEqual(esm[k], full[k], k);
  assertExample(esm.parse);
  assert.ok(esm.lint.some((f) => f.code === 'MaintainerDeprecated'));
  const web = runIn('dockerfile-web.mjs', `
import init, { lint } from 'layerkit/dockerfile/web';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
await init({ module_or_path: readFileSync(createRequire(import.meta.url).resolve('layerkit/web/dockerfile_bg.wasm')) });
console.log(JSON.stringify(lint('FROM debian\\n')));
`);
  assert.deepEqual(web.map((f) => f.code), ['DL3006']);
  // What the split is for: the Dockerfile module is much smaller.
  const size = (m) => readFileSync(path.join(packed.dir, `web/${m}_bg.wasm`)).length;
  assert.ok(size('dockerfile') < size('layerkit') * 0.7, `${size('dockerfile')} vs ${size('layerkit')}`);
});

test("Node: import { parseDockerfile } from 'layerkit'", () => {
  const out = runIn('esm.mjs', script("import * as lk from 'layerkit';"));
  assert.equal(out.version, packed.version);
  assertExample(out.example);
  assertBroken(out.broken);
});

test("Node: require('layerkit') gives the same", () => {
  const out = runIn('cjs.cjs', script("const lk = require('layerkit');").replace(
    "import { readFileSync } from 'node:fs';",
    "const { readFileSync } = require('node:fs');",
  ));
  const esm = runIn('esm2.mjs', script("import * as lk from 'layerkit';"));
  assert.deepEqual(out, esm);
  assertExample(out.example);
});

test("Node: 'layerkit/web' works after init with the .wasm bytes", () => {
  const out = runIn('web.mjs', `
import init, { parseDockerfile, version } from 'layerkit/web';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const wasm = createRequire(import.meta.url).resolve('layerkit/web/layerkit_bg.wasm');
await init({ module_or_path: readFileSync(wasm) });
console.log(JSON.stringify({ version: version(),
  example: parseDockerfile(readFileSync(${JSON.stringify(exampleFile)}, 'utf8')) }));
`);
  assert.equal(out.version, packed.version);
  assertExample(out.example);
});

test('the bundler build, as a bundler that imports .wasm as a module runs it', () => {
  // Node's --experimental-wasm-modules does what webpack's asyncWebAssembly
  // does: `import * as wasm from "./layerkit_bg.wasm"`.
  const entry = path.join(project, 'node_modules/layerkit/bundler/layerkit.js');
  const out = runIn(
    'bundler.mjs',
    script(`import * as lk from ${JSON.stringify(entry)};`),
    ['--experimental-wasm-modules', '--no-warnings'],
  );
  assertExample(out.example);
  assertBroken(out.broken);
});

test('a plain page: <script type=module> imports layerkit/web and calls init()', async () => {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
  const server = createServer((req, res) => {
    const file = path.join(project, decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (!file.startsWith(project) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  // The page the npm README shows.
  writeFileSync(path.join(project, 'index.html'), `<!doctype html>
<script type="importmap">
  { "imports": { "layerkit/web": "./node_modules/layerkit/web/layerkit.js" } }
</script>
<script type="module">
  import init, { parseDockerfile } from "layerkit/web";
  await init();
  window.result = parseDockerfile(${JSON.stringify(example)});
  window.broken = parseDockerfile(${JSON.stringify(broken)});
</script>
`);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-quic', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${server.address().port}/index.html`);
    await page.waitForFunction(() => window.broken !== undefined || false, null, {
      timeout: 30_000,
    }).catch(() => assert.fail(`the page did not finish: ${errors.join('; ')}`));
    assert.deepEqual(errors, []);
    assertExample(await page.evaluate(() => window.result));
    assertBroken(await page.evaluate(() => window.broken));
  } finally {
    await browser.close();
    server.close();
  }
});

// --- TypeScript -----------------------------------------------------------------

const usage = `
import { parseDockerfile, version, lint, ImageReader, type ParsedDockerfile, type Instruction,
  type Diagnostic, type Span, type LintFinding, type ImageReport } from 'layerkit';
import init, { initSync, parseDockerfile as parseWeb } from 'layerkit/web';
import { lint as lintSmall, parseDockerfile as parseSmall } from 'layerkit/dockerfile';
import initSmall, { lint as lintSmallWeb } from 'layerkit/dockerfile/web';
import { readImage, readFile, type ImageResult, type ReadProgress, type MergedEntry } from 'layerkit/image';
// Shaped like Node's crypto.Hash (no @types/node here).
const createHash = (_: 'sha256') => ({ update(_d: Uint8Array) { return this; }, digest: () => new Uint8Array(32) });

type IsAny<T> = 0 extends 1 & T ? true : false;
const notAny: [IsAny<ReturnType<typeof parseDockerfile>>, IsAny<ReturnType<typeof parseWeb>>,
  IsAny<ReturnType<ImageReader['finish']>>, IsAny<Awaited<ReturnType<typeof readImage>>>] =
  [false, false, false, false];

const r: ParsedDockerfile = parseDockerfile('FROM alpine');
const first: Instruction | undefined = r.instructions[0];
const line: number | undefined = first?.span.start.line;
const sub: string | null | undefined = first?.subCmd;
const errors: Diagnostic[] = r.diagnostics.filter((d) => d.severity === 'error');
const where: Span[] = errors.map((d) => d.span);
const heredocBodies: string[] = r.instructions.flatMap((i) => i.heredocs.map((h) => h.content));
const v: string = version();
const findings: LintFinding[] = [...lint('FROM a'), ...lint('FROM a', { ignored: ['DL3006'] }),
  ...lintSmall('FROM a'), ...lintSmallWeb('FROM a')];
const small: ParsedDockerfile = parseSmall('FROM a');
await init();
await initSmall();
initSync({ module: new Uint8Array() });
const w: ParsedDockerfile = parseWeb('FROM alpine');

const reader = new ImageReader('x.tar');
const reader2 = new ImageReader('x.tar', { files: ['/etc/os-release'], platform: 'linux/arm64', image: 0 });
const hashed = new ImageReader('x.tar', { sha256: () => createHash('sha256') });
reader.push(new Uint8Array(10));
const bytes: number = reader.progress().bytes;
const report: ImageReport = reader.finish();
const id: string = report.inspect.Id;
const cmd: string[] | null | undefined = report.inspect.Config?.Cmd;
const eff: number = report.tree.image.efficiencyScore;
const content: Uint8Array | null = reader.readFile('/etc/os-release').content;
reader2.readLayout((p) => (p === 'index.json' ? { read: (max) => new Uint8Array(Math.min(max, 0)) } : null));
const got: ImageResult = await readImage(new Blob([]), {
  files: ['/etc/os-release'],
  onProgress: (p: ReadProgress) => console.log(p.bytes, p.total),
});
const merged: MergedEntry[] = got.merged;
const file: Uint8Array = (await readFile('image.tar', '/etc/os-release')).content;
await readImage('image.tar', { sha256: () => createHash('sha256') });
await readImage('image.tar', { sha256: null });
// @ts-expect-error: a hasher's digest() returns bytes
await readImage('image.tar', { sha256: () => ({ update() {}, digest: () => 'hex' }) });
export { hashed, notAny, line, sub, where, heredocBodies, v, w, findings, small, bytes, id, cmd, eff,
  content, merged, file };
`;
const usageCjs = `
import lk = require('layerkit');
import image = require('layerkit/image');
const r: import('layerkit').ParsedDockerfile = lk.parseDockerfile('FROM alpine');
// @ts-expect-error: a severity is 'error' or 'warning'
const bad: import('layerkit').Severity = 'fatal';
const p: Promise<import('layerkit/image').ImageResult> = image.readImage('x.tar');
export = { r, bad, p };
`;

function typecheck(files, options) {
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    skipLibCheck: false, // check the package's own .d.ts files too
    types: [],
    // wasm-bindgen declares `[Symbol.dispose]()` on classes (TypeScript >= 5.2).
    lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts', 'lib.dom.d.ts', 'lib.dom.asynciterable.d.ts'],
    ...options,
  });
  const diags = ts.getPreEmitDiagnostics(program).map((d) =>
    ts.flattenDiagnosticMessageText(d.messageText, '\n') +
    (d.file ? ` (${path.basename(d.file.fileName)})` : ''));
  return { program, diags };
}

const modules = {
  node: 'layerkit',
  web: 'layerkit/web',
  dockerfile: 'layerkit/dockerfile',
  dockerfileWeb: 'layerkit/dockerfile/web',
  image: 'layerkit/image',
};

// One program for Node's resolution (nodenext) serves both tests below.
let nodeProgram;
function nodenext() {
  if (!nodeProgram) {
    writeFileSync(path.join(project, 'usage.mts'), usage);
    writeFileSync(path.join(project, 'usage.cts'), usageCjs);
    writeFileSync(path.join(project, 'probe.mts'), Object.entries(modules)
      .map(([name, spec]) => `import * as ${name} from '${spec}';\n`).join('') +
      `export { ${Object.keys(modules).join(', ')} };\n`);
    nodeProgram = typecheck(['usage.mts', 'usage.cts', 'probe.mts'].map((f) => path.join(project, f)), {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
    });
  }
  return nodeProgram;
}

test('the .d.ts files type-check for Node (nodenext) and bundlers', () => {
  assert.deepEqual(nodenext().diags, []);
  const ts2 = path.join(project, 'usage.ts');
  writeFileSync(ts2, usage);
  const bundler = typecheck([ts2], {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2022,
  });
  assert.deepEqual(bundler.diags, []);
});

test('every export is declared, nothing is typed any, and the declared types match what is returned', async () => {
  const { program, diags } = nodenext();
  assert.deepEqual(diags, []);
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(path.join(project, 'probe.mts'));
  const exportsOf = (name) => {
    const decl = source.statements.find((s) => ts.isImportDeclaration(s) &&
      s.importClause.namedBindings.name.text === name);
    const symbol = checker.getSymbolAtLocation(decl.moduleSpecifier);
    return new Map(checker.getExportsOfModule(symbol).map((s) => [s.name, s]));
  };

  const require = createRequire(path.join(project, 'x.js'));
  const nm = path.join(project, 'node_modules/layerkit');
  const runtime = {
    node: require('layerkit'),
    web: await import(path.join(nm, 'web/layerkit.js')),
    dockerfile: require('layerkit/dockerfile'),
    dockerfileWeb: await import(path.join(nm, 'web/dockerfile.js')),
    image: await import(path.join(nm, 'image/node.js')),
  };
  runtime.web.initSync({ module: readFileSync(path.join(nm, 'web/layerkit_bg.wasm')) });
  runtime.dockerfileWeb.initSync({ module: readFileSync(path.join(nm, 'web/dockerfile_bg.wasm')) });

  const isAny = (t) => (t.flags & ts.TypeFlags.Any) !== 0;
  const noAny = (sig, at) => {
    assert.ok(!isAny(sig.getReturnType()), `${at} is declared to return any`);
    for (const p of sig.getParameters()) {
      assert.ok(!isAny(checker.getTypeOfSymbol(p)), `${at}: parameter ${p.name} is declared any`);
    }
  };
  for (const [name, mod] of Object.entries(runtime)) {
    const declared = exportsOf(name);
    for (const key of Object.keys(mod)) {
      assert.ok(declared.has(key), `${name}: export ${key} has no declaration`);
      const type = checker.getTypeOfSymbol(declared.get(key));
      for (const sig of type.getCallSignatures()) noAny(sig, `${name}: ${key}()`);
      for (const sig of type.getConstructSignatures()) {
        noAny(sig, `${name}: new ${key}()`);
        // A class: every method of its instances.
        const instance = sig.getReturnType();
        for (const m of instance.getProperties()) {
          for (const msig of checker.getTypeOfSymbol(m).getCallSignatures()) noAny(msig, `${name}: ${key}.${m.name}()`);
        }
      }
    }
  }

  // The declared shapes against real results: every key returned is
  // declared, every required key is returned, kinds agree.
  const check = (value, type, at) => {
    if (type.isUnion()) {
      if (value === undefined && type.types.some((t) => t.flags & ts.TypeFlags.Undefined)) return;
      const fits = type.types.filter((t) => {
        try { check(value, t, at); return true; } catch { return false; }
      });
      assert.ok(fits.length > 0, `${at}: ${JSON.stringify(value)?.slice(0, 200)} fits no member of ${checker.typeToString(type)}`);
      return;
    }
    const f = type.flags;
    assert.ok(!(f & ts.TypeFlags.Any), `${at}: declared any`);
    if (f & ts.TypeFlags.Undefined) return assert.equal(value, undefined, at);
    if (f & ts.TypeFlags.Null) return assert.equal(value, null, at);
    if (f & (ts.TypeFlags.StringLiteral | ts.TypeFlags.NumberLiteral)) return assert.equal(value, type.value, at);
    if (f & ts.TypeFlags.String) return assert.equal(typeof value, 'string', at);
    if (f & ts.TypeFlags.Number) return assert.equal(typeof value, 'number', at);
    if (f & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return assert.equal(typeof value, 'boolean', at);
    if (f & ts.TypeFlags.NonPrimitive) return assert.equal(typeof value, 'object', at); // `object`
    if (checker.isArrayType(type)) {
      assert.ok(Array.isArray(value), `${at}: not an array`);
      const [element] = checker.getTypeArguments(type);
      value.forEach((v, i) => check(v, element, `${at}[${i}]`));
      return;
    }
    if (checker.typeToString(type).startsWith('Uint8Array')) return assert.ok(value instanceof Uint8Array, at);
    assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `${at}: not an object`);
    const index = type.getStringIndexType();
    if (index) {
      for (const [k, v] of Object.entries(value)) check(v, index, `${at}[${JSON.stringify(k)}]`);
      return;
    }
    const props = new Map(type.getProperties().map((p) => [p.name, p]));
    for (const k of Object.keys(value)) assert.ok(props.has(k), `${at}: ${k} is not declared in ${checker.typeToString(type)}`);
    for (const [k, p] of props) {
      const optional = (p.flags & ts.SymbolFlags.Optional) !== 0;
      if (!(k in value)) {
        assert.ok(optional, `${at}: ${k} is declared but not returned`);
        continue;
      }
      check(value[k], checker.getTypeOfSymbol(p), `${at}.${k}`);
    }
  };
  const returnOf = (mod, fn) =>
    checker.getTypeOfSymbol(exportsOf(mod).get(fn)).getCallSignatures()[0].getReturnType();

  const onbuild = 'FROM a\nONBUILD RUN <<EOF\nx\nEOF\n# comment\nRUN [\n';
  for (const [label, text] of [['example', example], ['broken', broken], ['onbuild', onbuild]]) {
    check(runtime.node.parseDockerfile(text), returnOf('node', 'parseDockerfile'), label);
    check(runtime.node.lint(text), returnOf('node', 'lint'), `lint ${label}`);
  }
  check(runtime.node.rules(), returnOf('node', 'rules'), 'rules');

  // Image results, from real archives of each kind.
  const promised = returnOf('image', 'readImage');
  const result = checker.getAwaitedType(promised);
  const archives = ['dive/test-docker-image.tar', 'dive/test-oci-zstd-image.tar', 'dive/test-kaniko-image.tar',
    'ggcr/hello-world-v25.tar', 'ggcr/test_link.tar:1', 'ggcr/whiteout_dir.tar'];
  for (const a of archives) {
    const [file, image] = a.split(':');
    const r = await runtime.image.readImage(path.join(realFixtures, file), {
      image: image === undefined ? undefined : Number(image),
      files: a.startsWith('dive/test-docker') ? ['/root/saved.txt'] : [],
    });
    check(r, result, a);
  }
  const reader = new runtime.node.ImageReader('empty.tar');
  const progressType = checker.getTypeOfSymbol(checker.getTypeOfSymbol(exportsOf('node').get('ImageReader'))
    .getConstructSignatures()[0].getReturnType().getProperty('progress')).getCallSignatures()[0].getReturnType();
  check(reader.progress(), progressType, 'progress()');
  reader.free();
});
