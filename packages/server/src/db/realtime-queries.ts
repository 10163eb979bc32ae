import { sql } from './database.js';
import { MESSAGE_COLUMNS, type MessageRow } from './messages-queries.js';

/** A message with its sending device, which live delivery and replay skip. */
export interface LiveMessageRow extends MessageRow {
  sender_client_id: string;
}

const IS_READ = `NOT EXISTS (SELECT 1 FROM chat_members cm
                  WHERE cm.chat_id = m.chat_id AND cm.user_id <> m.sender_id
                    AND cm.last_read_message_id < m.id) AS is_read`;

/** The membership spans of chat `$1` (realtime/member-cache.ts). */
export const chatSpans = sql(
  'realtime.chat_spans',
  `SELECT user_id, from_seq, until_seq FROM member_spans WHERE chat_id = $1`,
);

/** Replay for /ws/{chat_id}?after=: `$1` chat, `$2` after, `$3` reader, `$4` device, `$5` limit. */
export const replayChat = sql(
  'realtime.replay_chat',
  `SELECT ${MESSAGE_COLUMNS}, m.sender_client_id, ${IS_READ}
   FROM messages m
   WHERE m.chat_id = $1 AND m.id > $2 AND NOT (m.sender_id = $3 AND m.sender_client_id = $4)
   ORDER BY m.id LIMIT $5`,
);

/** Replay for /ws?after=: every chat of `$1`; `$2` after, `$3` device, `$4` limit. */
export const replayAll = sql(
  'realtime.replay_all',
  `SELECT ${MESSAGE_COLUMNS}, m.sender_client_id, ${IS_READ}
   FROM chat_members me JOIN messages m ON m.chat_id = me.chat_id
   WHERE me.user_id = $1 AND m.id > $2 AND NOT (m.sender_id = $1 AND m.sender_client_id = $3)
   ORDER BY m.id LIMIT $4`,
);

/** The last seq drawn from the stream's sequence (0 before the first). */
export const lastDrawnSeq = sql(
  'stream.last_drawn',
  `SELECT coalesce(pg_sequence_last_value('stream_seq'::regclass), 0) AS last`,
);

/**
 * The transactions drawing seqs right now (inserting messages or events, see
 * migrations/003-stream.ts and 006-log.ts), in this database.
 */
export const sendersInFlight = sql(
  'stream.senders_in_flight',
  `SELECT coalesce(array_agg(virtualtransaction), '{}') AS holders FROM pg_locks
   WHERE locktype = 'advisory' AND classid = 7237 AND objsubid = 2 AND granted
     AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
);

/**
 * Publishes mark `$1` (when it moves forward): it reaches every instance after what it covers,
 * as a NOTIFY or an outbox row (msgr_bus, migrations/006-log.ts).
 */
export const publishMark = sql(
  'stream.publish_mark',
  `WITH saved AS (UPDATE stream_marks SET up_to = $1 WHERE up_to < $1 RETURNING up_to)
   SELECT msgr_bus('{"t":"Mark","up_to":' || up_to || '}') FROM saved`,
);

export const storedMark = sql('stream.stored_mark', `SELECT up_to FROM stream_marks`);

/**
 * The outbox's "persisted up to" inputs (migrations/005-bus.ts), read in this order in one
 * statement: the last id drawn, then the transactions inserting into the outbox now.
 */
export const outboxInFlight = sql(
  'outbox.in_flight',
  `SELECT coalesce(pg_sequence_last_value('bus_outbox_id_seq'::regclass), 0) AS last,
     (SELECT coalesce(array_agg(virtualtransaction), '{}') FROM pg_locks
      WHERE locktype = 'advisory' AND classid = 7239 AND objsubid = 2 AND granted
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))
     AS holders`,
);

export const relayedUpTo = sql('outbox.relayed_up_to', `SELECT up_to FROM bus_relay`);

/** Committed outbox rows after `$1`, up to `$2`, in id order, at most `$3`. */
export const outboxRows = sql(
  'outbox.rows',
  `SELECT id, payload FROM bus_outbox WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3`,
);

/** The relay got up to `$1`: say so, and prune what is relayed. */
export const saveRelayed = sql(
  'outbox.save_relayed',
  `WITH moved AS (UPDATE bus_relay SET up_to = $1 WHERE up_to < $1 RETURNING up_to)
   DELETE FROM bus_outbox WHERE id <= $1`,
);

/** The deployment's name for its channel: the database's random name and its own name. */
export const deploymentName = sql(
  'outbox.deployment',
  `SELECT left(md5(deployment || ':' || current_database()), 16) AS name FROM bus_relay`,
);

/** Instances of this database on the PostgreSQL bus (their LISTEN connections). */
export const postgresListeners = sql(
  'outbox.postgres_listeners',
  `SELECT count(*)::int AS n FROM pg_stat_activity
   WHERE application_name = 'msgr-listener' AND datname = current_database()`,
);
