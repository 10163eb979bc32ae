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
import { expandHome, type PathContext } from './paths.js';

/** Bytes of a cleaned name at most (room left for ` (99)` before the extension). */
const MAX_NAME_BYTES = 200;
/** How many ` (n)` names are tried before giving up. */
const MAX_TRIES = 1000;

/** Windows' reserved device names: harmless here, a trap when the folder is shared. */
const RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i;

function cutToBytes(text: string, max: number): string {
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const size = Buffer.byteLength(ch);
    if (bytes + size > max) break;
    out += ch;
    bytes += size;
  }
  return out;
}

/**
 * A name from a server (untrusted) made into one file name: its last part (after any `/` or
 * `\`), no control or bidi characters (a name that reads `exe.pdf` but is `fdp.exe`), none of
 * `:*?"<>|`, no leading dots (no hidden files, no `..`), no trailing dots or spaces, at most
 * 200 bytes with its extension kept; `download` when nothing is left.
 *
 * @example cleanFileName('../../.bashrc'); // 'bashrc'
 * @example cleanFileName('invoice\u202Efdp.exe'); // 'invoicefdp.exe'
 */
export function cleanFileName(name: string): string {
  let clean = name
    .normalize('NFC')
    .replace(/^.*[/\\]/s, '')
    // eslint-disable-next-line no-control-regex -- removing controls is the point
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '')
    .replace(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '')
    .replace(/[/\\:*?"<>|]/g, '_')
    .trim()
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '');
  if (Buffer.byteLength(clean) > MAX_NAME_BYTES) {
    const ext = path.extname(clean);
    const keep = ext.length > 0 && Buffer.byteLength(ext) <= 16 ? ext : '';
    clean =
      cutToBytes(
        clean.slice(0, clean.length - keep.length),
        MAX_NAME_BYTES - Buffer.byteLength(keep),
      ).trimEnd() + keep;
  }
  if (RESERVED.test(clean)) clean = `_${clean}`;
  return clean === '' ? 'download' : clean;
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
