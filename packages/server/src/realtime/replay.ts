/**
 * What a resuming socket lacks, sent before it goes live (its live frames are held meanwhile,
 * connection.ts). Two kinds:
 *
 * - `?position=` (v1.2): every logged event the user should have got after the position, from
 *   the log (domain/log.ts), in log order; a position older than the log keeps gets
 *   `PositionExpired` instead, and the socket goes live from now.
 * - `?after=<message id>` (v1): the messages above that id, from the messages table, as before.
 *
 * Marks: each replayed frame carries min(its seq, `heard`), `heard` being the mark this instance
 * had heard when the socket registered — every event up to it had committed then, so every
 * snapshot of the replay holds them — and the replay ends with `Subscribed{mark: heard}`. A
 * mark read inside a later page's snapshot would not do: an event below an earlier page's
 * cursor may have committed between the two pages (it arrives live, after the frames whose
 * marks would already claim it).
 */
import type { ServerFrame } from '../contract/frames.js';
import type { Position } from '../contract/position.js';
import type { Database } from '../db/database.js';
import * as R from '../db/realtime-queries.js';
import { placed, readLog } from '../domain/log.js';
import { toMessage } from '../domain/messages.js';
import type { Connection } from './connection.js';

const PAGE = 500;

/** A frame as the bytes every socket is sent (encoded once per event, shared by all sockets). */
export function frameBytes(f: ServerFrame | string): Buffer {
  return Buffer.from(typeof f === 'string' ? f : JSON.stringify(f));
}

/** Replays the log after `position`; `heard` as above, `now` the mark to go live from. */
export async function replayLog(
  db: Database,
  conn: Connection,
  position: Position,
  heard: number,
): Promise<void> {
  let cursor = position.mark;
  for (;;) {
    const page = await readLog(db, conn.user, {
      after: cursor,
      seen: position.seen,
      chatId: conn.chatId,
      limit: PAGE,
    });
    if (!conn.isOpen) return;
    // Trimmed past where this replay is: what lay between is gone, never skip it silently.
    if (page.trimmedTo > cursor) {
      const now = Math.max(heard, page.mark);
      conn.finishReplay(
        frameBytes({ type: 'PositionExpired' }),
        frameBytes({ type: 'Subscribed', mark: now }),
      );
      return;
    }
    for (const e of page.events) {
      const frame = placed(e.frame, e.seq, Math.min(e.seq, heard));
      conn.replay(frameBytes(frame), {
        chatId: e.chatId,
        seq: e.seq,
        isMessage: e.type === 'Message',
      });
    }
    if (page.events.length < PAGE) break;
    cursor = page.events[page.events.length - 1]!.seq;
  }
  conn.finishReplay(frameBytes({ type: 'Subscribed', mark: heard }));
}

/**
 * Replays the messages above `after` (v1's resume). On /ws (`heard` given) the frames carry
 * marks and the replay ends with `Subscribed`.
 */
export async function replayMessages(
  db: Database,
  conn: Connection,
  after: number,
  heard: number | undefined,
): Promise<void> {
  let cursor = after;
  for (;;) {
    const rows =
      conn.chatId === undefined
        ? await db.query<R.LiveMessageRow>(R.replayAll, [
            conn.user.userId,
            cursor,
            conn.user.clientId,
            PAGE,
          ])
        : await db.query<R.LiveMessageRow>(R.replayChat, [
            conn.chatId,
            cursor,
            conn.user.userId,
            conn.user.clientId,
            PAGE,
          ]);
    if (!conn.isOpen) return;
    for (const row of rows) {
      const mark = heard === undefined ? undefined : Math.min(row.id, heard);
      const frame: ServerFrame = { type: 'Message', message: toMessage(row), seq: row.id, mark };
      conn.replay(frameBytes(frame), { chatId: row.chat_id, seq: row.id, isMessage: true });
    }
    if (rows.length < PAGE) break;
    cursor = rows[rows.length - 1]!.id;
  }
  conn.finishReplay(
    ...(heard === undefined ? [] : [frameBytes({ type: 'Subscribed', mark: heard })]),
  );
}
