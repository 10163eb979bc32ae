import type { FileObject, ThreadSummary } from '../contract/schemas.js';
import { sql } from './database.js';

export type SendStatus =
  | 'created'
  | 'replayed'
  | 'operation_id_conflict'
  | 'idempotency_key_conflict'
  | 'hook_not_found'
  | 'user_not_found'
  | 'group_not_found'
  | 'chat_forbidden'
  | 'reply_to_invalid'
  | 'attachment_invalid'
  | 'mention_invalid'
  | 'thread_invalid'
  | 'rate_limited';

export interface SendRow {
  status: SendStatus;
  message_id: number | null;
  chat_id: number | null;
  created_at: Date | null;
  is_read: boolean | null;
  /** Seconds until the sender's budget has a message again (rate_limited only). */
  retry_after: number | null;
  /** The message as it is now (a replay's may have been edited or deleted since). */
  msg_text: string | null;
  msg_edited_at: Date | null;
  msg_deleted: boolean | null;
  msg_reply_to: number | null;
  msg_attachments: FileObject[] | null;
  msg_mentions: number[] | null;
  msg_mention_all: boolean | null;
  msg_thread_id: number | null;
  msg_thread: ThreadSummary | null;
}

/** The parameters of msgr_send (db/sql/msgr_send.sql), in the order `send` takes them. */
export const SEND_PARAMETERS = [
  'p_sender',
  'p_target_kind',
  'p_target_id',
  'p_operation_id',
  'p_text',
  'p_window_seconds',
  'p_client_id',
  'p_sends_per_minute',
  'p_reply_to',
  'p_search_words',
  'p_attachments',
  'p_mentions',
  'p_mention_all',
  'p_thread_id',
  'p_idempotency_key',
] as const;

/** The whole idempotent send, one round trip: see db/sql/msgr_send.sql. */
export const send = sql(
  'messages.send',
  `SELECT * FROM msgr_send(${SEND_PARAMETERS.map((p, i) => `${p} => $${i + 1}`).join(', ')})`,
);

/**
 * Several sends in one statement (db/sql/msgr_send_batch.sql): `$1` is a JSON array of sends,
 * each the values of {@link send} in its order. One {@link SendBatchRow} per send.
 */
export const sendBatch = sql('messages.send_batch', 'SELECT * FROM msgr_send_batch($1)');

/** A send's answer in a batch: its index and msgr_send's row, or the error it raised. */
export interface SendBatchRow extends Omit<SendRow, 'status'> {
  ord: number;
  status: SendStatus | 'error';
  /** The SQLSTATE, constraint and message of the error (status `error` only). */
  err_code: string | null;
  err_constraint: string | null;
  err_message: string | null;
}

/** A message row as every query of one answers it (`reactions` only where they are asked). */
export interface MessageRow {
  id: number;
  chat_id: number;
  sender_id: number;
  text: string;
  created_at: Date;
  edited_at: Date | null;
  deleted: boolean;
  reply_to: number | null;
  is_read: boolean;
  reactions?: { emoji: string; count: number; me: boolean }[];
  attachments: FileObject[];
  mentions: number[];
  mention_all: boolean;
  thread_id: number | null;
  thread: ThreadSummary | null;
}

/** The columns of {@link MessageRow} but `is_read`, from `messages` aliased `m`. */
export const MESSAGE_COLUMNS = `m.id, m.chat_id, m.sender_id, m.text, m.created_at, m.edited_at,
  m.deleted_at IS NOT NULL AS deleted, m.reply_to,
  CASE WHEN m.has_attachments THEN msgr_attachments(m.id)::json ELSE '[]'::json END AS attachments,
  m.mentions, m.mention_all, m.thread_id,
  msgr_thread_json(m.reply_count, m.last_reply_id, m.last_reply_at, m.thread_participants)
    AS thread`;

/**
 * The reactions of message `messageId` (an SQL expression) as `reader` sees them: per emoji,
 * how many and whether the reader is one; most used first, then the earliest.
 */
