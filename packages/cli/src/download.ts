/**
 * `msgr download`'s mechanics. The bytes go to `<target>.part` first; only once the whole file
 * is there and its sha256 is the one the server gave for it does it take the target's name. So
 * a cut run (Ctrl-C, a lost connection, a crash) leaves `.part`, the next run asks for the rest
 * of the file (a range from the size of `.part`), and a name never holds bytes that were not
 * checked. A `.part` that turns out wrong (another file's, or bytes that changed on the way) is
 * deleted: nothing misleading stays behind.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { constants, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { FileObject } from '@msgr/sdk';
import type { Session } from './client.js';
import { CliError, ExitCode } from './errors.js';
import { humanSize } from '@msgr/safe-text';
import type { OutStream } from './io.js';
import { hashFile, lstatOrNothing, pathInFolder, reason } from './local-files.js';
import { syncFolder } from './position-file.js';
import { Progress } from './progress.js';

export interface SaveOptions {
  /** `-o`: a file, or a folder to save the file in under its own name. Default: the current folder. */
  output?: string | undefined;
  /** Replace a file that exists and is not this one. */
  isForced?: boolean;
  /** No progress bar. */
  isQuiet?: boolean;
}

/** What `download` did. */
export interface Saved {
  /** Absolute. */
  path: string;
  file: FileObject;
  /** Bytes that were already there (a `.part` of an earlier run, or the whole file). */
  resumedFrom: number;
  /** Bytes fetched by this run. */
  downloadedBytes: number;
  /** The target held the file already (nothing was written). */
  isAlreadyThere: boolean;
}

/** Downloads file `fileId` to a path (see {@link SaveOptions}); resumes a `.part` left behind. */
export async function saveFile(
  s: Session,
  fileId: string,
  { output, isForced = false, isQuiet = false }: SaveOptions,
): Promise<Saved> {
  const file = await s.client.fileInfo(fileId, { signal: s.signal });
  const target = await targetPath(output, file);
  const shown = shownPath(target);
  const existing = await lstatOrNothing(target);
  if (existing?.isDirectory()) {
    throw new CliError(
      ExitCode.Refused,
      'is_a_folder',
      `${shown} is a folder: choose a file with -o`,
    );
  }
  if (existing && (await holdsFile(target, existing, file))) {
    return { path: target, file, resumedFrom: file.size, downloadedBytes: 0, isAlreadyThere: true };
  }
  if (existing && !isForced) throw exists(shown);

  const part = `${target}.part`;
  const partStat = await lstatOrNothing(part);
  if (partStat && !partStat.isFile()) {
    throw new CliError(
      ExitCode.Refused,
      'part_not_a_file',
      `${shownPath(part)} is in the way and is not a file: move it away`,
    );
  }
  // A `.part` longer than the file cannot be the start of it.
  let offset = partStat && partStat.size <= file.size ? partStat.size : 0;
  let hash = offset > 0 ? await hashFile(part, { length: offset }) : createHash('sha256');
  const resumedFrom = offset;
  let downloadedBytes = 0;

  // (No `.part` at all: even an empty file is fetched, so that there is one to rename.)
  if (offset < file.size || !partStat) {
    const idle = new IdleWatch(s.signal);
    const got = await s.client.download(file.id, {
      ...(offset > 0 ? { start: offset } : {}),
      signal: idle.signal,
    });
    if (offset > 0 && got.status !== 206) {
      // The whole file came instead of the rest: start over.
      offset = 0;
      hash = createHash('sha256');
    }
    const flags =
      constants.O_WRONLY |
      constants.O_CREAT |
      constants.O_NOFOLLOW |
      (offset > 0 ? constants.O_APPEND : constants.O_TRUNC);
    const handle = await fs.open(part, flags, 0o666).catch((err: unknown) => {
      throw cannotWrite(part, err);
    });
    const progress = progressFor(s, file, isQuiet);
    let written = offset;
    const chunks: AsyncIterator<Uint8Array> = Readable.fromWeb(got.body)[Symbol.asyncIterator]();
    try {
      for (;;) {
        let next: IteratorResult<Uint8Array>;
        try {
          idle.touch();
          next = await chunks.next();
        } catch (err) {
          // The network's side broke: what came is in `.part`, ready to be resumed.
          if (s.signal?.aborted) throw err;
          throw stopped(written, file.size, err);
        }
        if (next.done) break;
        hash.update(next.value);
        await writeAll(handle, next.value).catch((err: unknown) => {
          throw cannotWrite(part, err);
        });
        written += next.value.byteLength;
        progress.update(written);
      }
      await handle.sync().catch((err: unknown) => {
        throw cannotWrite(part, err);
      });
    } finally {
      idle.stop();
      progress.done();
      // A failed write leaves the answer unread: let its connection go.
      await chunks.return?.().catch(() => undefined);
      await handle.close();
    }
    downloadedBytes = written - offset;
    if (written < file.size) throw stopped(written, file.size);
  }

  const sha256 = hash.digest('hex');
  if (sha256 !== file.sha256) {
    await fs.rm(part, { force: true });
    const what =
      resumedFrom > 0
        ? 'the resumed download (was its .part the start of this file?)'
        : 'the download';
    throw mismatch(
      `${what} does not match the file's sha256 (${file.sha256}, got ${sha256}): nothing was ` +
        'kept; run it again to download it from the start',
    );
  }
  await place(part, target, { isForced });
  return { path: target, file, resumedFrom, downloadedBytes, isAlreadyThere: false };
}

