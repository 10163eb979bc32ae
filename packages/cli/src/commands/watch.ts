/**
 * `watch`: live events until Ctrl-C (then the exit code is 0). Plain, it listens on a socket
 * (typing and connection news included). With `--position-file` it follows the log over HTTP
 * long-polls (`changes()`), whose position is exact after every event: see follow.ts.
 */
import type { Command } from 'commander';
import { openSession, type RunState } from '../client.js';
import { EventView } from '../event-view.js';
import { followToFile } from '../follow.js';
import { examples } from '../help.js';
import { parseCursor, parseId } from '../parse.js';

interface WatchOptions {
  after?: number;
  positionFile?: string;
}

export function registerWatchCommand(program: Command, state: RunState): void {
  program
    .command('watch')
    .summary('stream live messages and changes until Ctrl-C (--position-file: resumable)')
    .description(
      'stream live messages, read receipts, typing, edits, deletions, reactions and group ' +
        'changes until Ctrl-C',
    )
    .argument('[chat id]', 'one chat; omit for all your chats (new ones included)', parseId)
    .option(
      '--after <message id>',
      'first replay every change after this message (with --position-file: when the file ' +
        'holds no position yet)',
      parseCursor,
    )
    .option(
      '--position-file <file>',
      'resume from the position saved in this file (none yet: from now, or --after) and save ' +
        'it after every event printed: restarted after a crash, it prints each event once',
    )
    .addHelpText(
      'after',
      `${examples(
        ['msgr watch', 'every chat, as lines for people'],
        ['msgr watch 3 --after 120 --json', 'chat 3 from message 121 on, one JSON event a line'],
        [
          'msgr watch --json --position-file ~/.local/state/msgr.pos | ./handle-events',
          'a service: after a restart it goes on where it stopped',
        ],
      )}
With --position-file: the event is printed, then its position saved (atomically, fsynced), so
after a crash or a reboot at most the one event being printed then comes again. One msgr at a
time per file (<file>.lock; another gets exit 4). It follows the log over HTTP (long-polls):
no typing notes and no connection news. If the position is older than the server keeps its
log, a warning (--json: the record {"type":"PositionExpired"}) says changes were missed, and
it goes on from now.
`,
    )
    .action(async (chatId: number | undefined, opts: WatchOptions, cmd: Command) => {
      state.isInterruptHandled = true;
      const s = await openSession(state, cmd);
      const view = new EventView(s, { isAllChats: chatId === undefined, isLive: true });
      if (opts.positionFile !== undefined) {
        return followToFile(s, view, opts.positionFile, { chatId, after: opts.after });
      }
      await view.load();
      if (s.signal?.aborted) return;
      const subscription = s.client.subscribe({ chatId, after: opts.after });
      const stop = () => subscription.close();
      s.signal?.addEventListener('abort', stop, { once: true });
      try {
        for await (const event of subscription) await view.show(event);
      } finally {
        s.signal?.removeEventListener('abort', stop);
        subscription.close();
      }
    });
}
