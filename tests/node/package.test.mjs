// The npm package as a user gets it: `npm pack` on pkg/ (built by
// .ci/package), the tarball installed into an empty folder without a
// registry, then used from there: `import` and `require` in Node, the bundler
// build, the web build in a plain page in headless Chromium, and its
// TypeScript types checked by tsc and against what the functions return.
//
//   .ci/package && node --test tests/node/

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';
import ts from 'typescript';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const pkgDir = path.join(root, 'pkg');
const exampleFile = path.join(root, 'tests/fixtures/example/Dockerfile');
const example = readFileSync(exampleFile, 'utf8');
const broken = 'FROM alpine\nCOPY onlyone\n  ENV a\nRUN <<EOF\nnever closed\n';

let work; // temp folder: the tarball and the consuming project
let project; // the project with layerkit installed from the tarball
let packed; // `npm pack --json` about the tarball

before(() => {
  assert.ok(
    existsSync(path.join(pkgDir, 'package.json')),
    `${pkgDir} has no package.json: run .ci/package first`,
  );
  work = mkdtempSync(path.join(tmpdir(), 'layerkit-pack-'));
  [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', work, pkgDir], {
      encoding: 'utf8',
    }),
  );
  project = path.join(work, 'project');
  mkdirSync(project);
  writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }),
  );
  // --offline: the package has no dependencies, so nothing may be fetched.
  execFileSync(
    'npm',
    ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error',
      path.join(work, packed.filename)],
    { cwd: project, stdio: ['ignore', 'ignore', 'inherit'] },
  );
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
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

test('the tarball holds every target, the types and the README, nothing else', () => {
  const files = packed.files.map((f) => f.path).sort();
  for (const target of ['nodejs', 'web', 'bundler']) {
    for (const f of ['layerkit.js', 'layerkit.d.ts', 'layerkit_bg.wasm', 'package.json']) {
      assert.ok(files.includes(`${target}/${f}`), `${target}/${f} missing from ${files}`);
    }
  }
  assert.ok(files.includes('README.md'));
  assert.ok(files.includes('package.json'));
  const stray = files.filter((f) => /(^|\/)\.|\.stamp$/.test(f));
  assert.deepEqual(stray, []);
  const manifest = JSON.parse(readFileSync(path.join(project, 'node_modules/layerkit/package.json')));
  const cargoVersion = /^version = "([^"]+)"/m.exec(readFileSync(path.join(root, 'Cargo.toml'), 'utf8'))[1];
  assert.equal(manifest.version, cargoVersion, 'package.json has the crate version');
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
import { parseDockerfile, version, type ParsedDockerfile, type Instruction,
  type Diagnostic, type Span } from 'layerkit';
import init, { initSync, parseDockerfile as parseWeb } from 'layerkit/web';

type IsAny<T> = 0 extends 1 & T ? true : false;
const notAny: [IsAny<ReturnType<typeof parseDockerfile>>, IsAny<ReturnType<typeof parseWeb>>] =
  [false, false];

const r: ParsedDockerfile = parseDockerfile('FROM alpine');
const first: Instruction | undefined = r.instructions[0];
const line: number | undefined = first?.span.start.line;
const sub: string | null | undefined = first?.subCmd;
const errors: Diagnostic[] = r.diagnostics.filter((d) => d.severity === 'error');
const where: Span[] = errors.map((d) => d.span);
const heredocBodies: string[] = r.instructions.flatMap((i) => i.heredocs.map((h) => h.content));
const v: string = version();
await init();
initSync({ module: new Uint8Array() });
const w: ParsedDockerfile = parseWeb('FROM alpine');
export { notAny, line, sub, where, heredocBodies, v, w };
`;
const usageCjs = `
import lk = require('layerkit');
const r: import('layerkit').ParsedDockerfile = lk.parseDockerfile('FROM alpine');
// @ts-expect-error: a severity is 'error' or 'warning'
const bad: import('layerkit').Severity = 'fatal';
export = { r, bad };
`;

function typecheck(files, options) {
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    skipLibCheck: false, // check the package's own .d.ts files too
    types: [],
    // wasm-bindgen declares `[Symbol.dispose]()` on classes (TypeScript >= 5.2).
    lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts', 'lib.dom.d.ts'],
    ...options,
  });
  const diags = ts.getPreEmitDiagnostics(program).map((d) =>
    ts.flattenDiagnosticMessageText(d.messageText, '\n') +
    (d.file ? ` (${path.basename(d.file.fileName)})` : ''));
  return { program, diags };
}

// One program for Node's resolution (nodenext) serves both tests below.
let nodeProgram;
function nodenext() {
  if (!nodeProgram) {
    writeFileSync(path.join(project, 'usage.mts'), usage);
    writeFileSync(path.join(project, 'usage.cts'), usageCjs);
    writeFileSync(path.join(project, 'probe.mts'), `
