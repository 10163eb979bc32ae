/**
 * Files on this machine: what `upload` and `send --file` read (checked and hashed before any
 * byte leaves), and the names `download` writes under (a name from the server is untrusted: it
 * is cleaned into one plain name that stays in the folder it is saved in).
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { CliError, ExitCode, usageError } from './errors.js';

/** A file to upload, as found on disk. */
export interface LocalFile {
  /** As the user gave it. */
  path: string;
  /** The name it is uploaded under: `--name`, else the last part of its path. */
  name: string;
  size: number;
  /** Of its bytes, hex: compared with what the server kept. */
  sha256: string;
}

/** Stats and hashes `file`; a missing, unreadable or special file is a usage error (exit 2). */
export async function inspectLocalFile(file: string, name?: string): Promise<LocalFile> {
  let size: number;
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) throw usageError('not_a_file', `${file} is not a regular file`);
    size = stat.size;
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw usageError('file_unreadable', `cannot read ${file}: ${reason(err)}`);
  }
  const sha256 = (
    await hashFile(file).catch((err: unknown) => {
      throw usageError('file_unreadable', `cannot read ${file}: ${reason(err)}`);
    })
  ).digest('hex');
  return { path: file, name: name ?? path.basename(file), size, sha256 };
}

/** Feeds `file`'s bytes (all, or the first `length`) into `hash` (a new sha256 by default). */
export async function hashFile(
  file: string,
  { hash = createHash('sha256'), length }: { hash?: Hash; length?: number } = {},
): Promise<Hash> {
  if (length === 0) return hash;
  const end = length === undefined ? undefined : length - 1;
  for await (const chunk of createReadStream(file, { end })) hash.update(chunk as Buffer);
  return hash;
}

/**
 * Characters a saved name never keeps (as the server's own cleaning): C0 and C1 controls and
 * DEL, bidi embeddings, overrides, isolates and marks (`gpj.exe` reading as `exe.jpg`), and the
 * invisible characters that let two names look alike. ZWJ and ZWNJ stay (emoji, scripts).
 */
const UNWANTED =
  // eslint-disable-next-line no-control-regex -- removing controls is the point
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/gu;
/** 255 bytes is the limit of common file systems; the rest is room for `.part`. */
const MAX_NAME_BYTES = 250;

/**
 * A name that is safe to create in a folder, from an untrusted one: its last `/` or `\` part,
 * without the characters above, NFC, without dots or spaces at either end (no hidden file, no
 * `..`), at most 250 UTF-8 bytes (the extension kept); `fallback` when nothing is left.
 *
 * @example localFileName('../../.bashrc\u001b[2J', 'file') // 'bashrc[2J'
 */
export function localFileName(untrusted: string, fallback: string): string {
  const text = untrusted.toWellFormed().replace(UNWANTED, '').normalize('NFC');
  const last = (text.split(/[/\\]/).at(-1) ?? '').replace(/^[\s.]+|[\s.]+$/gu, '');
  if (last === '') return fallback;
  return capBytes(last) || fallback;
}

function capBytes(name: string): string {
  if (Buffer.byteLength(name) <= MAX_NAME_BYTES) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && Buffer.byteLength(name.slice(dot)) <= 32 ? name.slice(dot) : '';
  let stem = [...(extension ? name.slice(0, dot) : name)];
  while (stem.length > 0 && Buffer.byteLength(stem.join('') + extension) > MAX_NAME_BYTES) {
    stem = stem.slice(0, -1);
  }
  return stem.length > 0 ? stem.join('') + extension : '';
}

/**
 * `folder/name` for an untrusted `name` (cleaned by {@link localFileName}); refused (exit 4)
 * should it still not land directly in `folder`: a saved file never goes anywhere else.
 */
export function pathInFolder(folder: string, untrusted: string, fallback: string): string {
  const name = localFileName(untrusted, fallback);
  const base = path.resolve(folder);
  const target = path.resolve(base, name);
  if (path.dirname(target) !== base || path.basename(target) !== name) {
    throw new CliError(
      ExitCode.Refused,
      'unsafe_name',
      `the file's name would be saved outside ${base}: give a path with -o`,
    );
  }
  return target;
}

/** The stat of `file` without following a link, or undefined when there is nothing there. */
export async function lstatOrNothing(file: string): Promise<Stats | undefined> {
  try {
    return await fs.lstat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** An error's reason for a message: `ENOENT: no such file…` → `no such file or directory`. */
export function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const message = err instanceof Error ? err.message : String(err);
  if (!e.code || !e.syscall) return message;
  // `ENOENT: no such file or directory, open '/x'`: the path is said elsewhere.
  return message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
}
