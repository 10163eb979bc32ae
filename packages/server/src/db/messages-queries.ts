import { sql } from './database.js';

export type SendStatus =
  | 'created'
  | 'replayed'
  | 'operation_id_conflict'
  | 'user_not_found'
  | 'group_not_found'
  | 'chat_forbidden'
  | 'rate_limited';

export interface SendRow {
  status: SendStatus;
  message_id: number | null;
  chat_id: number | null;
  created_at: Date | null;
  is_read: boolean | null;
  /** Seconds until the sender's budget has a message again (rate_limited only). */
  retry_after: number | null;
}

/** The whole idempotent send, one round trip: see msgr_send in migrations/002-limits.ts. */
export const send = sql('messages.send', `SELECT * FROM msgr_send($1, $2, $3, $4, $5, $6, $7, $8)`);

export interface MessageRow {
  id: number;
  chat_id: number;
  sender_id: number;
  text: string;
  created_at: Date;
  is_read: boolean;
}

/**
 * A message is read when every member but its sender has a pointer at or past it. The lowest
 * two pointers of the chat answer that for any sender: the lowest among "everyone but S" is the
 * lowest pointer, or the second lowest when S holds the lowest.
 */
const withIsRead = (page: string) => `
  WITH page AS (${page}),
  lows AS (
    SELECT user_id, last_read_message_id AS p FROM chat_members
    WHERE chat_id = $1 ORDER BY last_read_message_id, user_id LIMIT 2
  )
  SELECT page.id, page.chat_id, page.sender_id, page.text, page.created_at,
         page.id <= coalesce((SELECT min(p) FROM lows WHERE lows.user_id <> page.sender_id),
                             9223372036854775807) AS is_read
  FROM page ORDER BY page.id`;

const COLUMNS = 'id, chat_id, sender_id, text, created_at';

export const historyAfter = sql(
  'history.after',
  withIsRead(`SELECT ${COLUMNS} FROM messages WHERE chat_id = $1 AND id > $2 ORDER BY id LIMIT $3`),
);

export const historyBefore = sql(
  'history.before',
  withIsRead(
    `SELECT ${COLUMNS} FROM messages WHERE chat_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`,
  ),
);

export const historyLatest = sql(
  'history.latest',
  withIsRead(`SELECT ${COLUMNS} FROM messages WHERE chat_id = $1 ORDER BY id DESC LIMIT $2`),
);

export interface ReadTargetRow {
  chat_id: number;
  is_member: boolean;
}

/** The message's chat, whether the reader is in it; locks the chat row for the read. */
export const lockReadTarget = sql(
  'read.lock_target',
  `SELECT m.chat_id,
          EXISTS (SELECT 1 FROM chat_members cm WHERE cm.chat_id = m.chat_id AND cm.user_id = $2)
            AS is_member
   FROM messages m WHERE m.id = $1`,
);

export const lockChat = sql('read.lock_chat', `SELECT id FROM chats WHERE id = $1 FOR UPDATE`);

export interface AdvanceRow {
  last_read_message_id: number;
  newly_read: { id: number; sender_id: number }[];
}

/**
 * Moves reader `$2`'s pointer in chat `$1` forward to `$3` (never back) and lists the messages
 * that this read made fully read: those in (old pointer, new pointer], not the reader's own, at
 * or below the lowest pointer of the members other than their sender and the reader. Runs with
 * the chat row locked, so concurrent readers see each other's pointers and no message is
 * reported twice or missed.
 */
export const advanceReadPointer = sql(
  'read.advance',
  `WITH me AS (
     SELECT last_read_message_id AS old FROM chat_members WHERE chat_id = $1 AND user_id = $2
   ), moved AS (
     UPDATE chat_members cm SET last_read_message_id = $3 FROM me
     WHERE cm.chat_id = $1 AND cm.user_id = $2 AND me.old < $3
     RETURNING me.old
   ), lows AS (
     SELECT user_id, last_read_message_id AS p FROM chat_members
     WHERE chat_id = $1 AND user_id <> $2 ORDER BY last_read_message_id, user_id LIMIT 2
   ), newly_read AS (
     SELECT m.id, m.sender_id FROM messages m, moved
     WHERE m.chat_id = $1 AND m.id > moved.old AND m.id <= $3 AND m.sender_id <> $2
       AND m.id <= coalesce((SELECT min(p) FROM lows WHERE lows.user_id <> m.sender_id),
                            9223372036854775807)
   )
   SELECT greatest((SELECT old FROM me), $3) AS last_read_message_id,
          coalesce((SELECT json_agg(json_build_object('id', id, 'sender_id', sender_id) ORDER BY id)
                    FROM newly_read), '[]'::json) AS newly_read`,
);

export const notify = sql('events.notify', `SELECT pg_notify('msgr_events', $1)`);
