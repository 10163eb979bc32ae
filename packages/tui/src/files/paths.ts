/**
 * Paths as people type them in the path prompt (Ctrl+O): `~` for the home folder, relative to
 * the folder the TUI started in, completed with Tab the way a shell does.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ChosenFile } from '../state/types.js';

/** Where `~` and relative paths point. */
export interface PathContext {
  home: string;
  cwd: string;
}

/** What Tab gives: the longer path (when there is one) and every name that matched. */
export interface Completion {
  text?: string;
  /** Names in the folder that match (folders end with `/`), sorted; none when one matched. */
  candidates: string[];
}

export interface FolderEntry {
  name: string;
  isFolder: boolean;
}

/** `~` and `~/…` with the home folder in front; anything else as it is. */
export function expandHome(typed: string, home: string): string {
  if (typed === '~') return home;
  if (typed.startsWith('~/')) return path.join(home, typed.slice(2));
  return typed;
}

/** The absolute path of what was typed. */
export function resolveTyped(typed: string, { home, cwd }: PathContext): string {
  return path.resolve(cwd, expandHome(typed.trim(), home));
}

/** `/home/ann/x` as `~/x`: shorter in a status line. */
export function shortPath(file: string, home: string): string {
  return home !== '' && (file === home || file.startsWith(home + path.sep))
    ? `~${file.slice(home.length)}`
    : file;
}

function commonPrefix(names: string[]): string {
  let prefix = names[0] ?? '';
  for (const name of names) {
    while (!name.startsWith(prefix)) prefix = prefix.slice(0, -1);
  }
  return prefix;
}

/**
 * Completes the last part of `typed` among the `entries` of its folder, as a shell does: one
 * match is filled in (a folder with its `/`), several are filled in as far as they agree and
 * listed. Names starting with `.` only match a part that starts with `.`. Pure.
 *
 * @example completeAmong('~/Doc', [{ name: 'Documents', isFolder: true }]); // { text: '~/Documents/', candidates: [] }
 */
export function completeAmong(typed: string, entries: FolderEntry[]): Completion {
  if (typed === '~') return { text: '~/', candidates: [] };
  const slash = typed.lastIndexOf('/');
  const folder = typed.slice(0, slash + 1);
  const part = typed.slice(slash + 1);
  const isHiddenWanted = part.startsWith('.');
  const matches = entries
    .filter((e) => e.name.startsWith(part) && (isHiddenWanted || !e.name.startsWith('.')))
    .map((e) => (e.isFolder ? `${e.name}/` : e.name))
    .sort();
  if (matches.length === 0) return { candidates: [] };
  if (matches.length === 1) return { text: folder + matches[0], candidates: [] };
  const common = commonPrefix(matches);
  return { ...(common.length > part.length ? { text: folder + common } : {}), candidates: matches };
}

/** Tab: reads the folder `typed` points into and completes its last part. */
export async function completePath(typed: string, context: PathContext): Promise<Completion> {
  if (typed === '~') return completeAmong(typed, []);
  const slash = typed.lastIndexOf('/');
  const folder =
    slash === -1 ? context.cwd : resolveTyped(typed.slice(0, slash + 1) || '/', context);
  const dirents = await fs.readdir(folder, { withFileTypes: true });
  const entries = await Promise.all(
    dirents.map(async (d) => {
      // A link to a folder completes like one.
      const isFolder =
        d.isDirectory() ||
        (d.isSymbolicLink() &&
          ((await fs.stat(path.join(folder, d.name)).catch(() => undefined))?.isDirectory() ??
            false));
      return { name: d.name, isFolder };
    }),
  );
  return completeAmong(typed, entries);
}

/** A reason a path cannot be attached, in words. */
export class PathError extends Error {
  override name = 'PathError';
}

/** Enter: the file at `typed`, if it is a file this user can read. */
export async function chooseFile(typed: string, context: PathContext): Promise<ChosenFile> {
  const file = resolveTyped(typed, context);
  const shown = shortPath(file, context.home);
  let stat;
  try {
    stat = await fs.stat(file);
    await fs.access(file, fs.constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new PathError(`${shown}: no such file`);
    if (code === 'EACCES' || code === 'EPERM')
      throw new PathError(`${shown}: not allowed to read it`);
    throw new PathError(`${shown}: ${(err as Error).message}`, { cause: err });
  }
  if (stat.isDirectory()) throw new PathError(`${shown} is a folder: Tab lists what is in it`);
  if (!stat.isFile()) throw new PathError(`${shown} is not a regular file`);
  return { path: file, name: path.basename(file), size: stat.size };
}
