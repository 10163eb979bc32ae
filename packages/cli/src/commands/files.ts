/** `upload` (a file to the server, to attach or fetch later) and `download` (resumable, checked). */
import type { Command } from 'commander';
import { safeLine } from '@msgr/safe-text';
import { openSession, type RunState } from '../client.js';
import { saveFile, savedJson, shownPath, writeFileTo } from '../download.js';
import { usageError } from '../errors.js';
import { humanSize } from '@msgr/safe-text';
import { examples } from '../help.js';
import { inspectLocalFile } from '../local-files.js';
import { fileLine, uploadLocalFile } from '../upload.js';

interface UploadOptions {
  name?: string;
  quiet?: boolean;
}

interface DownloadOptions {
  output?: string;
  force?: boolean;
  quiet?: boolean;
}

const QUIET = 'no progress bar (there is one on a terminal for files over 1 MiB)';

export function registerFileCommands(program: Command, state: RunState): void {
  program
    .command('upload')
    .summary('upload a file and print it: id, name, size, type (`send --file` attaches files)')
    .description(
      'upload a file (resumable: a dropped connection goes on where it stopped) and print it: ' +
        'id, name, size and the type the server found. Only you can read it until a message ' +
        'carries it; the server deletes files no message carries after a day',
    )
    .argument('<path>', 'the file')
    .option('--name <name>', 'the name it gets (default: the last part of <path>)')
    .option('-q, --quiet', QUIET)
    .addHelpText(
      'after',
      examples(
        ['msgr upload report.pdf', 'id  name  size  type'],
        ["msgr upload photo.jpg --name 'Beach 2025.jpg' --json | jq -r .id", 'the file object'],
      ),
    )
    .action(async (file: string, opts: UploadOptions, cmd: Command) => {
      if (opts.name !== undefined && opts.name.trim() === '') {
        throw usageError('empty_name', 'the name is empty');
      }
      const local = await inspectLocalFile(file, opts.name);
      const s = await openSession(state, cmd);
      const uploaded = await uploadLocalFile(s, local, { isQuiet: opts.quiet });
      if (s.out.isJson) return s.out.json(uploaded);
      s.out.line(fileLine(uploaded));
    });

  program
    .command('download')
    .summary('download a file (resumes a cut download; checks its sha256)')
    .description(
      'download a file you uploaded or one a message of your chats carries. It is written to ' +
        '<path>.part and takes its name only once its sha256 is checked; a .part left by a cut ' +
        'run is resumed from where it stopped',
    )
    .argument('<file id>', 'the file (`msgr history` shows the ids after 📎)')
    .option(
      '-o, --output <path>',
      "where: a file, a folder (the file's own name in it), or - for stdout " +
        "(default: the file's own name, cleaned, in the current folder)",
    )
    .option('--force', 'replace a file that exists (else exit 4); with -o -: write to a terminal')
    .option('-q, --quiet', QUIET)
    .addHelpText(
      'after',
      `${examples(
        ['msgr download AbC123xyz_AbC123xyz', 'saved under its own name, here'],
        ['msgr download AbC123xyz_AbC123xyz -o ~/Downloads/', 'in that folder'],
        ['msgr download AbC123xyz_AbC123xyz -o - | tar -xz', 'to stdout'],
      )}
A name from the server is cleaned before it is used: its last path part only, no control,
bidi or invisible characters, no dots or spaces at either end. A file already there with the same bytes is left
as it is; a different one is replaced only with --force.
`,
    )
    .action(async (fileId: string, opts: DownloadOptions, cmd: Command) => {
      const isStdout = opts.output === '-';
      const s = await openSession(state, cmd);
      if (isStdout) {
        if (s.out.isJson) {
          throw usageError(
            'conflicting_output',
            '-o - writes the bytes to stdout: not with --json',
          );
        }
        // The bytes are anyone's: on a terminal they could be escape sequences.
        if (s.io.stdout.isTTY && !opts.force) {
          throw usageError(
            'stdout_is_a_terminal',
            'stdout is a terminal, which would run the escape sequences a file may hold: ' +
              'pipe it, or add --force',
          );
        }
        await writeFileTo(s, fileId, s.io.stdout, { isQuiet: opts.quiet });
        return;
      }
      const saved = await saveFile(s, fileId, {
        output: opts.output,
        isForced: opts.force,
        isQuiet: opts.quiet,
      });
      if (s.out.isJson) return s.out.json(savedJson(saved));
      const where = safeLine(shownPath(saved.path));
      const size = humanSize(saved.file.size);
      if (saved.isAlreadyThere) {
        return s.out.line(`${where} holds this file already (${size}, sha256 checked).`);
      }
      const resumed = saved.resumedFrom > 0 ? `, resumed at ${humanSize(saved.resumedFrom)}` : '';
      s.out.line(`Saved ${where} (${size}${resumed}, sha256 checked).`);
    });
}