/**
 * Downloads file `fileId` to `stdout`, checking the sha256 at the end. What was written cannot
 * be taken back: a mismatch is an error (and a non-zero exit) after the bytes.
 */
export async function writeFileTo(
  s: Session,
  fileId: string,
  stdout: OutStream,
  { isQuiet = false }: { isQuiet?: boolean } = {},
): Promise<FileObject> {
  const file = await s.client.fileInfo(fileId, { signal: s.signal });
  const idle = new IdleWatch(s.signal);
  const got = await s.client.download(fileId, { signal: idle.signal });
  const hash = createHash('sha256');
  const progress = progressFor(s, file, isQuiet);
  let written = 0;
  try {
    idle.touch();
    for await (const chunk of Readable.fromWeb(got.body)) {
      idle.touch();
      const bytes = chunk as Uint8Array;
      hash.update(bytes);
      written += bytes.byteLength;
      // A pipe to a slower reader: wait until it took what it has before writing more.
      if (stdout.write(bytes) === false && 'once' in stdout) await once(stdout as never, 'drain');
      progress.update(written);
    }
  } catch (err) {
    if (s.signal?.aborted) throw err;
    throw stopped(written, file.size, err, TO_STDOUT_AGAIN);
  } finally {
    idle.stop();
    progress.done();
  }
  if (written < file.size) throw stopped(written, file.size, undefined, TO_STDOUT_AGAIN);
  const sha256 = hash.digest('hex');
  if (written !== file.size || sha256 !== file.sha256) {
    throw mismatch(
      `the bytes written do not match the file's sha256 (${file.sha256}, got ${sha256}): ` +
        'do not trust them; run it again',
    );
  }
  return file;
}

const TO_STDOUT_AGAIN = 'what was written is only the start; run it again';

/** How long a download may go without a byte before it counts as cut. */
const IDLE_MS = 30_000;

/**
 * Cuts a download whose bytes stopped coming. The SDK's timeout covers the answer's headers
 * only (a big file may take any time), so a connection that stalls midway would otherwise hang
 * the command for ever; cut, it leaves a `.part` to resume.
 */
class IdleWatch {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  /** Ctrl-C or the stall. */
  readonly signal: AbortSignal;

  constructor(interrupt: AbortSignal | undefined) {
    const signals = [this.controller.signal];
    if (interrupt) signals.push(interrupt);
    this.signal = AbortSignal.any(signals);
  }

