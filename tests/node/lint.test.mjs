// The npm package's lint API from Node: `lint(source, config?)` and `rules()`.
// The package's Node build comes from nodePackage() (see packed.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodePackage } from './packed.mjs';

const { lint, rules } = nodePackage();

test('lint reports findings with positions', () => {
  const f = lint('FROM debian\nMAINTAINER me\n');
  const codes = f.map((x) => x.code);
  assert.deepEqual(codes, ['DL3006', 'DL4000', 'MaintainerDeprecated']);
  assert.equal(f[0].severity, 'warning');
  assert.deepEqual([f[0].line, f[0].column, f[0].endLine, f[0].endColumn], [1, 6, 1, 12]);
});

test('fix edits apply as JS string ranges, also after non-ASCII text', () => {
  const source = '# café ☕\nFROM alpine:3 as build\n';
  const f = lint(source).find((x) => x.code === 'FromAsCasing');
  const [e] = f.fix.edits;
  assert.equal(source.slice(e.start, e.end), 'as');
  const fixed = source.slice(0, e.start) + e.text + source.slice(e.end);
  assert.equal(fixed, '# café ☕\nFROM alpine:3 AS build\n');
  assert.ok(!lint(fixed).some((x) => x.code === 'FromAsCasing'));
});

test('config takes hadolint keys; bad config throws naming the key', () => {
  const f = lint('FROM debian\n', { ignored: ['DL3006'], trustedRegistries: ['ghcr.io'] });
  assert.deepEqual(f.map((x) => x.code), ['DL3026']);
  const g = lint('FROM debian\n', { override: { error: ['DL3006'] } });
  assert.equal(g[0].severity, 'error');
  assert.throws(() => lint('FROM a:1\n', { 'failure-threshold': 'loud' }), /failure-threshold/);
  const h = lint('FROM a:1\nCOPY x.env /\n', { dockerignore: '*.env\n' });
  assert.deepEqual(h.map((x) => x.code), ['CopyIgnoredFile']);
});

test('parse errors are findings, never exceptions', () => {
  const f = lint('FROM a:1\nCOPY --nope a b\nRUN <<EOF\nunterminated\n');
  assert.ok(f.some((x) => x.code === 'DL1000'));
});

test('rules() is the catalog', () => {
  const r = rules();
  const dl3006 = r.find((x) => x.code === 'DL3006');
  assert.equal(dl3006.origin, 'hadolint');
  assert.equal(dl3006.url, 'https://github.com/hadolint/hadolint/wiki/DL3006');
  assert.ok(r.some((x) => x.code === 'UndefinedVar' && x.origin === 'buildkit'));
});
