/**
 * `sync`: one catch-up, then exit: every change after a position, printed once, and the position
 * after them (on stderr, or saved in a file after every event). For cron jobs and scripts.
 */
import type { Command } from 'commander';
import { openSession, type RunState, type Session } from '../client.js';
import { CliError, ExitCode, usageError } from '../errors.js';
import { EventView } from '../event-view.js';
import { positionError } from '../follow.js';
import { examples } from '../help.js';
import { parsePosition, parseWait } from '../parse.js';
import { FILE_FIX, PositionFile } from '../position-file.js';

interface SyncOptions {
  position?: string;
  positionFile?: string;
  wait?: number;
}

/** Events per request: the most the server gives. */
const PAGE = 1000;

export function registerSyncCommand(program: Command, state: RunState): void {
  program
    .command('sync')
    .summary('print every change since a position once, then exit (cron jobs, scripts)')
    .description(
      'print every change after a position (messages, edits, deletions, reactions, reads, ' +
        'members, renames), each once, then exit 0 with the new position: on stderr ' +
        '(`position: <position>`), or saved in --position-file after every event',
    )
    .option(
      '--position <position>',
      'where the last run stopped (what it printed as `position: …`); none: from now',
      parsePosition,
    )
    .option(
      '--position-file <file>',
      'read the position from this file (missing or empty: from now) and save it there after ' +
        'every event printed',
    )
    .option(
      '--wait <seconds>',
      'when there is no change yet, wait up to this long for a first one, 0..60 (default 0)',
      parseWait,
    )
    .addHelpText(
      'after',
      `${examples(
        [
          'msgr sync --position-file ~/.local/state/msgr.pos',
          'the first run prints nothing: it saves the position of now, where the next run starts',
        ],
        [
          'msgr sync --json --position-file ~/.local/state/msgr.pos | ./handle-events',
          'from cron: what changed since the last run, each change once, one JSON event a line',
        ],
        [
          "P=$(msgr sync 2>&1 >/dev/null | sed -n 's/^position: //p')",
          'the position without a file: it comes on stderr',
        ],
        ['msgr sync --position "$P" --wait 30', 'what changed since; nothing yet: wait up to 30 s'],
      )}
Without a position it prints nothing and gives the position of now: a cron job's first run sets
where the next one starts. With --position-file the position is saved after every event printed
(atomically, fsynced): a run killed midway prints at most one event again next time. One msgr
at a time per file (<file>.lock; another gets exit 4). The events and --json shapes are those of
\`msgr watch\`, without typing.
If the position is older than the server keeps its log (EVENT_RETENTION_DAYS, 30 days by
default), the changes since then are lost: a warning on stderr (--json: the record
{"type":"PositionExpired"}) says so, the run goes on from now, saves or prints the position of
now, and exits 0 (reload what you keep from \`msgr chats\` and \`msgr history\`). A position the
server never gave out: exit 2.
`,
    )
    .action(async (opts: SyncOptions, cmd: Command) => {
      if (opts.position !== undefined && opts.positionFile !== undefined) {
        throw usageError('conflicting_positions', 'give --position or --position-file, not both');
      }
      // Stopped by Ctrl-C, it still saves (or prints) where it stopped, then exits 130.
      state.isInterruptHandled = true;
      const s = await openSession(state, cmd);
      const file =
        opts.positionFile === undefined ? undefined : await PositionFile.open(opts.positionFile);
      try {
        await catchUp(s, file, file ? file.initial : opts.position, opts.wait ?? 0);
      } catch (err) {
        throw file
          ? positionError(err, `${file.path} holds`, FILE_FIX)
          : positionError(err, `--position ${opts.position} is`, 'run `msgr sync` without one');
      } finally {
        await file?.close();
      }
      if (s.signal?.aborted) throw new CliError(ExitCode.Interrupted, 'interrupted', 'interrupted');
    });
}

async function catchUp(
  s: Session,
  file: PositionFile | undefined,
  start: string | undefined,
  waitSeconds: number,
): Promise<void> {
  const done = async (position: string) => {
    if (file) await file.save(position);
    else s.io.stderr.write(`position: ${position}\n`);
  };
  if (start === undefined) {
    await done((await s.client.sync({ signal: s.signal })).position);
    if (file) {
      s.out.note(`No position yet: ${file.path} now holds the position of now, for the next run.`);
    }
    return;
  }
  const view = new EventView(s, { isAllChats: true, isLive: false });
  const changes = s.client.changes({
    position: start,
    waitSeconds,
    untilCaughtUp: true,
    limit: PAGE,
    signal: s.signal,
  });
  for await (const event of changes) {
    await view.show(event);
    const position = changes.position;
    if (file && position !== undefined) await file.save(position);
  }
  // Undefined only when stopped right after PositionExpired: nothing newer is known.
  await done(changes.position ?? start);
}
