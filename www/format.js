// Formatting for display (units as docker prints them: powers of 1000).

/** `32kB`, `6.41kB`, `1.32MB`: three significant digits, like `docker history`. */
export function humanSize(n) {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i += 1;
  }
  return `${Number(v.toPrecision(3))}${units[i]}`;
}

/** `32,025 bytes` */
export function bytes(n) {
  return `${n.toLocaleString('en-US')} ${n === 1 ? 'byte' : 'bytes'}`;
}

const GO_ZERO = -62135596800;

/** A date from seconds since the epoch; `—` for Go's zero time. */
export function date(seconds) {
  if (seconds === GO_ZERO || seconds === null || seconds === undefined) return '—';
  return new Date(seconds * 1000).toISOString().replace('T', ' ').replace(/\.000Z$/, ' UTC');
}

/** An RFC 3339 timestamp as a date; `—` for Go's zero time. */
export function isoDate(text) {
  if (!text || text.startsWith('0001-01-01')) return '—';
  const t = Date.parse(text);
  return Number.isNaN(t) ? text : date(Math.floor(t / 1000));
}

/** `rwxr-xr-x` with the file type letter first. */
export function modeString(kind, mode) {
  const type = { dir: 'd', symlink: 'l', char: 'c', block: 'b', fifo: 'p' }[kind] ?? '-';
  const bits = 'rwxrwxrwx';
  let s = '';
  for (let i = 0; i < 9; i++) s += mode & (1 << (8 - i)) ? bits[i] : '-';
  if (mode & 0o4000) s = `${s.slice(0, 2)}${s[2] === 'x' ? 's' : 'S'}${s.slice(3)}`;
  if (mode & 0o2000) s = `${s.slice(0, 5)}${s[5] === 'x' ? 's' : 'S'}${s.slice(6)}`;
  if (mode & 0o1000) s = `${s.slice(0, 8)}${s[8] === 'x' ? 't' : 'T'}`;
  return type + s;
}

/** `sha256:abcdef012345…` → `abcdef012345` */
export function shortDigest(d) {
  return (d ?? '').replace(/^sha256:/, '').slice(0, 12);
}

/** A percentage with `digits` decimals. */
export function percent(ratio, digits = 2) {
  return `${(ratio * 100).toFixed(digits)} %`;
}

/** Creates an element: el('td', { class: 'num' }, 'text', child…). */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'style') Object.assign(e.style, v); // CSSOM: allowed by the page's CSP
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}
