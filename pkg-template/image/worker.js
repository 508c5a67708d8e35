// The Web Worker behind `layerkit/image` in browsers (started by
// browser.js): loads the `web` build, reads the source it is sent, posts
// progress, then the result. Messages:
//   in:  { kind: 'image' | 'file', source, options, path }
//   out: { type: 'progress', progress } | { type: 'done', result } | { type: 'error', message }

import init, { ImageReader } from '../web/layerkit.js';
import { commonInput, read } from './core.js';

const ready = init();

/** An OCI layout given as a Map of relative paths to Blobs; Blobs are read
 *  synchronously, which workers may do. */
function layoutInput(files, name) {
  let total = 0;
  for (const b of files.values()) total += b.size;
  const sync = new FileReaderSync();
  return {
    kind: 'layout', name, total, again: true,
    open(path) {
      const blob = files.get(path);
      if (blob === undefined) return null;
      let at = 0;
      return {
        read(max) {
          const end = Math.min(blob.size, at + max);
          const chunk = new Uint8Array(sync.readAsArrayBuffer(blob.slice(at, end)));
          at = end;
          return chunk;
        },
      };
    },
  };
}

self.onmessage = async ({ data: { kind, source, options, path } }) => {
  try {
    await ready;
    const input = source instanceof Map
      ? layoutInput(source, options.name ?? 'OCI layout')
      : commonInput(source, options.name);
    if (!input) throw new TypeError('readImage: unsupported source');
    const onProgress = (progress) => self.postMessage({ type: 'progress', progress });
    const { report, files } = await read(ImageReader, input, { ...options, onProgress }, kind === 'image');
    const result = kind === 'image' ? { ...report, files } : files[path];
    const transfer = Object.values(files).map((f) => f.content?.buffer).filter(Boolean);
    self.postMessage({ type: 'done', result }, transfer);
  } catch (e) {
    self.postMessage({ type: 'error', message: String(e?.message ?? e) });
  }
};
