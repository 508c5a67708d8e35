// `layerkit/image`: image tarballs and OCI layouts, read in one streaming
// pass. In Node the work runs in the calling thread; in browsers each read
// runs in its own Web Worker. Nothing is uploaded anywhere.

import type {
  ImageFile,
  ImageProgress,
  ImageReaderOptions,
  ImageReport,
} from '../web/layerkit.js';

export type {
  Analysis,
  Change,
  ContainerConfig,
  Descriptor,
  EntryKind,
  HealthConfig,
  HistoryEntry,
  ImageFile,
  ImageInspect,
  ImageManifest,
  ImageProgress,
  ImageReaderOptions,
  ImageReport,
  ImageSummary,
  Inefficiency,
  InspectLayer,
  LayerSummary,
  MergedEntry,
  Platform,
} from '../web/layerkit.js';

/** Progress of a read. */
export interface ReadProgress extends ImageProgress {
  /** The input's size when known (a file, a Blob, a folder), else `null`.
   *  For a layout folder, the whole folder: blobs of other platforms are
   *  skipped, so reading may end before `bytes` reaches it. */
  total: number | null;
}

export interface ReadImageOptions extends Omit<ImageReaderOptions, 'sha256'> {
  /** Node only: makes the sha256 hashers every digest is checked with
   *  (see `ImageReaderOptions.sha256`). Default in Node:
   *  `() => crypto.createHash('sha256')` (OpenSSL, several times faster than
   *  the built-in wasm code); `null` keeps the built-in one. Browsers always
   *  use the built-in one (Web Crypto cannot hash a stream piece by piece):
   *  there, passing a function is an error. */
  sha256?: ImageReaderOptions['sha256'] | null;
  /** Names the input in error messages (default: the file name or path). */
  name?: string;
  /** Called as reading goes (at most every 50 ms), and once at the end. */
  onProgress?: (progress: ReadProgress) => void;
  /** Stops reading (in browsers, the worker is terminated). */
  signal?: AbortSignal;
}

/** A file of the image with its bytes. */
export interface ImageFileContent extends ImageFile {
  content: Uint8Array;
}

/** What `readImage` resolves to: the reports, and the `files` asked for. */
export interface ImageResult extends ImageReport {
  /** By the path as given in `options.files`. */
  files: Record<string, ImageFileContent>;
}

/** An OCI image layout folder: its files by path from the layout's root
 *  (`index.json`, `blobs/sha256/<hex>`), or the files of a folder picked with
 *  `<input type=file webkitdirectory>` (their `webkitRelativePath` is used),
 *  or a `FileSystemDirectoryHandle` (`showDirectoryPicker()`). Browsers. */
export type LayoutSource = Map<string, Blob> | FileList | File[] | FileSystemDirectoryHandle;

/**
 * What can be read:
 * - a docker-archive (`docker save`, any Docker version), an oci-archive, or
 *   either gzip'd or zstd'd as a whole: as a `Blob`/`File`, a `Uint8Array`,
 *   a `ReadableStream`, or (Node) an async iterable such as a Node stream;
 * - (Node) a path or `file:` URL to such a file, or to an OCI layout directory;
 * - (browsers) an OCI layout folder, see `LayoutSource`.
 *
 * Streams are read once: `files` reached through a link elsewhere need a
 * source that can be read again (a path, a `Blob`, bytes, a folder).
 */
export type ImageSource =
  | string
  | URL
  | Blob
  | Uint8Array
  | ArrayBuffer
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | LayoutSource;

/**
 * Reads an image in one pass: every digest checked, every layer listed.
 * Resolves to what `layerkit inspect`, `history` and `tree` report, with
 * the content of `options.files` (symlinks followed inside the image).
 * Rejects with the core's message for a broken archive, a missing or
 * unknown image, or a requested file that is not there.
 */
export function readImage(source: ImageSource, options?: ReadImageOptions): Promise<ImageResult>;

/**
 * One file of the image's merged filesystem (`layerkit cat`), with its
 * metadata; symlinks are followed inside the image.
 */
export function readFile(
  source: ImageSource,
  path: string,
  options?: Omit<ReadImageOptions, 'files'>,
): Promise<ImageFileContent>;