import * as node from 'layerkit';
import * as web from 'layerkit/web';
export { node, web };
`);
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

test('every export is declared, and the declared types match what is returned', async () => {
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
  const runtime = {
    node: require('layerkit'),
    web: await import(path.join(project, 'node_modules/layerkit/web/layerkit.js')),
  };
  const webWasm = readFileSync(path.join(project, 'node_modules/layerkit/web/layerkit_bg.wasm'));
  runtime.web.initSync({ module: webWasm });

  for (const [name, mod] of Object.entries(runtime)) {
    const declared = exportsOf(name);
    for (const key of Object.keys(mod)) {
      assert.ok(declared.has(key), `${name}: export ${key} has no declaration`);
      const type = checker.getTypeOfSymbol(declared.get(key));
      for (const sig of type.getCallSignatures()) {
        assert.ok(!(sig.getReturnType().flags & ts.TypeFlags.Any),
          `${name}: ${key}() is declared to return any`);
      }
    }
  }

  // The declared shape of ParsedDockerfile against real results: every key
  // returned is declared, every declared key is returned, kinds agree.
  const parseType = checker.getTypeOfSymbol(exportsOf('node').get('parseDockerfile'));
  const returned = parseType.getCallSignatures()[0].getReturnType();
  const check = (value, type, at) => {
    if (type.isUnion()) {
      const fits = type.types.filter((t) => {
        try { check(value, t, at); return true; } catch { return false; }
      });
      assert.ok(fits.length > 0, `${at}: ${JSON.stringify(value)} fits no member of ${checker.typeToString(type)}`);
      return;
    }
    const f = type.flags;
    if (f & ts.TypeFlags.Null) return assert.equal(value, null, at);
    if (f & ts.TypeFlags.StringLiteral) return assert.equal(value, type.value, at);
    if (f & ts.TypeFlags.String) return assert.equal(typeof value, 'string', at);
    if (f & ts.TypeFlags.Number) return assert.equal(typeof value, 'number', at);
    if (f & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return assert.equal(typeof value, 'boolean', at);
    if (checker.isArrayType(type)) {
      assert.ok(Array.isArray(value), `${at}: not an array`);
      const [element] = checker.getTypeArguments(type);
      value.forEach((v, i) => check(v, element, `${at}[${i}]`));
      return;
    }
    assert.equal(typeof value, 'object', at);
    const props = type.getProperties().map((p) => p.name).sort();
    assert.deepEqual(Object.keys(value).sort(), props, `${at}: keys differ from ${checker.typeToString(type)}`);
    for (const p of type.getProperties()) {
      check(value[p.name], checker.getTypeOfSymbol(p), `${at}.${p.name}`);
    }
  };
  const onbuild = 'FROM a\nONBUILD RUN <<EOF\nx\nEOF\n# comment\nRUN [\n';
  for (const [label, text] of [['example', example], ['broken', broken], ['onbuild', onbuild]]) {
    check(runtime.node.parseDockerfile(text), returned, label);
  }
});