export const reactionsOf = (messageId: string, reader: string) => `coalesce((
    SELECT json_agg(json_build_object('emoji', r.emoji, 'count', r.n, 'me', r.me)
                    ORDER BY r.n DESC, r.first, r.emoji)
    FROM (SELECT emoji, count(*)::int AS n, bool_or(user_id = ${reader}) AS me,
                 min(created_at) AS first
          FROM message_reactions WHERE message_id = ${messageId} GROUP BY emoji) r
  ), '[]'::json)`;

/**
 * A message is read when every member but its sender has a pointer at or past it. The lowest
 * two pointers of the chat answer that for any sender: the lowest among "everyone but S" is the
 * lowest pointer, or the second lowest when S holds the lowest.
 */
const withIsRead = (page: string, reader: string) => `
  WITH page AS (${page}),
  lows AS (
    SELECT user_id, last_read_message_id AS p FROM chat_members
    WHERE chat_id = $1 ORDER BY last_read_message_id, user_id LIMIT 2
  )
  SELECT page.*,
         page.id <= coalesce((SELECT min(p) FROM lows WHERE lows.user_id <> page.sender_id),
                             9223372036854775807) AS is_read,
         ${reactionsOf('page.id', reader)} AS reactions
  FROM page ORDER BY page.id`;

/** Which messages of a chat a history page holds: all, the top level, or one thread. */
export type HistoryScope = 'all' | 'top' | 'thread';

/**
 * The messages of chat `$1` in `scope` (a thread: root `$5` and its replies), as `m`: each scope
 * has its index (messages_chat_id, messages_top_level, messages_thread), so a page costs its
 * size whatever the chat holds.
 */
function scoped(scope: HistoryScope, where: string, order: string): string {
  const page = (filter: string) =>
    `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE ${filter} AND ${where} ORDER BY ${order} LIMIT $3`;
  if (scope === 'all') return page('m.chat_id = $1');
  if (scope === 'top') return page('m.chat_id = $1 AND m.thread_id IS NULL');
  return `SELECT * FROM ((${page('m.id = $5 AND m.chat_id = $1 AND m.thread_id IS NULL')})
    UNION ALL (${page('m.thread_id = $5 AND m.chat_id = $1')})) m ORDER BY ${order} LIMIT $3`;
}

function historyStatements(scope: HistoryScope) {
  return {
    /** `$1` chat, `$2` after, `$3` limit, `$4` reader[, `$5` root]. */
    after: sql(`history.after.${scope}`, withIsRead(scoped(scope, 'm.id > $2', 'm.id'), '$4')),
    /** `$1` chat, `$2` before, `$3` limit, `$4` reader[, `$5` root]. */
    before: sql(
      `history.before.${scope}`,
      withIsRead(scoped(scope, 'm.id < $2', 'm.id DESC'), '$4'),
    ),
    /** `$1` chat, `$2` ignored (0), `$3` limit, `$4` reader[, `$5` root]. */
    latest: sql(
      `history.latest.${scope}`,
      withIsRead(scoped(scope, '$2::bigint IS NOT NULL', 'm.id DESC'), '$4'),
    ),
  };
}

/** A page of history per scope and direction. */
export const history: Record<HistoryScope, ReturnType<typeof historyStatements>> = {
  all: historyStatements('all'),
  top: historyStatements('top'),
  thread: historyStatements('thread'),
};

