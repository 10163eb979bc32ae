/**
 * Saving a message's file on this machine: into `$MSGR_DOWNLOAD_DIR`, else `~/Downloads`, else
 * the folder the TUI started in; under a cleaned name; never over a file that is there. The
 * bytes go to a hidden temporary file first and take their name only once they are all there
 * and their sha256 is the one the server gave, so a name never holds a cut or corrupt file.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Download } from '@msgr/sdk';
import { safeFileName } from '@msgr/safe-text';
import { expandHome, type PathContext } from './paths.js';

/** Bytes of a cleaned name at most (room left for ` (99)` before the extension). */
const MAX_NAME_BYTES = 200;
/** How many ` (n)` names are tried before giving up. */
const MAX_TRIES = 1000;

/**
 * A name from a server (untrusted) made into one file name (`safeFileName`: its last part, no
 * control or bidi characters, no leading dots, at most 200 bytes with its extension kept);
 * `download` when nothing is left.
 */
export function cleanFileName(name: string): string {
  return safeFileName(name, { fallback: 'download', maxBytes: MAX_NAME_BYTES });
}

/** `report (2).pdf` for the second try, and so on. */
function numbered(name: string, n: number): string {
  if (n === 0) return name;
  const ext = path.extname(name);
  return `${name.slice(0, name.length - ext.length)} (${n})${ext}`;
}

async function isFolder(folder: string): Promise<boolean> {
  return (await fs.stat(folder).catch(() => undefined))?.isDirectory() ?? false;
}

/**
 * Where saved files go: `configured` (`$MSGR_DOWNLOAD_DIR`, `~` allowed; made if missing),
 * else `~/Downloads` when it exists, else the folder the TUI started in.
 */
export async function downloadFolder(
  configured: string | undefined,
  { home, cwd }: PathContext,
): Promise<string> {
  if (configured) {
    const folder = path.resolve(cwd, expandHome(configured, home));
    await fs.mkdir(folder, { recursive: true });
    return folder;
  }
  const downloads = path.join(home, 'Downloads');
  return (await isFolder(downloads)) ? downloads : cwd;
}

export interface SaveOptions {
  /** Called as bytes arrive: `received` of `total` (-1: unknown). */
  onProgress?: (received: number, total: number) => void;
  signal?: AbortSignal;
}

/** The bytes did not arrive as the server described them. */
export class SaveError extends Error {
  override name = 'SaveError';
}

/**
 * Writes `download`'s bytes into `folder` as `name`, or `name (1)`, `name (2)`… when that is
 * taken, and resolves to the path. Nothing is overwritten: the finished temporary file is
 * hard-linked to the name, which fails when anything (a file, a link) is there already.
 */
export async function saveDownload(
  download: Download,
  folder: string,
  name: string,
  { onProgress, signal }: SaveOptions = {},
): Promise<string> {
  const temp = path.join(folder, `.msgr-${randomUUID()}.part`);
  const hash = createHash('sha256');
  let received = 0;
  const handle = await fs.open(temp, 'wx');
  try {
    try {
      for await (const chunk of download.body) {
        signal?.throwIfAborted();
        await handle.write(chunk);
        hash.update(chunk);
        received += chunk.length;
        onProgress?.(received, download.totalSize);
      }
    } finally {
      await handle.close();
    }
    if (download.size >= 0 && received !== download.size) {
      throw new SaveError(`the download stopped at ${received} of ${download.size} bytes`);
    }
    if (download.sha256 !== '' && hash.digest('hex') !== download.sha256.toLowerCase()) {
      throw new SaveError('the bytes that arrived are not the file (sha256 differs)');
    }
    for (let n = 0; n < MAX_TRIES; n++) {
      const target = path.join(folder, numbered(name, n));
      try {
        await link(temp, target);
        return target;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    throw new SaveError(`${name} and ${MAX_TRIES} numbered names are all taken in ${folder}`);
  } finally {
    await fs.rm(temp, { force: true });
  }
}

/** A new name for `from`, never replacing one; a copy where the file system has no links. */
async function link(from: string, to: string): Promise<void> {
  try {
    await fs.link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV') throw err;
    await fs.copyFile(from, to, fs.constants.COPYFILE_EXCL);
  }
}
