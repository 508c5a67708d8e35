// The inspector page: open an image (drop, file picker, folder picker), read
// it with `layerkit/image` (a Web Worker; nothing is uploaded), and show
// what it holds. The Dockerfile pane lives in dockerfile.js.

// The npm package sits in vendor/ (www/vendor.sh); `layerkit/image` there.
import { readFile, readImage } from './vendor/layerkit/image/browser.js';
import { setupDockerfile } from './dockerfile.js';
import {
  bytes, date, el, humanSize, isoDate, modeString, percent, shortDigest,
} from './format.js';
import { TreeView, buildTree } from './tree.js';

const $ = (id) => document.getElementById(id);

const state = {
  source: null, // what was opened: a File, or a Map of a layout folder's files
  name: '',
  image: 0, // which image of the archive
  report: null,
  reading: null, // the AbortController of the read in progress
  trees: new Map(), // view key → tree root
  contents: new Map(), // path → file with content, for the current image
};

// --- Tabs ---------------------------------------------------------------------

/** Wires a tablist: click and arrow keys select; each tab shows its panel. */
function tablist(list, onChange) {
  const tabs = [...list.querySelectorAll('[role=tab]')];
  const select = (tab, focus) => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      $(t.getAttribute('aria-controls')).hidden = !on;
    }
    if (focus) tab.focus();
    onChange?.(tab);
  };
  list.addEventListener('click', (e) => {
    const tab = e.target.closest('[role=tab]');
    if (tab) select(tab, false);
  });
  list.addEventListener('keydown', (e) => {
    const i = tabs.indexOf(document.activeElement);
    if (i < 0) return;
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    select(tabs[(next + tabs.length) % tabs.length], true);
  });
  return (id) => select($(id), false);
}

const showTool = tablist(document.querySelector('.top .tabs'), (tab) => {
  if (tab.id === 'tab-dockerfile') startDockerfile();
});
const showView = tablist(document.querySelector('.tabs.sub'), (tab) => {
  if (tab.id === 'tab-files') tree.schedule();
});

// --- Opening ------------------------------------------------------------------

/** The files below a dropped folder (FileSystemDirectoryEntry). */
async function entryFiles(dir, prefix = '', map = new Map()) {
  const reader = dir.createReader();
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return map;
    for (const e of batch) {
      if (e.isDirectory) await entryFiles(e, `${prefix}${e.name}/`, map);
      else map.set(`${prefix}${e.name}`, await new Promise((resolve, reject) => e.file(resolve, reject)));
    }
  }
}

function open(source, name) {
  state.source = source;
  state.name = name;
  state.image = 0;
  load();
}

const drop = $('drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', async (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const item = e.dataTransfer.items?.[0];
  const entry = item?.webkitGetAsEntry?.();
  if (entry?.isDirectory) {
    open(await entryFiles(entry), entry.name);
  } else if (e.dataTransfer.files.length > 0) {
    const file = e.dataTransfer.files[0];
    open(file, file.name);
  }
});
// Anything dropped elsewhere must not make the browser navigate away.
document.addEventListener('dragover', (e) => e.preventDefault());
document.addEventListener('drop', (e) => e.preventDefault());

drop.addEventListener('keydown', (e) => {
  if ((e.key === 'Enter' || e.key === ' ') && e.target === drop) {
    e.preventDefault();
    $('file-input').click();
  }
});
$('pick-file').addEventListener('click', () => $('file-input').click());
$('file-input').addEventListener('change', (e) => {
  const file = e.target.files[0];
  if (file) open(file, file.name);
  e.target.value = '';
});
$('pick-folder').addEventListener('click', async () => {
  if (!window.showDirectoryPicker) {
    $('folder-input').click();
    return;
  }
  try {
    const dir = await window.showDirectoryPicker({ mode: 'read' });
    open(dir, dir.name);
  } catch (e) {
    if (e.name !== 'AbortError') showError(e.message);
  }
});
$('folder-input').addEventListener('change', (e) => {
  const files = [...e.target.files];
  if (files.length > 0) open(files, files[0].webkitRelativePath.split('/')[0] || 'folder');
  e.target.value = '';
});
$('cancel').addEventListener('click', () => state.reading?.abort());

