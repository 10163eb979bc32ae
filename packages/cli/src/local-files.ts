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
import { safeFileName } from '@msgr/safe-text';

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
 * `folder/name` for an untrusted `name` (cleaned by `safeFileName`); refused (exit 4)
 * should it still not land directly in `folder`: a saved file never goes anywhere else.
 */
export function pathInFolder(folder: string, untrusted: string, fallback: string): string {
  const name = safeFileName(untrusted, { fallback });
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
