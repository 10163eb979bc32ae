/**
 * A reader's place in the msgr log, kept in a file so that a restarted program goes on where it
 * stopped. The file holds the position as text (`<mark>` or `<mark>.<seq>.<seq>…`, the same
 * format as `msgr watch --position-file`) and a newline.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

const POSITION = /^\d{1,16}(\.\d{1,16})*$/;

/** The position kept in `file`, or undefined when there is no such file yet. */
export async function readPosition(file: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const position = text.trim();
  // Never a half-written file (see writePosition): anything else is someone else's file.
  if (!POSITION.test(position)) throw new Error(`${file} does not hold a msgr position`);
  return position;
}

/**
 * Replaces the position in `file` atomically: after a crash or a power cut the file holds the
 * old position or the new one, never a mix or nothing. The new text goes to a temporary file
 * first, is flushed to the disk (fsync), and only then renamed over the old one (a rename is
 * atomic); the folder is flushed too, so that the rename itself is on the disk.
 */
export async function writePosition(file: string, position: string): Promise<void> {
  const temporary = `${file}.tmp`;
  const handle = await fs.open(temporary, 'w');
  try {
    await handle.writeFile(`${position}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temporary, file);
  await syncFolder(path.dirname(file));
}

async function syncFolder(folder: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(folder, 'r');
    await handle.sync();
  } catch {
    // Some platforms (Windows) cannot open or flush a folder; the rename is still atomic there.
  } finally {
    await handle?.close();
  }
}
