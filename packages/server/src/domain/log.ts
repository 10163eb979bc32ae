/**
 * The log of every change (contract: "v1.2 — one log of every change"; migrations/006-log.ts).
 * Writers append events inside the transaction of their change, holding the chat's row lock;
 * sockets and /sync read them back with {@link readLog}. The frame a client is sent is the frame
 * kept here plus its place in the log (`seq`, `mark`), added by {@link placed}.
 */
import type { AuthUser } from '../auth/tokens.js';
import type { LogFrame } from '../contract/frames.js';
import type { Position } from '../contract/position.js';
import type { Queryable } from '../db/database.js';
import * as L from '../db/log-queries.js';

/** Events per announcement: their seqs stay far below NOTIFY's 8000 bytes. */
const SEQS_PER_ANNOUNCEMENT = 300;

export interface LogEntry {
  frame: LogFrame;
  chatId: number;
  /** The device that caused it: it is not sent its own event. */
  actor?: Pick<AuthUser, 'userId' | 'clientId'> | undefined;
  /** The one user who gets it (Read: the message's sender; ReadMarker: the reader). */
  recipientId?: number;
  /** The message it is about. */
  messageId?: number;
}

/**
 * Appends `entries`, in order, in the caller's transaction (which holds the row lock of every
 * chat they are of); answers their seqs. Announced to every instance on commit.
 */
export async function appendToLog(tx: Queryable, entries: readonly LogEntry[]): Promise<number[]> {
  const seqs: number[] = [];
  for (let i = 0; i < entries.length; i += SEQS_PER_ANNOUNCEMENT) {
    const rows: L.NewEventRow[] = entries.slice(i, i + SEQS_PER_ANNOUNCEMENT).map((e) => ({
      chat_id: e.chatId,
      type: e.frame.type,
      actor_id: e.actor?.userId ?? null,
      actor_client: e.actor?.clientId ?? null,
      recipient_id: e.recipientId ?? null,
      message_id: e.messageId ?? null,
      frame: JSON.stringify(e.frame),
    }));
    const [row] = await tx.query<{ ids: number[] }>(L.appendEvents, [JSON.stringify(rows)]);
    seqs.push(...row!.ids);
  }
  return seqs;
}

/**
 * A kept frame as it is sent: its own fields, then `seq` and (when known) `mark`. The kept text
 * is an object's JSON, so its closing brace is the last character.
 */
export function placed(frame: string, seq: number, mark: number | undefined): string {
  const head = frame.slice(0, -1);
  return mark === undefined ? `${head},"seq":${seq}}` : `${head},"seq":${seq},"mark":${mark}}`;
}

/** One event of a page. */
export interface LoggedEvent {
  seq: number;
  chatId: number;
  type: string;
  frame: string;
}

export interface LogPage {
  events: LoggedEvent[];
  /** The mark published when the page was read: every seq ≤ it had committed by then. */
  mark: number;
  /** The log's floor: a position whose mark is below it has expired. */
  trimmedTo: number;
  /** The last seq drawn: no position can be past it. */
  lastSeq: number;
}

/**
 * The events `user` (on their device) should get after `after`, except `seen`, in `chatId` or
 * every chat, at most `limit`, in log order, with the log's bounds in the same snapshot.
 */
export async function readLog(
  q: Queryable,
  user: Pick<AuthUser, 'userId' | 'clientId'>,
  {
    after,
    seen = [],
    chatId,
    limit,
  }: { after: number; seen?: readonly number[]; chatId?: number | undefined; limit: number },
): Promise<LogPage> {
  const rows = await q.query<L.LogPageRow>(L.logPage, [
    user.userId,
    user.clientId,
    after,
    seen,
    chatId ?? null,
    limit,
  ]);
  const head = rows[0]!;
  return {
    mark: head.mark,
    trimmedTo: head.trimmed_to,
    lastSeq: head.last_seq,
    events: rows
      .filter((r) => r.id !== null)
      .map((r) => ({ seq: r.id!, chatId: r.chat_id!, type: r.type!, frame: r.frame! })),
  };
}

export type PositionCheck = 'ok' | 'expired' | 'invalid';

/**
 * Whether `position` can be resumed from: not older than the log keeps (expired), and one this
 * server could have handed out (invalid: a mark or seq past the last seq drawn — from another
 * database, or made up). A mark may be past the last one published: a message id taken as a
 * position (`subscribe({ after })`) is one.
 */
export function checkPosition(
  position: Position,
  bounds: Pick<LogPage, 'trimmedTo' | 'lastSeq'>,
): PositionCheck {
  if (position.mark > bounds.lastSeq) return 'invalid';
  if (position.seen.some((seq) => seq > bounds.lastSeq)) return 'invalid';
  if (position.mark < bounds.trimmedTo) return 'expired';
  return 'ok';
}

/** The log's bounds now. */
export async function logBounds(q: Queryable): Promise<Omit<LogPage, 'events'>> {
  const [row] = await q.query<{ mark: number; trimmed_to: number; last_seq: number }>(L.logBounds);
  return { mark: row!.mark, trimmedTo: row!.trimmed_to, lastSeq: row!.last_seq };
}
