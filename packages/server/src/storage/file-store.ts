/**
 * Where the bytes of files live (contract v1.3, FILE_STORE): one interface, three stores —
 * `postgres` (the default: in the database every instance shares), `fs:<folder>` and
 * `s3://<bucket>`. A store knows keys and bytes only; which file a key holds, who may read it and
 * how many files share it are the database's business (domain/files.ts).
 *
 * Keys are made by the server (`[A-Za-z0-9/_-]`, at most 128 characters), never from user input,
 * and are never reused once deleted.
 */
import type { Readable } from 'node:stream';

const KEY = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/;
const KEY_MAX = 128;

/** Throws unless `key` is one the server makes: `[A-Za-z0-9/_-]`, ≤128, no empty segment. */
export function checkKey(key: string): void {
  // The pattern admits no `.`, so no `..` segment and no way out of the folder either.
  if (key.length > KEY_MAX || !KEY.test(key)) {
    throw new Error(`invalid store key ${JSON.stringify(key.slice(0, KEY_MAX + 1))}`);
  }
}

/** Bytes `start` to `end` of an object, both included (as in an HTTP `Range`). */
export interface ByteRange {
  start: number;
  end: number;
}

export interface FileStore {
  /** `postgres`, `fs` or `s3`: for logs and metrics. */
  readonly kind: string;
  /** Makes the store ready (creates its folder or checks its bucket); once, at start. */
  open(): Promise<void>;
  /**
   * Appends `source` to the object `key` (created when absent), whose size must be `offset`
   * (else a {@link StoreConflictError}, writing nothing): a resumed upload continues where the
   * store says it stopped. Resolves with the object's size afterwards. Streams: never holds more
   * than a bounded buffer (a few MiB) of `source` in memory. When `source` fails midway, keeps
   * what the store can of what had arrived (whole chunks at least; the S3 store may keep none of
   * that call) and rejects with the source's error, so {@link size} then tells where to resume.
   */
  append(key: string, offset: number, source: Readable): Promise<number>;
  /** The object's size in bytes: 0 when it does not exist. */
  size(key: string): Promise<number>;
  /**
   * The object's bytes (or `range` of them, which the caller has checked against its size),
   * streamed. A missing object errors or reads as empty (the postgres store cannot tell it from
   * a 0-byte one); callers read only keys the database says exist.
   */
  read(key: string, range?: ByteRange): Readable;
  /** Removes the object; removing an absent one is no error. */
  delete(key: string): Promise<void>;
  /** Releases connections or clients; once, at shutdown. */
  close(): Promise<void>;
}

/** `append` at an offset that is not the object's size (a stale or raced resume). */
export class StoreConflictError extends Error {
  constructor(
    readonly key: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`${key} holds ${actual} bytes, not ${expected}`);
  }
}
