/**
 * `FILE_STORE=fs:<absolute folder>`: each object is one file under a folder that every server
 * instance sees (a shared volume). Appends go straight to the end of the file, so what arrived
 * before a cut connection stays there and `size()` tells where to resume.
 *
 * Object `a/b` lives at `<folder>/a/b.bin`: the suffix keeps the file of key `a` apart from the
 * folder that key `a/b` needs, so every valid key has a path of its own.
 *
 * Two appends to the same key at once are the caller's to prevent (the upload's lock): each
 * checks the size before it writes, and both checks can pass.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checkKey, StoreConflictError, type ByteRange, type FileStore } from './file-store.js';

const SUFFIX = '.bin';
/** Tries at creating a file whose folder a concurrent delete keeps removing. */
const OPEN_TRIES = 3;

function isCode(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}

/**
 * The file store: one file per object under `folder`, appended in place.
 *
 * @example
 * const store = new FsStore('/var/lib/msgr/files');
 * await store.open(); // creates the folder when missing
 * await store.append('ab/cdef', 0, request);
 */
export class FsStore implements FileStore {
  readonly kind = 'fs';
  readonly #root: string;

  /** @param folder absolute path of the folder every instance shares. */
  constructor(folder: string) {
    if (!path.isAbsolute(folder)) throw new Error(`fs store folder must be absolute: ${folder}`);
    this.#root = path.resolve(folder);
  }

  /** Creates the folder (and its parents) when missing. */
  async open(): Promise<void> {
    await fsp.mkdir(this.#root, { recursive: true });
  }

  async append(key: string, offset: number, source: Readable): Promise<number> {
    const file = this.#pathOf(key);
    const handle = await this.#openForAppend(key, file, offset);
    let size: number;
    try {
      size = (await handle.stat()).size;
    } catch (error) {
      await handle.close();
      throw error;
    }
    if (size !== offset) {
      await handle.close();
      throw new StoreConflictError(key, offset, size);
    }
    // The stream owns the handle from here and closes it however the pipeline ends; what it
    // wrote before a failing source stays in the file, and the source's error is rethrown.
    const sink = fs.createWriteStream('', { fd: handle });
    await pipeline(source, sink);
    return offset + sink.bytesWritten;
  }

  async size(key: string): Promise<number> {
    try {
      return (await fsp.stat(this.#pathOf(key))).size;
    } catch (error) {
      if (isCode(error, 'ENOENT')) return 0;
      throw error;
    }
  }

  /** Streams the file (or `range` of it); a missing file makes the stream error with ENOENT. */
  read(key: string, range?: ByteRange): Readable {
    return fs.createReadStream(this.#pathOf(key), range ?? {});
  }

  /** Removes the file, then the folders of its key that this leaves empty. */
  async delete(key: string): Promise<void> {
    const file = this.#pathOf(key);
    try {
      await fsp.unlink(file);
    } catch (error) {
      if (!isCode(error, 'ENOENT')) throw error;
    }
    for (let dir = path.dirname(file); dir !== this.#root; dir = path.dirname(dir)) {
      try {
        await fsp.rmdir(dir);
      } catch (error) {
        // Not empty (a sibling key) or already gone: either way the folders above stay.
        if (isCode(error, 'ENOTEMPTY') || isCode(error, 'EEXIST') || isCode(error, 'ENOENT')) {
          return;
        }
        throw error;
      }
    }
  }

  close(): Promise<void> {
    return Promise.resolve(); // nothing is held between calls
  }

  #pathOf(key: string): string {
    checkKey(key);
    return path.join(this.#root, key + SUFFIX);
  }

  /**
   * Opens `file` for appending. Only offset 0 may create it: a resume of a file that is not
   * there is a conflict (size 0), and must not leave an empty file behind.
   */
  async #openForAppend(key: string, file: string, offset: number): Promise<fsp.FileHandle> {
    if (offset !== 0) {
      try {
        return await fsp.open(file, fs.constants.O_WRONLY | fs.constants.O_APPEND);
      } catch (error) {
        if (isCode(error, 'ENOENT')) throw new StoreConflictError(key, offset, 0);
        throw error;
      }
    }
    for (let attempt = 1; ; attempt++) {
      await fsp.mkdir(path.dirname(file), { recursive: true });
      try {
        return await fsp.open(file, 'a');
      } catch (error) {
        // A delete of a sibling removed the folder between mkdir and open: make it again.
        if (!isCode(error, 'ENOENT') || attempt >= OPEN_TRIES) throw error;
      }
    }
  }
}