export interface AdvanceRow {
  last_read_message_id: number;
  /** False when the pointer was at or past the message already. */
  is_moved: boolean;
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
          EXISTS (SELECT 1 FROM moved) AS is_moved,
          coalesce((SELECT json_agg(json_build_object('id', id, 'sender_id', sender_id) ORDER BY id)
                    FROM newly_read), '[]'::json) AS newly_read`,
);

/** An ephemeral event (Typing): a NOTIFY now, never stored (PostgreSQL bus only). */
export const notify = sql('events.notify', `SELECT pg_notify('msgr_events', $1)`);

export interface ChangeTargetRow {
  chat_id: number;
  sender_id: number;
  text: string;
  is_deleted: boolean;
  is_member: boolean;
  /** The owner of the message's group; null in a direct chat. */
  owner_id: number | null;
  mentions: number[];
  mention_all: boolean;
  thread_id: number | null;
}

/**
 * Locks the chat of message `$1` (answers its id; no row: no such message). Every change of a
 * chat — sends, reads, edits, reactions, members — takes this lock before it draws a seq, so
 * the chat's events commit in seq order; and always before any row lock of one of its messages.
 */
export const lockChatOfMessage = sql(
  'changes.lock_chat',
  `SELECT c.id AS chat_id FROM chats c
   WHERE c.id = (SELECT m.chat_id FROM messages m WHERE m.id = $1) FOR UPDATE`,
);

/** Message `$1` (its chat locked), with what deciding on a change by user `$2` needs. */
export const changeTarget = sql(
  'changes.target',
  `SELECT m.chat_id, m.sender_id, m.text, m.deleted_at IS NOT NULL AS is_deleted,
          m.mentions, m.mention_all, m.thread_id,
          EXISTS (SELECT 1 FROM chat_members cm WHERE cm.chat_id = m.chat_id AND cm.user_id = $2)
            AS is_member,
          (SELECT g.owner_id FROM groups g WHERE g.chat_id = m.chat_id) AS owner_id
   FROM messages m WHERE m.id = $1`,
);

/**
 * Message `$1` as reader `$2` sees it (its reactions, whether it is read, whether the reader is a
 * member of its chat).
 */
export const messageFor = sql(
  'changes.message_for',
  `WITH page AS (SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.id = $1)
   SELECT page.*,
          EXISTS (SELECT 1 FROM chat_members cm
                  WHERE cm.chat_id = page.chat_id AND cm.user_id = $2) AS is_member,
          NOT EXISTS (SELECT 1 FROM chat_members cm
                      WHERE cm.chat_id = page.chat_id AND cm.user_id <> page.sender_id
                        AND cm.last_read_message_id < page.id) AS is_read,
          ${reactionsOf('page.id', '$2')} AS reactions
   FROM page`,
);

/** `$1` message: its text `$2` (words `$3`), mentions `$4` and mention_all `$5`. */
export const editMessage = sql(
  'changes.edit',
  `UPDATE messages SET text = $2, edited_at = clock_timestamp(),
          search_words = array_to_tsvector($3::text[]), mentions = $4, mention_all = $5
   WHERE id = $1`,
);

/** How many of users `$2` are members of chat `$1`. */
export const membersAmong = sql(
  'changes.members_among',
  `SELECT count(*)::int AS n FROM chat_members WHERE chat_id = $1 AND user_id = ANY ($2::bigint[])`,
);

/**
 * Message `$1` of chat `$2` by sender `$3` names users `$4` now: its mention rows follow (never
 * one for its sender); in a thread (`$5` its root) the people named follow the thread.
 */
export const setMentions = sql(
  'changes.set_mentions',
  `WITH gone AS (
     DELETE FROM message_mentions WHERE message_id = $1 AND user_id <> ALL ($4::bigint[])
   ), added AS (
     INSERT INTO message_mentions (user_id, message_id, chat_id)
     SELECT u, $1, $2 FROM unnest($4::bigint[]) AS u WHERE u <> $3
     ON CONFLICT DO NOTHING
   )
   INSERT INTO thread_follows (user_id, root_id, chat_id)
   SELECT u, $5, $2 FROM unnest($4::bigint[]) AS u WHERE $5::bigint IS NOT NULL AND u <> $3
   ON CONFLICT DO NOTHING`,
);

/** A tombstone: no text, no words, no reactions, no attachments, nobody named. */
export const deleteMessage = sql(
  'changes.delete',
  `WITH gone AS (DELETE FROM message_reactions WHERE message_id = $1),
   detached AS (DELETE FROM message_attachments WHERE message_id = $1 RETURNING file_id),
   counted AS (UPDATE files f SET attached_count = f.attached_count - 1
               FROM detached d WHERE f.id = d.file_id),
   unnamed AS (DELETE FROM message_mentions WHERE message_id = $1)
   UPDATE messages SET text = '', deleted_at = clock_timestamp(), search_words = NULL,
          has_attachments = false, mentions = '{}', mention_all = false
   WHERE id = $1`,
);

/**
 * Root `$1`'s thread summary, counted again from its non-deleted replies (after one of them
 * was deleted: rare, and an index range of one thread).
 */
export const recountThread = sql(
  'changes.recount_thread',
  `WITH replies AS (
     SELECT id, sender_id, created_at FROM messages
     WHERE thread_id = $1 AND deleted_at IS NULL
   ), firsts AS (
     SELECT sender_id, min(id) AS first FROM replies GROUP BY sender_id
   ), latest AS (
     SELECT id, created_at FROM replies ORDER BY id DESC LIMIT 1
   )
   UPDATE messages r SET
     reply_count = (SELECT count(*) FROM replies),
     last_reply_id = (SELECT id FROM latest),
     last_reply_at = (SELECT created_at FROM latest),
     thread_participants = ARRAY[r.sender_id] || coalesce(
       (SELECT array_agg(sender_id ORDER BY first) FROM firsts WHERE sender_id <> r.sender_id),
       '{}')
   WHERE r.id = $1`,
);

export interface ReactionCountRow {
  distinct_emoji: number;
  has_emoji: boolean;
}

export const reactionCounts = sql(
  'reactions.counts',
  `SELECT count(DISTINCT emoji)::int AS distinct_emoji, coalesce(bool_or(emoji = $2), false) AS has_emoji
   FROM message_reactions WHERE message_id = $1`,
);

/** `$1` message, `$2` user, `$3` emoji; a row back when it was not there yet. */
export const addReaction = sql(
  'reactions.add',
  `INSERT INTO message_reactions (message_id, user_id, emoji) VALUES ($1, $2, $3)
   ON CONFLICT DO NOTHING RETURNING 1 AS added`,
);

export const removeReaction = sql(
  'reactions.remove',
  `DELETE FROM message_reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3
   RETURNING 1 AS removed`,
);

export const reactionsFor = sql('reactions.for', `SELECT ${reactionsOf('$1', '$2')} AS reactions`);

/**
 * Messages of `$1`'s chats (or of chat `$3`) whose words match tsquery `$2`, newest first,
 * below id `$4`, at most `$5`: the GIN index on search_words finds the matches.
 */
export const search = sql(
  'search.messages',
  `WITH page AS (
     SELECT ${MESSAGE_COLUMNS} FROM messages m
     JOIN chat_members me ON me.chat_id = m.chat_id AND me.user_id = $1
     WHERE m.search_words @@ $2::tsquery AND m.deleted_at IS NULL
       AND ($3::bigint IS NULL OR m.chat_id = $3)
       AND ($4::bigint IS NULL OR m.id < $4)
     ORDER BY m.id DESC LIMIT $5
   )
   SELECT page.*,
          NOT EXISTS (SELECT 1 FROM chat_members cm
                      WHERE cm.chat_id = page.chat_id AND cm.user_id <> page.sender_id
                        AND cm.last_read_message_id < page.id) AS is_read,
          ${reactionsOf('page.id', '$1')} AS reactions
   FROM page ORDER BY page.id DESC`,
);

/**
 * Messages of chat `chat` after id `pointer` (SQL expressions), as `alias`: two row comparisons
 * on (chat_id, id), which bound a scan of that index at both ends and which the primary key
 * cannot serve. Written as `chat_id = c AND id > p`, the planner may walk the primary key from
 * `p` through every later message of every chat (1.2 s at 10k messages beside a 1M chat, bench
 * threads); with `chat_id = c` beside one row comparison, btree starts at the chat's first entry
 * (30 ms in a 1M chat).
 */
export const pastPointer = (alias: string, chat: string, pointer: string) =>
  `(${alias}.chat_id, ${alias}.id) > (${chat}, ${pointer})
   AND (${alias}.chat_id, ${alias}.id) <= (${chat}, 9223372036854775807)`;

/**
 * Unread mentions of member `me` (a `chat_members` row) in its chat: their mention rows past
 * the read pointer, and others' `@all` messages past it that do not name them already. Two
 * index ranges past the pointer (message_mentions_by_chat, messages_mention_all).
 */
export const UNREAD_MENTIONS = (me: string) => `(
    (SELECT count(*) FROM message_mentions mm
     WHERE mm.user_id = ${me}.user_id AND mm.chat_id = ${me}.chat_id
       AND mm.message_id > ${me}.last_read_message_id)
    + (SELECT count(*) FROM messages m
       WHERE ${pastPointer('m', `${me}.chat_id`, `${me}.last_read_message_id`)}
         AND m.mention_all AND m.deleted_at IS NULL AND m.sender_id <> ${me}.user_id
         AND NOT (${me}.user_id = ANY (m.mentions))))::int`;

/**
 * What a badge shows for user `$1` (contract: `GET /me/unread`): per chat at its effective
 * level (a mute past its end is `all` again) — `all` counts its unread messages and mentions,
 * `mentions` only its unread mentions, `none` nothing.
 */
export const unreadTotals = sql(
  'unread.totals',
  `WITH mine AS (
     SELECT me.*, CASE WHEN me.muted_until IS NULL OR me.muted_until > now()
                       THEN me.notify_level ELSE 'all' END AS level
     FROM chat_members me WHERE me.user_id = $1
   ), counted AS MATERIALIZED (
     SELECT mine.level,
            CASE WHEN mine.level = 'all' THEN (
              SELECT count(*)::int FROM messages m
              WHERE ${pastPointer('m', 'mine.chat_id', 'mine.last_read_message_id')}
                AND m.sender_id <> mine.user_id AND m.deleted_at IS NULL) ELSE 0 END AS unread,
            CASE WHEN mine.level <> 'none' THEN ${UNREAD_MENTIONS('mine')} ELSE 0 END AS mentions
     FROM mine
   )
   SELECT count(*) FILTER (WHERE CASE level WHEN 'all' THEN unread > 0
                                             ELSE mentions > 0 END)::int AS chats,
          coalesce(sum(CASE WHEN level = 'all' THEN unread ELSE mentions END), 0)::int
            AS messages,
          coalesce(sum(mentions), 0)::int AS mentions
   FROM counted`,
);

/**
 * The messages naming user `$1` (a row of theirs in message_mentions, or `@all` in a chat of
 * theirs by someone else), below id `$2` (NULL: from the newest), at most `$3`, newest first;
 * never a tombstone, only in chats they are a member of. Two index ranges: their mention rows,
 * and per chat of theirs its `@all` messages (messages_mention_all).
 */
export const mentionsOf = sql(
  'mentions.of',
  `WITH named AS (
     (SELECT mm.message_id AS id FROM message_mentions mm
      JOIN chat_members cm ON cm.chat_id = mm.chat_id AND cm.user_id = $1
      WHERE mm.user_id = $1 AND ($2::bigint IS NULL OR mm.message_id < $2)
      ORDER BY mm.message_id DESC LIMIT $3)
     UNION
     (SELECT a.id FROM chat_members cm
      CROSS JOIN LATERAL (
        SELECT m.id FROM messages m
        WHERE m.chat_id = cm.chat_id AND m.mention_all AND m.deleted_at IS NULL
          AND m.sender_id <> $1 AND ($2::bigint IS NULL OR m.id < $2)
        ORDER BY m.id DESC LIMIT $3) a
      WHERE cm.user_id = $1)
   ), page AS (
     SELECT ${MESSAGE_COLUMNS} FROM messages m
     WHERE m.id IN (SELECT id FROM named ORDER BY id DESC LIMIT $3) AND m.deleted_at IS NULL
   )
   SELECT page.*,
          NOT EXISTS (SELECT 1 FROM chat_members cm
                      WHERE cm.chat_id = page.chat_id AND cm.user_id <> page.sender_id
                        AND cm.last_read_message_id < page.id) AS is_read,
          ${reactionsOf('page.id', '$1')} AS reactions
   FROM page ORDER BY page.id DESC`,
);
