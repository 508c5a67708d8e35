// Where the bytes of a .wasm go: function bodies by size, summed per crate,
// from the module's name section (so run it on wasm-bindgen's output before
// wasm-opt strips the names, e.g. target/pkg-build/web/<module>/<module>_bg.wasm).
//
//   node benches/wasm_bloat.mjs [FILE.wasm] [TOP]

import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'target/pkg-build/web/layerkit/layerkit_bg.wasm';
const top = Number(process.argv[3] ?? 25);
const buf = readFileSync(file);

let pos = 8; // magic + version
const leb = () => {
  let result = 0, shift = 0, byte;
  do {
    byte = buf[pos++];
    result += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return result;
};
const name = () => {
  const len = leb();
  const s = buf.toString('utf8', pos, pos + len);
  pos += len;
  return s;
};

const sections = [];
let importedFuncs = 0;
const bodies = []; // [size] per defined function
const names = new Map();
while (pos < buf.length) {
  const id = buf[pos++];
  const size = leb();
  const start = pos;
  const end = pos + size;
  let label = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export',
    'start', 'element', 'code', 'data', 'datacount', 'tag'][id] ?? `id ${id}`;
  if (id === 0) {
    const custom = name();
    label = `custom "${custom}"`;
    if (custom === 'name') {
      while (pos < end) {
        const sub = buf[pos++];
        const subSize = leb();
        const subEnd = pos + subSize;
        if (sub === 1) {
          const count = leb();
          for (let i = 0; i < count; i++) {
            const idx = leb();
            names.set(idx, name());
          }
        }
        pos = subEnd;
      }
    }
  } else if (id === 2) {
    const count = leb();
    for (let i = 0; i < count; i++) {
      name();
      name();
      const kind = buf[pos++];
      if (kind === 0) { leb(); importedFuncs++; }
      else if (kind === 1) { pos++; const f = buf[pos++]; leb(); if (f & 1) leb(); }
      else if (kind === 2) { const f = buf[pos++]; leb(); if (f & 1) leb(); }
      else if (kind === 3) { pos += 2; }
      else if (kind === 4) { pos++; leb(); }
    }
  } else if (id === 10) {
    const count = leb();
    for (let i = 0; i < count; i++) {
      const len = leb();
      bodies.push(len);
      pos += len;
    }
  }
  sections.push([label, size]);
  pos = end;
}

const kb = (n) => `${(n / 1024).toFixed(1).padStart(7)} KiB`;
console.log(`${file}: ${kb(buf.length)}`);
console.log('\nsections:');
for (const [label, size] of sections.sort((a, b) => b[1] - a[1])) {
  console.log(`  ${kb(size)}  ${label}`);
}
if (names.size === 0) {
  console.log('\n(no name section: run on a module before wasm-opt)');
  process.exit(0);
}
const funcs = bodies.map((size, i) => ({ size, name: names.get(importedFuncs + i) ?? `func${importedFuncs + i}` }));
const crateOf = (n) => {
  // "<T as core::fmt::Debug>::fmt" -> the first path segment of T
  const m = /^<?&?(?:mut )?(?:dyn )?([a-zA-Z_][a-zA-Z0-9_]*)::/.exec(n);
  return m ? m[1] : '(other)';
};
const byCrate = new Map();
for (const f of funcs) byCrate.set(crateOf(f.name), (byCrate.get(crateOf(f.name)) ?? 0) + f.size);
console.log('\ncode by crate (first path segment of the function name):');
for (const [crate, size] of [...byCrate].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  console.log(`  ${kb(size)}  ${crate}`);
}
console.log(`\nlargest ${top} functions:`);
for (const f of funcs.sort((a, b) => b.size - a.size).slice(0, top)) {
  console.log(`  ${kb(f.size)}  ${f.name.slice(0, 110)}`);
}
