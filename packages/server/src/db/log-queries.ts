/**
 * The log (migrations/006-log.ts): appending events, reading them back for replay and /sync,
 * membership spans, redaction and trimming.
 */
import { sql } from './database.js';

/** One event to append, as domain/log.ts makes it. */
export interface NewEventRow {
  chat_id: number;
  type: string;
  actor_id: number | null;
  actor_client: string | null;
  recipient_id: number | null;
  message_id: number | null;
  frame: string;
}

/**
 * Appends events `$1` (a JSON array of {@link NewEventRow}) and announces them to every
 * instance; answers their seqs, ascending in array order (msgr_append, migrations/006-log.ts).
 * The caller holds the chat's row lock: the events of one chat take their seqs in commit order.
 */
export const appendEvents = sql('log.append', `SELECT msgr_append($1::json) AS ids`);

/** An event as delivery and replay read it. */
export interface EventRow {
  id: number;
  chat_id: number;
  type: string;
  actor_id: number | null;
  actor_client: string | null;
  recipient_id: number | null;
  frame: string;
}

/** Events `$1` (seqs), for live delivery: one read per batch of announcements. */
export const eventsByIds = sql(
  'log.by_ids',
  `SELECT id, chat_id, type, actor_id, actor_client, recipient_id, frame
   FROM events WHERE id = ANY($1::bigint[])`,
);

/** A page of the log as one user and device should get it, with the log's bounds then. */
export interface LogPageRow {
  /** The stream mark published when the page was read: every seq ≤ it had committed. */
  mark: number;
  /** The log's floor: events at or below it may be gone. */
  trimmed_to: number;
  /** The last seq drawn (no position can be past it). */
  last_seq: number;
  id: number | null;
  chat_id: number | null;
  type: string | null;
  frame: string | null;
}

/**
 * The events user `$1` on device `$2` should get with seqs above `$3`, except seqs `$4`, in
 * chat `$5` (NULL: every chat), at most `$6`, in log order: the events of each chat while they
 * were a member of it (one range per membership span), never those their device caused, and
 * of the events for one user only theirs. One row more carries the log's bounds read in the
 * same snapshot (events are NULL in it when there are none).
 *
 * One keyset range per span, each cut at the limit: the cost follows the page and the number
 * of chats, never the size of the log.
 */
export const logPage = sql(
  'log.page',
  `SELECT sm.up_to AS mark, sm.trimmed_to,
          coalesce(pg_sequence_last_value('stream_seq'::regclass), 0) AS last_seq,
          p.id, p.chat_id, p.type, p.frame
   FROM stream_marks sm
   LEFT JOIN LATERAL (
     SELECT e.id, e.chat_id, e.type, e.frame
     FROM member_spans s
     CROSS JOIN LATERAL (
       SELECT e.id, e.chat_id, e.type, e.frame FROM events e
       WHERE e.chat_id = s.chat_id AND e.id > $3 AND e.id >= s.from_seq
         AND (s.until_seq IS NULL OR e.id <= s.until_seq)
         AND (e.recipient_id IS NULL OR e.recipient_id = $1)
         AND (e.actor_id IS DISTINCT FROM $1 OR e.actor_client IS DISTINCT FROM $2)
         AND e.id <> ALL($4::bigint[])
       ORDER BY e.id LIMIT $6
     ) e
     WHERE s.user_id = $1 AND ($5::bigint IS NULL OR s.chat_id = $5)
       AND (s.until_seq IS NULL OR s.until_seq > $3)
     ORDER BY e.id LIMIT $6
   ) p ON true
   ORDER BY p.id`,
);

/** The log's bounds now: the mark, the floor and the last seq drawn. */
export const logBounds = sql(
  'log.bounds',
  `SELECT up_to AS mark, trimmed_to,
          coalesce(pg_sequence_last_value('stream_seq'::regclass), 0) AS last_seq
   FROM stream_marks`,
);

/** Users `$2` are members of chat `$1` from seq `$3` on. */
export const openSpans = sql(
  'log.open_spans',
  `INSERT INTO member_spans (chat_id, user_id, from_seq)
   SELECT $1, u, $3 FROM unnest($2::bigint[]) AS u
   ON CONFLICT DO NOTHING`,
);

/** User `$2` is no longer a member of chat `$1` after seq `$3` (which they still get). */
export const closeSpan = sql(
  'log.close_span',
  `UPDATE member_spans SET until_seq = $3
   WHERE chat_id = $1 AND user_id = $2 AND until_seq IS NULL`,
);

/** The events that carry message `$1` (of chat `$2`): its Message and its edits, locked. */
export const messageEvents = sql(
  'log.message_events',
  `SELECT id, frame FROM events
   WHERE (id = $1 AND type = 'Message') OR (message_id = $1 AND type = 'MessageEdited')
   FOR UPDATE`,
);

export const replaceFrame = sql('log.replace_frame', `UPDATE events SET frame = $2 WHERE id = $1`);

/**
 * One step of trimming: the oldest events (at most `$2`) up to the first one newer than `$1`
 * seconds, never past the mark (below it nothing is still committing), are deleted, and the
 * floor moves to the last of them — in one statement, so a reader sees either both or neither.
 * Answers how many went.
 */
export const trimLog = sql(
  'log.trim',
  `WITH sm AS (SELECT up_to, trimmed_to FROM stream_marks FOR UPDATE),
   head AS (
     SELECT e.id, e.created_at FROM events e, sm
     WHERE e.id > sm.trimmed_to AND e.id <= sm.up_to ORDER BY e.id LIMIT $2
   ), cut AS (
     SELECT coalesce(min(id) FILTER (WHERE created_at >= clock_timestamp() - make_interval(secs => $1)),
                     max(id) + 1) AS first_kept
     FROM head
   ), doomed AS (
     SELECT head.id FROM head, cut WHERE head.id < cut.first_kept
   ), gone AS (
     DELETE FROM events WHERE id IN (SELECT id FROM doomed) RETURNING id
   ), floor AS (
     UPDATE stream_marks SET trimmed_to = (SELECT max(id) FROM doomed)
     WHERE EXISTS (SELECT 1 FROM doomed) RETURNING trimmed_to
   ), spans AS (
     DELETE FROM member_spans WHERE until_seq <= (SELECT trimmed_to FROM floor)
   )
   SELECT (SELECT count(*) FROM gone)::int AS trimmed`,
);

/** Members of message `$1`'s chat other than its sender with a read pointer at or past it. */
export const messageReaders = sql(
  'log.readers',
  `SELECT m.chat_id,
          EXISTS (SELECT 1 FROM chat_members me WHERE me.chat_id = m.chat_id AND me.user_id = $2)
            AS is_member,
          ARRAY(SELECT cm.user_id FROM chat_members cm
                WHERE cm.chat_id = m.chat_id AND cm.user_id <> m.sender_id
                  AND cm.last_read_message_id >= m.id ORDER BY cm.user_id) AS reader_ids
   FROM messages m WHERE m.id = $1`,
);
