/**
 * A position in the server's log kept in a file (`watch --position-file`, `sync
 * --position-file`): read at the start, saved after every event printed. The event is printed
 * first and saved after, so a run killed in between prints that one event again next time, and
 * never skips one.
 *
 * Saving is atomic and durable, so a crash or a power cut leaves either the old position or the
 * new one, never a torn file: the text goes to `<file>.tmp` in the same folder, is fsynced, is
 * renamed over the file, and the folder is fsynced so that the rename itself survives.
 * (@msgr/session's config writer renames without fsync: fine for tokens, which a login
 * restores, not for this.)
 *
 * One process per file: `<file>.lock` names its holder (pid and boot id), so two runs of a cron
 * job that overlap cannot both print the same events. A lock whose holder is gone (killed, or
 * from before a reboot) is taken over.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { CliError, ExitCode } from './errors.js';
import { isPosition, POSITION_FORMAT } from './parse.js';

/** What to do about a position file whose position is not one, or no longer one. */
export const FILE_FIX = 'empty or delete the file to start again from now';

export class PositionFile {
  /** Saves run one after the other, in the order asked: the file never goes backwards. */
  private saving: Promise<void> = Promise.resolve();
  private saved: string | undefined;

  private constructor(
    /** The file, as given. */
    readonly path: string,
    /** What it held at the start: undefined when it did not exist or was empty. */
    readonly initial: string | undefined,
  ) {
    this.saved = initial;
  }

  /**
   * Takes the file's lock and reads the position in it. A missing or empty file holds none; a
   * file that holds something else, or cannot be used, is a usage error (exit 2); one in use by
   * another msgr is refused (exit 4).
   */
  static async open(file: string): Promise<PositionFile> {
    await takeLock(file);
    try {
      return new PositionFile(file, await readPosition(file));
    } catch (err) {
      await releaseLock(file);
      throw err;
    }
  }

  /**
   * Saves `position` (atomically and durably), after any save asked for before; nothing when
   * it is the one saved last. A failure is an error of this save and of every later one.
   */
  save(position: string): Promise<void> {
    this.saving = this.saving.then(async () => {
      if (position === this.saved) return;
      try {
        await writeDurably(this.path, `${position}\n`);
      } catch (err) {
        throw new CliError(
          ExitCode.Unexpected,
          'position_file_unwritable',
          `cannot save the position in ${this.path} (${reason(err)}): the next run may print ` +
            'again what this one printed since its last save',
          { cause: err },
        );
      }
      this.saved = position;
    });
    return this.saving;
  }

  /** Waits for the saves under way, then gives the file up (removes the lock). */
  async close(): Promise<void> {
    try {
      await this.saving;
    } finally {
      await releaseLock(this.path);
    }
  }
}

async function readPosition(file: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unusable(file, err);
  }
  const position = text.trim();
  if (position === '') return undefined;
  if (!isPosition(position)) {
    const shown = JSON.stringify(position.length > 40 ? `${position.slice(0, 40)}…` : position);
    throw new CliError(
      ExitCode.Usage,
      'position_invalid',
      `${file} does not hold a position (${shown}; a position is ${POSITION_FORMAT}): ` + FILE_FIX,
    );
  }
  return position;
}

async function writeDurably(file: string, text: string): Promise<void> {
  // One temp name is enough: the lock keeps other msgr processes away from this file.
  const temp = `${file}.tmp`;
  const handle = await fs.open(temp, 'w', 0o644);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temp, file);
  await syncFolder(path.dirname(file));
}

/** fsync of a folder: makes a rename in it durable (POSIX; Windows cannot open a folder so). */
export async function syncFolder(folder: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(folder, 'r');
    await handle.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!['EISDIR', 'EPERM', 'EACCES', 'EINVAL', 'EBADF'].includes(code ?? '')) throw err;
  } finally {
    await handle?.close();
  }
}

const lockOf = (file: string) => `${file}.lock`;

/**
 * Creates `<file>.lock` holding `<pid> <boot id>`, complete from its first moment (written
 * aside, then linked into place, which fails when the lock exists). A lock whose holder is not
 * running is removed and taken. (Two processes finding the same dead holder's lock at the same
 * moment may both take it: that takes a crash and a tie.)
 */
async function takeLock(file: string): Promise<void> {
  const lock = lockOf(file);
  const mine = `${lock}.${process.pid}`;
  try {
    await fs.writeFile(mine, `${process.pid} ${await bootId()}\n`);
  } catch (err) {
    throw unusable(file, err);
  }
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await fs.link(mine, lock);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw unusable(file, err);
      }
      const holder = await lockHolder(lock);
      if (holder !== undefined) {
        throw new CliError(
          ExitCode.Refused,
          'position_file_in_use',
          `${file} is in use by another msgr (process ${holder}): one watch or sync at a time ` +
            `per position file (if none is running, delete ${lock})`,
        );
      }
      await fs.rm(lock, { force: true });
    }
    throw unusable(file, new Error(`could not take ${lock}`));
  } finally {
    await fs.rm(mine, { force: true });
  }
}

async function releaseLock(file: string): Promise<void> {
  await fs.rm(lockOf(file), { force: true });
}

/** The pid holding `lock` while it runs; undefined when the lock is stale (or just went). */
async function lockHolder(lock: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await fs.readFile(lock, 'utf8');
  } catch {
    return undefined;
  }
  const [pidText = '', boot = ''] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  // Before a reboot, or ourselves (a container may give every run the same pid): not running.
  const thisBoot = await bootId();
  if ((boot !== '' && thisBoot !== '' && boot !== thisBoot) || pid === process.pid) {
    return undefined;
  }
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/** This boot of the machine (Linux), so a lock from before a reboot is known stale; else ''. */
async function bootId(): Promise<string> {
  try {
    return (await fs.readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
  } catch {
    return '';
  }
}

function unusable(file: string, err: unknown): CliError {
  return new CliError(
    ExitCode.Usage,
    'position_file_unusable',
    `cannot use ${file} as the position file: ${describe(file, err)}`,
    { cause: err },
  );
}

/** What went wrong with the file, in words (the errno's message names our temp files). */
function describe(file: string, err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return `there is no folder ${path.dirname(file)}`;
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return 'permission denied (msgr writes the file and <file>.lock beside it)';
    case 'EISDIR':
      return 'it is a folder';
  }
  return reason(err);
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
