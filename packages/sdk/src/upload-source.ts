/**
 * What an upload reads, as tus-js-client's `FileSource`: a size and `slice(start, end)`, whose
 * `value` is a request body the platform's tus HTTP stack sends (a Node `Readable` or bytes in
 * Node, a `Blob` or bytes in a browser). No source is ever read whole into memory: paths and
 * Blobs are read from where they are as the request goes out, streams `chunkSize` at a time.
 */
import { MessengerError } from './errors.js';
import type { UploadOptions, UploadSource } from './options.js';

/** tus-js-client's FileSource. */
export interface Source {
  size: number;
  slice(start: number, end: number): Promise<{ value: unknown; done: boolean }>;
  close(): void;
}

/** A source ready to upload, with what the upload says about it. */
export interface PreparedSource {
  source: Source;
  size: number;
  name: string;
  contentType: string | undefined;
  /** The most bytes one request carries. */
  chunkSize: number;
}

/** Reading the caller's file or stream failed: never retried, unlike the network. */
export class SourceError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SourceError';
  }
}

const STREAM_CHUNK_SIZE = 8 * 1024 * 1024;

/** The few Node APIs a path or a Blob needs in Node (the SDK's types are the browser's). */
interface NodeApis {
  stat(path: string): Promise<{ size: number; isFile(): boolean }>;
  createReadStream(path: string, options: { start: number; end: number }): NodeReadable;
  readableFromWeb(stream: ReadableStream<Uint8Array>): NodeReadable;
  basename(path: string): string;
}

interface NodeReadable {
  size?: number;
  on(event: 'error', listener: (err: Error) => void): unknown;
  destroy(): void;
}

const isNode =
  typeof (globalThis as { process?: { versions?: { node?: unknown } } }).process?.versions?.node ===
  'string';

let nodeApis: Promise<NodeApis> | undefined;

function loadNodeApis(): Promise<NodeApis> {
  // Not `import('node:fs')`: browser bundlers would try to resolve it (webpack fails on the
  // `node:` scheme) for code that only ever runs in Node.
  const load = (name: string) => import(/* webpackIgnore: true */ /* @vite-ignore */ name);
  nodeApis ??= Promise.all([load('node:fs'), load('node:stream'), load('node:path')]).then(
    ([fs, stream, path]) => {
      const f = fs as {
        promises: { stat: NodeApis['stat'] };
        createReadStream: NodeApis['createReadStream'];
      };
      const s = stream as {
        Readable: { fromWeb(stream: ReadableStream<Uint8Array>): NodeReadable };
      };
      const p = path as { basename(path: string): string };
      return {
        stat: (file) => f.promises.stat(file),
        createReadStream: (file, options) => f.createReadStream(file, options),
        readableFromWeb: (web) => s.Readable.fromWeb(web),
        basename: (file) => p.basename(file),
      };
    },
  );
  return nodeApis;
}

function invalid(detail: string, cause?: unknown): MessengerError {
  return new MessengerError(0, 'invalid_argument', detail, { cause });
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  );
}

/** Bytes with the `size` the Node tus stack reads for Content-Length. */
function sized<T extends object>(value: T, size: number): T & { size: number } {
  return Object.assign(value, { size });
}

/** Checks `input` and `options` and answers the source, its size, name and type. */
export async function prepareSource(
  input: UploadSource,
  options: UploadOptions,
): Promise<PreparedSource> {
  const chunkSize = options.chunkSize ?? Number.POSITIVE_INFINITY;
  if (!(chunkSize > 0)) throw invalid(`chunkSize must be positive, not ${String(chunkSize)}`);
  if (options.size !== undefined && (!Number.isSafeInteger(options.size) || options.size < 0)) {
    throw invalid(`size must be a whole number of bytes, not ${String(options.size)}`);
  }
  const named = (fallback: string | undefined) => options.name ?? (fallback || 'file');
  if (typeof input === 'string') {
    if (!isNode) throw invalid('a file path can only be uploaded in Node: pass a Blob');
    const node = await loadNodeApis();
    const source = await pathSource(node, input);
    checkSize(options.size, source.size);
    return {
      source,
      size: source.size,
      name: named(node.basename(input)),
      contentType: options.contentType,
      chunkSize,
    };
  }
  if (typeof Blob !== 'undefined' && input instanceof Blob) {
    checkSize(options.size, input.size);
    const source = isNode ? blobSourceForNode(await loadNodeApis(), input) : blobSource(input);
    return {
      source,
      size: input.size,
      name: named((input as { name?: string }).name),
      contentType: options.contentType ?? (input.type || undefined),
      chunkSize,
    };
  }
  if (input instanceof Uint8Array) {
    checkSize(options.size, input.byteLength);
    return {
      source: bytesSource(input),
      size: input.byteLength,
      name: named(undefined),
      contentType: options.contentType,
      chunkSize,
    };
  }
  if (isAsyncIterable(input)) {
    if (options.size === undefined) {
      throw invalid('uploading a stream needs options.size (its length in bytes)');
    }
    // An fs.ReadStream knows its file's name.
    const path = (input as { path?: unknown }).path;
    const fallback =
      typeof path === 'string' && isNode ? (await loadNodeApis()).basename(path) : '';
    return {
      source: new IterableSource(input, options.size),
      size: options.size,
      name: named(fallback),
      contentType: options.contentType,
      chunkSize: options.chunkSize ?? STREAM_CHUNK_SIZE,
    };
  }
  throw invalid('upload() takes a file path, a Blob, a Uint8Array or a stream');
}

