/**
 * `watch --position-file`: the changes after a saved position, each printed and then saved, so a
 * run restarted after a crash prints every event once (at most the one being printed at the
 * crash twice).
 *
 * It reads the log with `changes()` (HTTP long-polls), whose `position` is after the event it
 * yielded last: the script's state is one file and one request at a time, through any HTTP
 * proxy. (Typing, which is never logged, is the one thing plain `watch`'s socket shows that this
 * does not.)
 */
import { MessengerError, type ChangeEvent } from '@msgr/sdk';
import type { Session } from './client.js';
import { CliError, ExitCode } from './errors.js';
import type { EventView } from './event-view.js';
import { FILE_FIX, PositionFile } from './position-file.js';

/** Seconds a poll waits on the server for a change: answered at once when one comes. */
const POLL_WAIT_SECONDS = 30;
/**
 * While nothing is printed, the position still moves on (the server's log does), and it is
 * saved this often: a position kept for long without a change of yours would expire.
 */
const IDLE_SAVE_MS = 60_000;

export interface FollowOptions {
  /** Only this chat's events are printed. */
  chatId?: number | undefined;
  /** Where to start when the file holds no position: after this message id. Default: now. */
  after?: number | undefined;
}

/** Prints the changes after the position in `file` until Ctrl-C, saving it after each one. */
export async function followToFile(
  s: Session,
  view: EventView,
  file: string,
  { chatId, after }: FollowOptions,
): Promise<void> {
  const positions = await PositionFile.open(file);
  try {
    await view.load();
    const me = chatId === undefined ? undefined : await checkChat(s, view, chatId);
    let from = positions.initial ?? (after === undefined ? undefined : String(after));
    const what = chatId === undefined ? 'all your chats' : `chat ${chatId}`;
    const start = after === undefined ? 'from now' : `after message ${after}`;
    const since =
      positions.initial !== undefined
        ? `from the position in ${file}`
        : `${start}, saving the position in ${file}`;
    for (let isFirst = true; ; isFirst = false) {
      if (from === undefined) {
        // Now moves on: saved at once, so a restart before the first event misses nothing.
        // (A start from the file or --after is where a restart starts anyway.)
        from = (await s.client.sync({ signal: s.signal })).position;
        await positions.save(from);
      }
      // Said once the start is saved: a script may wait for it.
      if (isFirst) s.out.note(`Watching ${what} ${since} (Ctrl-C to stop).`);
      if (!(await follow(s, view, positions, from, { chatId, me }))) return;
      from = undefined; // expired: on from now
    }
  } catch (err) {
    if (s.signal?.aborted) return; // Ctrl-C while asking for the position of now
    throw positions.initial === undefined && after !== undefined
      ? positionError(err, `--after ${after} is`, 'give the id of a message that exists')
      : positionError(err, `${file} holds`, FILE_FIX);
  } finally {
    await positions.close();
  }
}

/**
 * Follows the log from `from` until Ctrl-C (false) or until the position expired (true), the
 * warning printed.
 */
async function follow(
  s: Session,
  view: EventView,
  positions: PositionFile,
  from: string,
  { chatId, me }: { chatId: number | undefined; me: number | undefined },
): Promise<boolean> {
  const changes = s.client.changes({
    position: from,
    waitSeconds: POLL_WAIT_SECONDS,
    signal: s.signal,
  });
  // Between events the position is that of the last one printed (or past it, moved on by the
  // server); while an event is being printed it already counts that one: not saved then.
  let isIdle = true;
  const timer = setInterval(() => {
    const position = changes.position;
    // A failure comes back at the next save.
    if (isIdle && position !== undefined) positions.save(position).catch(() => undefined);
  }, IDLE_SAVE_MS);
  try {
    for await (const event of changes) {
      isIdle = false;
      if (event.type === 'PositionExpired') {
        await view.show(event);
        return true;
      }
      if (chatId === undefined || chatOf(event) === chatId) {
        await view.show(event);
        const position = changes.position;
        if (position !== undefined) await positions.save(position);
        if (event.type === 'MembersChanged' && me !== undefined && event.removed.includes(me)) {
          // Out of the chat: refused as a plain `watch <chat id>` is (unless back in already).
          await checkChat(s, view, event.chat_id);
        }
      }
      isIdle = true;
    }
    const position = changes.position;
    if (position !== undefined) await positions.save(position);
    return false;
  } finally {
    clearInterval(timer);
  }
}

/** Throws the server's refusal when the user may not read the chat; answers who they are. */
async function checkChat(s: Session, view: EventView, chatId: number): Promise<number> {
  await s.client.history(chatId, { limit: 1, signal: s.signal });
  return view.me ?? (await s.client.me({ signal: s.signal })).id;
}

function chatOf(event: Exclude<ChangeEvent, { type: 'PositionExpired' }>): number {
  return 'message' in event ? event.message.chat_id : event.chat_id;
}

/**
 * A position the server refused as not one of its own (422 `position_invalid`) is a usage
 * error (exit 2) that says where it came from (`source`: "pos.txt holds") and what to do.
 */
export function positionError(err: unknown, source: string, fix: string): unknown {
  if (!(err instanceof MessengerError && err.code === 'position_invalid')) return err;
  return new CliError(
    ExitCode.Usage,
    'position_invalid',
    `${source} a position this server never gave out (position_invalid): ${fix}`,
    { cause: err },
  );
}
