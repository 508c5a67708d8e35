// `layerkit/image` in browsers (and bundlers): each read runs in its own
// Web Worker (worker.js) so that the page stays responsive; nothing leaves
// the machine. Types: index.d.ts.

/** Paths relative to the layout's root: a picked folder's files carry
 *  `webkitRelativePath` = `<folder>/index.json`; the folder name goes. */
function fromFiles(files) {
  const list = [...files];
  const rel = list.map((f) => f.webkitRelativePath || f.name);
  const top = rel.every((p) => p.includes('/')) && !rel.includes('index.json')
    ? rel[0].slice(0, rel[0].indexOf('/') + 1) : '';
  const map = new Map();
  list.forEach((f, i) => {
    if (rel[i].startsWith(top)) map.set(rel[i].slice(top.length), f);
  });
  return map;
}

/** The files of a directory handle (showDirectoryPicker, a dropped folder). */
async function fromDirectory(dir, prefix = '', map = new Map()) {
  for await (const [name, handle] of dir.entries()) {
    if (handle.kind === 'directory') await fromDirectory(handle, `${prefix}${name}/`, map);
    else map.set(`${prefix}${name}`, await handle.getFile());
  }
  return map;
}

/** The source as a worker can take it. */
async function sendable(source) {
  if (source instanceof Map) {
    return new Map([...source].map(([p, b]) => [p.replace(/^\.?\/+/, ''), b]));
  }
  if (typeof FileList !== 'undefined' && source instanceof FileList) return fromFiles(source);
  if (Array.isArray(source)) return fromFiles(source);
  if (typeof FileSystemDirectoryHandle !== 'undefined' && source instanceof FileSystemDirectoryHandle) {
    return fromDirectory(source);
  }
  return source;
}

function run(kind, source, options, path) {
  const { onProgress, signal, sha256, ...rest } = options;
  return (async () => {
    signal?.throwIfAborted();
    // A function cannot be posted to the worker; the built-in sha256 runs there.
    if (sha256 != null) {
      throw new TypeError('layerkit/image: options.sha256 works in Node only (reading in browsers ' +
        'runs in a Web Worker, which a function cannot be sent to): leave it out');
    }
    const src = await sendable(source);
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    try {
      return await new Promise((resolve, reject) => {
        worker.onmessage = ({ data }) => {
          if (data.type === 'progress') onProgress?.(data.progress);
          else if (data.type === 'done') resolve(data.result);
          else reject(new Error(data.message));
        };
        worker.onerror = (e) => reject(new Error(`layerkit/image: the worker failed: ${e.message || 'it could not be loaded'}`));
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
        const transfer = typeof ReadableStream !== 'undefined' && src instanceof ReadableStream ? [src] : [];
        worker.postMessage({ kind, source: src, options: rest, path }, transfer);
      });
    } finally {
      worker.terminate();
    }
  })();
}

/** Reads an image in a Web Worker (see index.d.ts). */
export function readImage(source, options = {}) {
  return run('image', source, options);
}

/** Reads one file of an image's merged filesystem in a Web Worker (see index.d.ts). */
export function readFile(source, path, options = {}) {
  return run('file', source, { ...options, files: [path] }, path);
}