function checkSize(declared: number | undefined, actual: number): void {
  if (declared !== undefined && declared !== actual) {
    throw invalid(`options.size is ${declared} but the source holds ${actual} bytes`);
  }
}

async function pathSource(node: NodeApis, path: string): Promise<Source> {
  let stat: { size: number; isFile(): boolean };
  try {
    stat = await node.stat(path);
  } catch (err) {
    throw invalid(`cannot read ${path}: ${(err as Error).message}`, err);
  }
  if (!stat.isFile()) throw invalid(`not a file: ${path}`);
  const size = stat.size;
  return {
    size,
    slice: (start, end) => {
      // `end` is inclusive for createReadStream; an empty slice is never asked for.
      const stream = node.createReadStream(path, { start, end: end - 1 });
      return Promise.resolve({ value: sized(stream, end - start), done: end >= size });
    },
    close: () => undefined,
  };
}

function blobSource(blob: Blob): Source {
  return {
    size: blob.size,
    slice: (start, end) =>
      Promise.resolve({ value: blob.slice(start, end), done: end >= blob.size }),
    close: () => undefined,
  };
}

/** Node's tus stack sends Readables and bytes, not Blobs: a Blob's slice is streamed. */
function blobSourceForNode(node: NodeApis, blob: Blob): Source {
  return {
    size: blob.size,
    slice: (start, end) => {
      const stream = node.readableFromWeb(blob.slice(start, end).stream());
      return Promise.resolve({ value: sized(stream, end - start), done: end >= blob.size });
    },
    close: () => undefined,
  };
}

function bytesSource(bytes: Uint8Array): Source {
  return {
    size: bytes.byteLength,
    slice: (start, end) =>
      Promise.resolve({
        value: sized(bytes.subarray(start, end), Math.min(end, bytes.byteLength) - start),
        done: end >= bytes.byteLength,
      }),
    close: () => undefined,
  };
}

/**
 * A stream read forward only, keeping the chunks of the last slice: a request cut midway
 * resumes at the server's offset, which is never before that slice (the server keeps every
 * byte of the requests that completed), so nothing earlier is needed again.
 */
class IterableSource implements Source {
  private readonly iterator: AsyncIterator<unknown>;
  /** Chunks read and still needed, from `keptFrom`. */
  private kept: Uint8Array[] = [];
  private keptFrom = 0;
  private keptLength = 0;
  private isEnded = false;

  constructor(
    stream: AsyncIterable<unknown>,
    readonly size: number,
  ) {
    this.iterator = stream[Symbol.asyncIterator]();
  }

  async slice(start: number, end: number): Promise<{ value: unknown; done: boolean }> {
    end = Math.min(end, this.size);
    if (start < this.keptFrom) {
      throw new SourceError(
        `the stream cannot go back to byte ${start} (it is at ${this.keptFrom})`,
      );
    }
    this.drop(start);
    while (this.keptFrom + this.keptLength < end && !this.isEnded) await this.readChunk();
    const available = this.keptFrom + this.keptLength - start;
    if (available < end - start) {
      throw new SourceError(
        `the stream ended after ${start + Math.max(available, 0)} bytes, but options.size is ${this.size}`,
      );
    }
    return { value: sized(this.copy(start, end), end - start), done: end >= this.size };
  }

  close(): void {
    // Ends a Node Readable too (its iterator destroys it).
    void this.iterator.return?.()?.catch(() => undefined);
  }

  private async readChunk(): Promise<void> {
    let next: IteratorResult<unknown>;
    try {
      next = await this.iterator.next();
    } catch (err) {
      throw new SourceError(`reading the stream failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (next.done) {
      this.isEnded = true;
      return;
    }
    if (!(next.value instanceof Uint8Array)) {
      throw new SourceError('the stream must yield bytes (Uint8Array), not text: set no encoding');
    }
    this.kept.push(next.value);
    this.keptLength += next.value.byteLength;
  }

  /** Forgets the chunks that end at or before `start`. */
  private drop(start: number): void {
    while (this.kept.length > 0 && this.keptFrom + this.kept[0]!.byteLength <= start) {
      const chunk = this.kept.shift()!;
      this.keptFrom += chunk.byteLength;
      this.keptLength -= chunk.byteLength;
    }
  }

  private copy(start: number, end: number): Uint8Array {
    const out = new Uint8Array(end - start);
    let at = this.keptFrom;
    let written = 0;
    for (const chunk of this.kept) {
      const from = Math.max(start - at, 0);
      const to = Math.min(end - at, chunk.byteLength);
      if (to > from) {
        out.set(chunk.subarray(from, to), written);
        written += to - from;
      }
      at += chunk.byteLength;
      if (at >= end) break;
    }
    return out;
  }
}