// --- Progress and errors ------------------------------------------------------

function progress(label) {
  const box = $('progress');
  const bar = $('progress-bar');
  box.hidden = false;
  $('progress-label').textContent = label;
  $('progress-detail').textContent = '';
  bar.removeAttribute('value'); // indeterminate until the first report
  return (p) => {
    if (p.total) {
      bar.value = Math.min(1, p.bytes / p.total);
      bar.setAttribute('aria-valuetext', `${Math.round(bar.value * 100)} percent`);
      $('progress-label').textContent = `${label} ${humanSize(p.bytes)} of ${humanSize(p.total)} (${Math.round(bar.value * 100)} %)`;
    } else {
      $('progress-label').textContent = `${label} ${humanSize(p.bytes)}`;
    }
    const layers = p.layers ? `${p.layers} ${p.layers === 1 ? 'layer' : 'layers'} · ` : '';
    $('progress-detail').textContent = `${layers}${p.current}`;
  };
}

function showError(message) {
  const box = $('error');
  box.textContent = message;
  box.hidden = false;
}

/** Runs a read with the progress bar; null when cancelled or failed. */
async function reading(label, run) {
  state.reading?.abort();
  const controller = new AbortController();
  state.reading = controller;
  $('error').hidden = true;
  const onProgress = progress(label);
  try {
    return await run({ signal: controller.signal, onProgress });
  } catch (e) {
    if (!controller.signal.aborted) showError(e.message);
    return null;
  } finally {
    if (state.reading === controller) {
      state.reading = null;
      $('progress').hidden = true;
    }
  }
}

async function load() {
  drop.classList.add('compact');
  const report = await reading(`Reading ${state.name}:`, (o) =>
    readImage(state.source, { ...o, name: state.name, image: state.image }));
  if (!report) return;
  state.report = report;
  state.trees.clear();
  state.contents.clear();
  render(report);
}

// --- The report ---------------------------------------------------------------

function card(label, value, extra = {}) {
  return el('div', {}, el('dt', {}, label), el('dd', extra, value));
}