  /** A byte came (or is awaited from now): the stall is counted from here. */
  touch(): void {
    clearTimeout(this.timer);
    const reason = new Error(`no data came for ${IDLE_MS / 1000} s`);
    this.timer = setTimeout(() => this.controller.abort(reason), IDLE_MS);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

/** Writes all of `chunk` (one `write` may take less of it). */
async function writeAll(handle: fs.FileHandle, chunk: Uint8Array): Promise<void> {
  for (let at = 0; at < chunk.byteLength;) {
    at += (await handle.write(chunk, at, chunk.byteLength - at)).bytesWritten;
  }
}

/** `-o`, or the current folder, and the file's own (cleaned) name when that is a folder. */
async function targetPath(output: string | undefined, file: FileObject): Promise<string> {
  const fallback = `file-${file.id.replace(/[^A-Za-z0-9_-]/g, '')}`;
  if (output === undefined) return pathInFolder(process.cwd(), file.name, fallback);
  const isFolder =
    /[/\\]$/.test(output) || (await fs.stat(output).catch(() => undefined))?.isDirectory();
  return isFolder ? pathInFolder(output, file.name, fallback) : path.resolve(output);
}

/** Whether the file at `target` is `file` already (same size, same sha256). */
async function holdsFile(target: string, stat: Stats, file: FileObject): Promise<boolean> {
  if (!stat.isFile() || stat.size !== file.size) return false;
  return (await hashFile(target)).digest('hex') === file.sha256;
}

/**
 * Gives the checked `.part` its name. Without --force it never replaces a file: `link` fails
 * when the name is taken (even by a file that appeared during the download); where links are
 * not supported it checks, then renames.
 */
async function place(part: string, target: string, { isForced }: { isForced: boolean }) {
  try {
    if (isForced) {
      await fs.rename(part, target);
    } else {
      try {
        await fs.link(part, target);
        await fs.unlink(part);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') throw exists(shownPath(target), { isPartKept: true });
        if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK'].includes(code ?? '')) throw err;
        if (await lstatOrNothing(target)) throw exists(shownPath(target), { isPartKept: true });
        await fs.rename(part, target);
      }
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw cannotWrite(target, err);
  }
  await syncFolder(path.dirname(target));
}

function progressFor(s: Session, file: FileObject, isQuiet: boolean): Progress {
  return new Progress(s.io.stderr, file.name, file.size, {
    isWanted: !s.out.isJson && !isQuiet,
    signal: s.signal,
  });
}

/** A path for messages: relative to the current folder when inside it. */
export function shownPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative)
    ? relative
    : file;
}

function exists(shown: string, { isPartKept = false } = {}): CliError {
  const kept = isPartKept ? ` (the checked download waits in ${shown}.part)` : '';
  return new CliError(
    ExitCode.Refused,
    'file_exists',
    `${shown} exists and is not this file${kept}: add --force to replace it, or choose ` +
      'another path with -o',
  );
}

function mismatch(message: string): CliError {
  return new CliError(ExitCode.Unexpected, 'sha256_mismatch', message);
}

/** The bytes stopped coming before the end (exit 5: a `.part` keeps what came). */
function stopped(
  written: number,
  size: number,
  cause?: unknown,
  hint = 'run the same command again to go on from there',
): CliError {
  const why = cause === undefined ? '' : ` (${reason(cause)})`;
  return new CliError(
    ExitCode.Unavailable,
    'download_incomplete',
    `the download stopped at ${humanSize(written)} of ${humanSize(size)}${why}: ${hint}`,
    { cause },
  );
}

function cannotWrite(file: string, err: unknown): CliError {
  return new CliError(
    ExitCode.Unexpected,
    'write_failed',
    `cannot write ${shownPath(file)}: ${reason(err)}`,
    { cause: err },
  );
}

/** For --json: what was saved. */
export function savedJson(saved: Saved): Record<string, unknown> {
  return {
    path: saved.path,
    file: saved.file,
    resumed_from: saved.resumedFrom,
    downloaded_bytes: saved.downloadedBytes,
    already_there: saved.isAlreadyThere,
  };
}
