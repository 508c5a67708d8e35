// `layerkit/image` in Node: image tarballs and OCI layout directories from
// a path, a Node stream, a web ReadableStream, a Blob or bytes, read in this
// thread by the `nodejs` build. Types: index.d.ts.

import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { closeSync, createReadStream, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { commonInput, read } from './core.js';

const { ImageReader } = createRequire(import.meta.url)('../nodejs/layerkit.js');

function sizeOf(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) n += sizeOf(p);
    else if (e.isFile()) n += statSync(p).size;
  }
  return n;
}

/** A file of a layout directory, read synchronously (the core asks for
 *  blobs one at a time, in the order the index names them). */
function openIn(dir) {
  return (rel) => {
    const file = path.join(dir, rel);
    let st;
    try {
      st = statSync(file);
    } catch (e) {
      if (e.code === 'ENOENT') return null;
      throw e;
    }
    // Never read a device or FIFO as a blob.
    if (!st.isFile()) throw new Error(`${file}: not a regular file`);
    let fd = openSync(file, 'r');
    return {
      read(max) {
        if (fd === null) return new Uint8Array(0);
        const buf = new Uint8Array(max);
        const n = readSync(fd, buf, 0, max, null);
        if (n === 0) {
          closeSync(fd);
          fd = null;
        }
        return buf.subarray(0, n);
      },
    };
  };
}

function input(source, name) {
  if (source instanceof URL) source = fileURLToPath(source);
  if (typeof source === 'string') {
    const st = statSync(source);
    if (st.isDirectory()) {
      return { kind: 'layout', name: name ?? source, total: sizeOf(source), again: true,
        open: openIn(source) };
    }
    if (!st.isFile()) throw new Error(`${source}: not a regular file or directory`);
    return { kind: 'stream', name: name ?? source, total: st.size, again: true,
      chunks: () => createReadStream(source, { highWaterMark: 1 << 20 }) };
  }
  const common = commonInput(source, name);
  if (common) return common;
  throw new TypeError('readImage: expected a path, a URL, a Blob, a Uint8Array, a ReadableStream or a Node stream');
}

/** sha256 by OpenSSL, several times faster than the wasm build's own;
 *  `sha256: null` in the options keeps the built-in one. */
const openssl = () => createHash('sha256');

const withHasher = (options) => ({ ...options, sha256: options.sha256 === undefined ? openssl : options.sha256 });

/** Inflated bytes waiting for this thread, at most. */
const QUEUED = 16 << 20;

/** A gzip layer inflated by Node's zlib, on libuv's thread pool, while this
 *  thread hashes and lists what it gave before (see core.js). */
function gunzip(sink) {
  const z = createGunzip({ chunkSize: 1 << 20, writableHighWaterMark: 8 << 20 });
  let error = null;
  let queued = 0;
  z.on('error', (e) => {
    error ??= e;
  });
  // Handed over on the next turn, not in the event: zlib starts its next
  // step only once its 'data' listeners return.
  z.on('data', (bytes) => {
    queued += bytes.length;
    if (queued > QUEUED) z.pause();
    setImmediate(() => {
      queued -= bytes.length;
      sink.data(bytes);
      if (queued <= QUEUED && z.isPaused() && !z.destroyed) z.resume();
    });
  });
  // Resolves on `event` (after the 'data' turns queued before it);
  // rejects if the inflater fails or is stopped first.
  const settled = (event) => new Promise((resolve, reject) => {
    if (error) return reject(error);
    const stop = () => {
      z.off(event, done);
      z.off('error', stop);
      z.off('close', stop);
      reject(error ?? new Error('the inflater was stopped'));
    };
    const done = () => {
      z.off('error', stop);
      z.off('close', stop);
      setImmediate(resolve);
    };
    z.once(event, done);
    z.once('error', stop);
    z.once('close', stop);
  });
  return {
    async write(bytes) {
      if (error) throw error;
      if (!z.write(bytes)) await settled('drain');
    },
    async end() {
      if (error) throw error;
      const ended = settled('end');
      z.end();
      await ended;
    },
    abort() {
      z.destroy();
    },
  };
}

/** Reads an image (see index.d.ts). */
export async function readImage(source, options = {}) {
  const { report, files } = await read(ImageReader, input(source, options.name), withHasher(options),
    true, gunzip);
  return { ...report, files };
}

/** Reads one file of an image's merged filesystem (see index.d.ts). */
export async function readFile(source, filePath, options = {}) {
  const { files } = await read(ImageReader, input(source, options.name),
    { ...withHasher(options), files: [filePath] }, false, gunzip);
  return files[filePath];
}
