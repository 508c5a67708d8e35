// The I/O half of `layerkit/image`, shared by Node (node.js) and the Web
// Worker (worker.js): it moves bytes into an `ImageReader` and calls
// progress back. Reading, checking and reporting happen in the wasm core.
//
// An input is either
//   { kind: 'stream', name, total, again, chunks() }  chunks(): AsyncIterable<Uint8Array>
//   { kind: 'layout', name, total, again: true, open(path) }  open: see ImageReader.readLayout
// `again` says whether it can be read a second time (a file, a Blob), which
// `files` reached through a link need.
//
// A host with a faster gzip inflater than the wasm build's, or one that
// works on another thread (Node's zlib), passes `inflate`: big gzip layers
// are then inflated by it (the reader's `hostInflate`) while this thread
// hashes and lists what comes out. `inflate(sink)` starts one layer's
// inflater: `write(bytes)` (a promise that resolves when it may be given
// more), `end()` (resolves once every inflated byte went to
// `sink.data(bytes)`, rejects with the inflater's error), `abort()`.

const CHUNK = 1 << 20;

/** Reads `input`; returns `{ report, files }` (`report` null when not wanted). */
export async function read(ImageReader, input, options = {}, wantReport = true, inflate = null) {
  const { files = [], platform, image, sha256, onProgress, signal } = options;
  const progress = throttled(onProgress, input.total);
  const select = { platform, image, sha256, hostInflate: inflate !== null };
  let reader = new ImageReader(input.name, { ...select, files });
  try {
    const report = await pass(reader, input, progress, signal, inflate);
    const out = {};
    const again = new Set();
    for (const path of files) {
      out[path] = reader.readFile(path);
      if (out[path].content === null) again.add(out[path].source);
    }
    if (again.size > 0) {
      const linked = files.filter((p) => out[p].content === null);
      if (!input.again) {
        throw new Error(`/${linked[0].replace(/^\/+/, '')}: its content is stored at /${out[linked[0]].source} ` +
          `(it is a link), and ${input.name} cannot be read twice: pass a file, a Blob or a path`);
      }
      reader.free();
      reader = new ImageReader(input.name, { ...select, files: [...again] });
      await pass(reader, input, progress, signal, inflate);
      for (const path of linked) out[path] = reader.readFile(path);
    }
    return { report: wantReport ? report : null, files: out };
  } finally {
    reader.free();
  }
}

async function pass(reader, input, progress, signal, inflate) {
  signal?.throwIfAborted();
  if (input.kind === 'layout') {
    let bytes = 0;
    let members = 0;
    reader.readLayout((path) => {
      const file = input.open(path);
      if (file === null) return null;
      members += 1;
      return {
        read(max) {
          signal?.throwIfAborted();
          const chunk = file.read(max);
          bytes += chunk.length;
          progress({ bytes, members, layers: 0, current: path });
          return chunk;
        },
      };
    });
    progress(null);
    return reader.finish();
  }
  let layer = null;
  try {
    for await (const chunk of input.chunks()) {
      signal?.throwIfAborted();
      // Large chunks are cut, so that progress moves and memory stays flat.
      for (let at = 0; at < chunk.length;) {
        const piece = chunk.subarray(at, at + CHUNK);
        const n = reader.push(piece);
        at += n;
        const work = inflate && reader.hostWork();
        if (work) {
          layer ??= hostLayer(reader, inflate);
          if (work.prefix) await layer.write(work.prefix);
          if (work.length > 0) await layer.write(piece.subarray(n - work.length, n));
          if (work.ended) {
            const done = layer;
            layer = null;
            await done.end();
          }
        }
        progress(reader);
      }
    }
  } finally {
    layer?.abort();
  }
  progress(null);
  return reader.finish();
}

/** One layer inflated by the host: what it inflates goes to the reader.
 *  An error of the reader's (a bomb, a failed hasher) ends the read; an
 *  error of the inflater's (corrupt data) makes the layer corrupt, and
 *  reading goes on to hash the rest of its stored bytes. */
function hostLayer(reader, inflate) {
  let fatal = null;
  let failure = null;
  let stopped = false;
  const z = inflate({
    data(bytes) {
      // Bytes still on their way after a stop go nowhere (the reader may
      // be freed by then).
      if (stopped || fatal !== null || failure !== null) return;
      try {
        reader.pushInflated(bytes);
      } catch (e) {
        fatal = e;
        z.abort();
      }
    },
  });
  const failed = (e) => {
    failure ??= String(e?.message ?? e);
    z.abort();
  };
  return {
    async write(bytes) {
      if (fatal === null && failure === null) await z.write(bytes).catch(failed);
      if (fatal !== null) throw fatal;
    },
    async end() {
      if (fatal === null && failure === null) await z.end().catch(failed);
      if (fatal !== null) throw fatal;
      reader.endInflated(failure ?? undefined);
    },
    abort() {
      stopped = true;
      z.abort();
    },
  };
}

/** Calls `onProgress` at most every 50 ms, and once at the end (`null`). */
function throttled(onProgress, total) {
  if (!onProgress) return () => {};
  let last = 0;
  let latest = null;
  return (p) => {
    const now = Date.now();
    if (p !== null) {
      latest = p;
      if (now - last < 50) return;
    } else if (latest === null) {
      return;
    }
    last = now;
    const at = typeof latest.progress === 'function' ? latest.progress() : latest;
    onProgress({ ...at, total: total ?? null });
  };
}

/** A Uint8Array as chunks. */
export async function* bytesChunks(bytes) {
  for (let at = 0; at < bytes.length; at += CHUNK) yield bytes.subarray(at, at + CHUNK);
}

/** A web ReadableStream as chunks (reader API: older engines cannot `for await` it). */
export async function* streamChunks(stream) {
  const r = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await r.read();
      if (done) return;
      yield value;
    }
  } finally {
    r.releaseLock();
  }
}

/** The input for sources every engine has: Blob, Uint8Array, ReadableStream,
 *  AsyncIterable; `undefined` for anything else. */
export function commonInput(source, name) {
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    return { kind: 'stream', name: name ?? source.name ?? 'blob', total: source.size, again: true,
      chunks: () => streamChunks(source.stream()) };
  }
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
    const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
    return { kind: 'stream', name: name ?? 'bytes', total: bytes.length, again: true,
      chunks: () => bytesChunks(bytes) };
  }
  if (typeof ReadableStream !== 'undefined' && source instanceof ReadableStream) {
    return { kind: 'stream', name: name ?? 'stream', total: null, again: false,
      chunks: () => streamChunks(source) };
  }
  if (source && typeof source[Symbol.asyncIterator] === 'function') {
    return { kind: 'stream', name: name ?? 'stream', total: null, again: false,
      chunks: () => source };
  }
  return undefined;
}