function render(r) {
  const i = r.inspect;
  $('image').hidden = false;
  $('image-title').textContent = i.RepoTags[0] ?? r.images[state.image]?.refName ?? shortDigest(i.Id);
  $('image-source').textContent = `${i.Source.Name} · ${i.Source.Format} · ${i.Manifest.MediaType}`;

  const pick = $('image-select');
  pick.replaceChildren(...r.images.map((s) => el('option', { value: s.index, selected: s.index === state.image },
    `@${s.index} ${[...s.repoTags, s.refName].filter(Boolean).join(', ') || shortDigest(s.digest)}`)));
  pick.parentElement.hidden = r.images.length < 2;

  const a = r.tree.image;
  const score = a.efficiencyScore >= 0.95 ? 'good' : a.efficiencyScore >= 0.9 ? 'fair' : 'poor';
  const platform = [i.Os, i.Architecture, i.Variant].filter(Boolean).join('/');
  $('summary').replaceChildren(
    card('Image ID', el('data', { value: i.Id, id: 'image-id', title: i.Id }, shortDigest(i.Id)), { class: 'id' }),
    card('Tags', i.RepoTags.join(', ') || '—', { title: i.RepoTags.join('\n') }),
    card('Created', isoDate(i.Created).slice(0, 10), { title: i.Created }),
    card('Platform', platform),
    card('Size', el('data', { value: i.Size, id: 'image-size' }, humanSize(i.Size)), { title: bytes(i.Size) }),
    card('Layers', el('data', { value: r.tree.layer.length, id: 'layer-count' }, r.tree.layer.length)),
    card('Efficiency', el('data', { value: a.efficiencyScore, id: 'efficiency' }, percent(a.efficiencyScore)),
      { class: score, title: `dive's efficiency score: ${a.efficiencyScore}` }),
    card('Wasted', el('data', { value: a.inefficientBytes, id: 'wasted-bytes' }, humanSize(a.inefficientBytes)),
      { title: bytes(a.inefficientBytes) }),
    card('User wasted', percent(a.userWastedPercent), {
      title: `wasted ÷ bytes added on top of the base layer (${bytes(a.userSizeBytes)})`,
    }),
  );

  // Layers
  $('layers').tBodies[0].replaceChildren(...r.tree.layer.map((l) => {
    const stored = i.Layers[l.index];
    return el('tr', {
      class: 'clickable', tabindex: 0, 'data-layer': l.index,
      'aria-label': `Layer ${l.index}: show its files`,
      onclick: () => showLayer(l.index),
      onkeydown: (e) => { if (e.key === 'Enter') showLayer(l.index); },
    },
    el('td', { class: 'num' }, l.index),
    el('td', { class: 'mono', title: `${l.digest}\ndiff ${l.diffId}` }, shortDigest(l.digest)),
    el('td', { class: 'num', title: bytes(l.sizeBytes) }, humanSize(l.sizeBytes)),
    el('td', { class: 'num', title: `${bytes(stored.Size)} as stored (${stored.Compression})` },
      `${humanSize(stored.Size)}${stored.Compression === 'none' ? '' : ` ${stored.Compression}`}`),
    el('td', { class: 'counts' },
      el('span', { class: 'mark added', title: 'added' }, `+${l.added}`), ' ',
      el('span', { class: 'mark modified', title: 'modified' }, `~${l.modified}`), ' ',
      el('span', { class: 'mark removed', title: 'removed' }, `-${l.removed}`)),
    el('td', { class: 'cmd' }, l.command.replace(/^\/bin\/sh -c #\(nop\)\s*/, '') || '—'));
  }));

  // Files
  const layerSelect = $('layer-select');
  layerSelect.replaceChildren(
    el('option', { value: 'merged' }, 'Merged filesystem'),
    ...r.tree.layer.map((l) => el('option', { value: l.index },
      `Layer ${l.index}: ${(l.command.replace(/^\/bin\/sh -c #\(nop\)\s*/, '') || shortDigest(l.digest)).slice(0, 60)}`)),
  );
  $('filter').value = '';
  showFiles('merged');

  // Wasted space
  const refs = a.fileReference;
  $('wasted').tBodies[0].replaceChildren(...(refs.length === 0
    ? [el('tr', {}, el('td', { colspan: 3, class: 'muted' }, 'Nothing is stored twice.'))]
    : refs.slice(0, 500).map((f) => el('tr', {},
      el('td', { class: 'num' }, f.count),
      el('td', { class: 'num', title: bytes(f.sizeBytes) }, humanSize(f.sizeBytes)),
      el('td', { class: 'mono' }, f.path)))));

  // History
  $('history').tBodies[0].replaceChildren(...r.history.map((h) => el('tr', {},
    el('td', { class: 'mono', title: h.id }, h.id === '<missing>' ? '<missing>' : shortDigest(h.id)),
    el('td', { class: 'nowrap' }, date(h.created)),
    el('td', { class: 'cmd' }, h.createdBy),
    el('td', { class: 'num' }, h.layer === null ? '0B' : humanSize(h.size)),
    el('td', {}, h.comment))));

  // Config
  const c = i.Config ?? {};
  const show = (v) => (v === null || v === undefined || v === '' || (typeof v === 'object' && Object.keys(v).length === 0)
    ? null : typeof v === 'string' ? v : Array.isArray(v) && v.every((x) => typeof x === 'string') ? v.join('\n') : JSON.stringify(v, null, 2));
  const rows = [
    ['Entrypoint', Array.isArray(c.Entrypoint) ? JSON.stringify(c.Entrypoint) : c.Entrypoint],
    ['Cmd', Array.isArray(c.Cmd) ? JSON.stringify(c.Cmd) : c.Cmd],
    ['Env', c.Env], ['WorkingDir', c.WorkingDir], ['User', c.User],
    ['ExposedPorts', c.ExposedPorts && Object.keys(c.ExposedPorts)], ['Volumes', c.Volumes && Object.keys(c.Volumes)],
    ['Labels', c.Labels && Object.entries(c.Labels).map(([k, v]) => `${k}=${v}`)],
    ['StopSignal', c.StopSignal], ['Healthcheck', c.Healthcheck], ['OnBuild', c.OnBuild], ['Shell', c.Shell],
    ['Author', i.Author], ['DockerVersion', i.DockerVersion], ['RepoDigests', i.RepoDigests],
    ['Manifest', `${i.Manifest.MediaType}${i.Manifest.Digest ? `\n${i.Manifest.Digest}` : ''}`],
    ['Config blob', `${i.Manifest.ConfigMediaType}\n${i.Id}`],
  ].map(([k, v]) => [k, show(v)]).filter(([, v]) => v !== null);
  $('config').replaceChildren(...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  $('inspect-json').textContent = JSON.stringify([i], null, 2);
}

// --- Files --------------------------------------------------------------------

const tree = new TreeView($('tree'), {
  onSelect: (node) => details(node),
  onOpen: (node) => view(node),
});

/** The tree for `key` ('merged' or a layer index), built once. */
function treeFor(key, withRemoved) {
  const id = `${key}:${withRemoved}`;
  if (!state.trees.has(id)) {
    const r = state.report;
    let items;
    if (key === 'merged') {
      // Each path marked by what its layer did to it.
      const did = r.changes.map((cs) => new Map(cs.map((c) => [c.path, c.change])));
      items = r.merged.map((m) => ({ ...m, change: did[m.layer]?.get(m.path) }));
      if (withRemoved) {
        const present = new Set(r.merged.map((m) => m.path));
        const gone = new Map();
        r.changes.forEach((cs, layer) => cs.forEach((c) => {
          if (c.change === 'removed' && !present.has(c.path)) gone.set(c.path, { ...c, layer });
        }));
        items.push(...gone.values());
        items.sort((x, y) => (x.path < y.path ? -1 : 1));
      }
    } else {
      items = r.changes[key].map((c) => ({ ...c, layer: Number(key) }));
    }
    state.trees.set(id, buildTree(items));
  }
  return state.trees.get(id);
}

function showFiles(key) {
  const merged = key === 'merged';
  $('layer-select').value = String(key);
  $('show-removed').parentElement.hidden = !merged;
  const root = treeFor(key, merged && $('show-removed').checked);
  const count = merged ? state.report.merged.length : state.report.changes[key].length;
  $('file-count').textContent = `${count.toLocaleString('en-US')} ${merged ? 'paths' : 'changes'}`;
  tree.setRoot(root, merged ? 'Merged filesystem' : `Changes of layer ${key}`);
  tree.setFilter($('filter').value);
  $('file-detail').replaceChildren(el('p', { class: 'muted' }, 'Select a file to see its details, view or download it.'));
}

function showLayer(n) {
  showView('tab-files');
  showFiles(n);
}

$('layer-select').addEventListener('change', (e) => showFiles(e.target.value === 'merged' ? 'merged' : Number(e.target.value)));
$('show-removed').addEventListener('change', () => showFiles('merged'));
let filterFrame = 0;
$('filter').addEventListener('input', () => {
  cancelAnimationFrame(filterFrame);
  filterFrame = requestAnimationFrame(() => tree.setFilter($('filter').value));
});
$('filter').addEventListener('keydown', (e) => {
  if (e.key === 'ArrowDown') {
    e.preventDefault();
    tree.select(0);
  }
});

function details(node) {
  const box = $('file-detail');
  const readable = ['file', 'hardlink', 'symlink'].includes(node.kind) && node.change !== 'removed' && !node.implied;
  const key = $('layer-select').value;
  const later = key !== 'merged' && readable;
  box.replaceChildren(...[
    el('h3', {}, `/${node.path}`),
    el('dl', {},
      el('dt', {}, 'Type'), el('dd', {}, node.kind + (node.change ? ` (${node.change})` : '')),
      node.implied ? null : [
        el('dt', {}, 'Size'), el('dd', {}, node.kind === 'dir' ? `${humanSize(node.total)} below` : bytes(node.size ?? 0)),
        node.mode === undefined ? null : [el('dt', {}, 'Mode'), el('dd', {}, `${modeString(node.kind, node.mode)} (${(node.mode & 0o7777).toString(8).padStart(4, '0')})`)],
        node.uid === undefined ? null : [el('dt', {}, 'Owner'), el('dd', {}, `${node.uid}:${node.gid}`)],
        node.mtime === undefined ? null : [el('dt', {}, 'Modified'), el('dd', {}, date(node.mtime))],
        node.link ? [el('dt', {}, node.kind === 'hardlink' ? 'Links to' : 'Points to'), el('dd', {}, node.link)] : null,
        node.layer === undefined ? null : [el('dt', {}, 'Layer'), el('dd', {}, String(node.layer))],
      ]),
    readable ? el('div', { class: 'actions' },
      el('button', { type: 'button', class: 'primary', onclick: () => view(node) }, 'View'),
      el('button', { type: 'button', onclick: () => download(node) }, 'Download')) : null,
    later ? el('p', { class: 'muted' }, 'View and Download give the file as the final image has it.') : null,
  ].filter(Boolean));
}

/** The file's content (symlinks followed), read again from the source. */
async function content(node) {
  const path = `/${node.path}`;
  if (!state.contents.has(path)) {
    const file = await reading(`Reading ${path} from ${state.name}:`, (o) =>
      readFile(state.source, path, { ...o, name: state.name, image: state.image }));
    if (!file) return null;
    state.contents.set(path, file);
  }
  return state.contents.get(path);
}

function save(name, data) {
  const url = URL.createObjectURL(new Blob([data], { type: 'application/octet-stream' }));
  const a = el('a', { href: url, download: name });
  // Inside an open modal dialog: the rest of the page is inert then.
  (document.querySelector('dialog[open]') ?? document.body).append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function download(node) {
  const file = await content(node);
  if (file) save(node.name, file.content);
}

const TEXT_LIMIT = 2 << 20;

function hexdump(data) {
  const lines = [];
  for (let at = 0; at < data.length; at += 16) {
    const row = data.subarray(at, at + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...row].map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${at.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n');
}

async function view(node) {
  const file = await content(node);
  if (!file) return;
  const data = file.content;
  let text = null;
  if (!data.subarray(0, 8192).includes(0)) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(0, TEXT_LIMIT));
    } catch {
      text = null; // binary
    }
  }
  const shown = `/${file.path}` === `/${node.path}` ? `/${node.path}` : `/${node.path} → /${file.path}`;
  $('viewer-title').textContent = shown;
  const dialog = $('viewer');
  if (text !== null) {
    $('viewer-content').textContent = text;
    $('viewer-note').textContent = `${bytes(data.length)}${data.length > TEXT_LIMIT ? ', the first 2 MB shown' : ''}`;
  } else {
    $('viewer-content').textContent = hexdump(data.subarray(0, 64 << 10));
    $('viewer-note').textContent = `${bytes(data.length)}, binary${data.length > 65536 ? ': the first 64 KiB in hex' : ''}`;
  }
  $('viewer-download').onclick = () => save(node.name, data);
  dialog.showModal();
  $('viewer-content').focus();
}

$('viewer-close').addEventListener('click', () => $('viewer').close());
$('viewer').addEventListener('click', (e) => {
  if (e.target === $('viewer')) $('viewer').close(); // the backdrop
});
$('viewer').addEventListener('close', () => $('tree').focus({ preventScroll: true }));

$('image-select').addEventListener('change', (e) => {
  state.image = Number(e.target.value);
  load();
});

// --- Dockerfile ---------------------------------------------------------------

let dockerfile = null;
function startDockerfile() {
  dockerfile ??= setupDockerfile({
    textarea: $('source'), gutter: $('gutter'), list: $('findings'), stats: $('df-stats'), fixAll: $('fix-all'),
  }).catch((e) => {
    $('findings').replaceChildren(el('li', { class: 'error' }, `The linter could not start: ${e.message}`));
  });
  return dockerfile;
}

if (location.hash === '#dockerfile') showTool('tab-dockerfile');
window.addEventListener('hashchange', () => {
  if (location.hash === '#dockerfile') showTool('tab-dockerfile');
  else if (location.hash === '#image') showTool('tab-image');
});
$('boot').remove();
document.documentElement.dataset.ready = 'true';
