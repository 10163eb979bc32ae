import { readFileSync } from 'node:fs';
import type { Knex } from 'knex';

/**
 * v1.2 — one log of every change (contract: "v1.2 — one log of every change").
 *
 * - One sequence, `stream_seq`, orders the stream: a message's id is drawn from it, and so is
 *   every event's. A message is its own event (`events.id` = the message's id), so the stream
 *   marks of 003 (the sending lock taken before an id is drawn, "persisted up to" on the
 *   leader) cover every logged change with the one mechanism, and a `/ws` position handed out
 *   before this upgrade (a mark and message ids) is a position in the log as it is.
 * - `events`: the log. Each row is the frame its receivers are sent, as it was sent live (less
 *   its place, `seq`, and the instance's `mark`, added on the way out), with what deciding who
 *   gets it needs: the chat, the device that caused it, and the one user it is for (`Read` goes
 *   to the message's sender, `ReadMarker` to the reader's other devices).
 * - `member_spans`: who was a member of which chat, in stream positions, so that "the events of
 *   a chat while the user was a member" is a range per span. A span starts at the event that
 *   added the user and ends at the one that removed them (both included).
 * - `stream_marks.trimmed_to`: the log keeps EVENT_RETENTION_DAYS; every event at or below
 *   this may be gone, so a position below it has expired.
 *
 * Upgrading a database in place: messages of the last 30 days (the default retention) become
 * `Message` events with their ids (as they are now: a message edited or deleted since is logged
 * so), every member's span starts at the beginning, and `trimmed_to` is the newest message left
 * out, so an older position answers "expired", never a silent gap.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    DO $$
    DECLARE
      v_last bigint := greatest(
        coalesce(pg_sequence_last_value(pg_get_serial_sequence('messages', 'id')::regclass), 0),
        coalesce((SELECT max(id) FROM messages), 0));
    BEGIN
      CREATE SEQUENCE stream_seq AS bigint;
      IF v_last > 0 THEN
        PERFORM setval('stream_seq', v_last, true);
      END IF;
      ALTER TABLE messages ALTER COLUMN id DROP IDENTITY;
      ALTER TABLE messages ALTER COLUMN id SET DEFAULT nextval('stream_seq');
    END
    $$;

    CREATE TABLE events (
      id bigint PRIMARY KEY DEFAULT nextval('stream_seq'),
      chat_id bigint NOT NULL,
      type text NOT NULL,
      -- The device that caused the event: it is never sent its own events.
      actor_id bigint,
      actor_client text,
      -- When set, only this user gets the event.
      recipient_id bigint,
      -- The message it is about: a deletion redacts the text of its earlier events.
      message_id bigint,
      frame text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT clock_timestamp()
    );
    -- Replay and /sync read the events of one chat after a position: a range per chat.
    CREATE INDEX events_chat_id ON events (chat_id, id);
    -- A deletion finds the edits of its message (its Message event is found by id).
    CREATE INDEX events_edits ON events (message_id) WHERE type = 'MessageEdited';
    -- Events draw their seqs as messages draw their ids, the sending lock taken first (003):
    -- by msgr_append, the one writer that draws them (a trigger would take it again for every
    -- message's event, whose insert already holds it).

    CREATE TABLE member_spans (
      chat_id bigint NOT NULL,
      user_id bigint NOT NULL,
      from_seq bigint NOT NULL,
      until_seq bigint,
      PRIMARY KEY (user_id, chat_id, from_seq)
    );

    ALTER TABLE stream_marks ADD COLUMN trimmed_to bigint NOT NULL DEFAULT 0;

    INSERT INTO member_spans (chat_id, user_id, from_seq) SELECT chat_id, user_id, 0 FROM chat_members;
  `);
  await knex.raw(FUNCTIONS);
  await knex.raw(`
    DROP FUNCTION IF EXISTS msgr_send(bigint, text, bigint, smallint, text, integer, text);
    DROP FUNCTION IF EXISTS msgr_send(bigint, text, bigint, smallint, text, integer, text, integer);
  `);
  await knex.raw(SEND_FUNCTION);
  await knex.raw(`
    INSERT INTO events (id, chat_id, type, actor_id, actor_client, message_id, frame, created_at)
    SELECT m.id, m.chat_id, 'Message', m.sender_id, m.sender_client_id, m.id,
           msgr_message_frame('Message', m.id, m.chat_id, m.sender_id, m.text, m.created_at,
             NOT EXISTS (SELECT 1 FROM chat_members cm WHERE cm.chat_id = m.chat_id
                           AND cm.user_id <> m.sender_id AND cm.last_read_message_id < m.id),
             m.edited_at, m.deleted_at IS NOT NULL, m.reply_to),
           m.created_at
    FROM messages m WHERE m.created_at > now() - interval '30 days' ORDER BY m.id;
    UPDATE stream_marks SET trimmed_to = coalesce(
      (SELECT max(id) FROM messages WHERE created_at <= now() - interval '30 days'), 0);
  `);
}

/**
 * The log's functions. `msgr_bus` is 005's `msgr_publish` (a NOTIFY, or an outbox row for an
 * engine bus); `msgr_announce` tells every instance which events committed; `msgr_publish`
 * stays for the marks and refuses anything else: an instance of v1.1 still running would
 * otherwise make changes that are not in the log.
 */
const FUNCTIONS = `
CREATE FUNCTION msgr_bus(p_payload text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('msgr.bus', true) = 'outbox' THEN
    INSERT INTO bus_outbox (payload) VALUES (p_payload);
  ELSE
    PERFORM pg_notify('msgr_events', p_payload);
  END IF;
END
$$;

CREATE OR REPLACE FUNCTION msgr_publish(p_payload text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF p_payload::json->>'t' IS DISTINCT FROM 'Mark' THEN
    RAISE EXCEPTION 'changes are logged since v1.2: an instance of an older release is running'
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  PERFORM msgr_bus(p_payload);
END
$$;

-- Ids only (a NOTIFY holds 8000 bytes): every instance reads the frames from the log.
CREATE FUNCTION msgr_announce(p_ids bigint[]) RETURNS void LANGUAGE sql AS $$
  SELECT msgr_bus('{"t":"Log","ids":[' || array_to_string(p_ids, ',') || ']}')
$$;

-- A time as the API writes it: what JavaScript's toISOString() makes of it (milliseconds, Z).
CREATE FUNCTION msgr_iso(p_time timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT to_char(p_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- A frame carrying a message, {"type":…,"message":{…}}, as compact JSON with the fields in the
-- order of the API's message object (domain/messages.ts toMessage; a test compares the two).
-- Frames are shared by every receiver, so reactions are [] (as the contract says). Written out
-- rather than with row_to_json: it is on every send's path, and this is a few string joins.
CREATE FUNCTION msgr_message_frame(
  p_type text, p_id bigint, p_chat bigint, p_sender bigint, p_text text, p_created timestamptz,
  p_is_read boolean, p_edited timestamptz, p_deleted boolean, p_reply_to bigint
) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT '{"type":' || to_json(p_type)::text
    || ',"message":{"id":' || p_id || ',"chat_id":' || p_chat || ',"sender_id":' || p_sender
    || ',"text":' || to_json(p_text)::text
    || ',"timestamp":"' || msgr_iso(p_created) || '","is_read":' || p_is_read::text
    || ',"edited_at":' || coalesce('"' || msgr_iso(p_edited) || '"', 'null')
    || ',"deleted":' || p_deleted::text
    || ',"reply_to":' || coalesce(p_reply_to::text, 'null') || ',"reactions":[]}}'
$$;

-- Appends events (a JSON array of rows, in order: their seqs ascend so) and announces them;
-- answers their seqs. The sending lock first, as every insert that draws a seq takes it (003):
-- the marks rely on it. (A message's event takes no seq of its own, its message's id: the
-- message's insert took the lock.)
CREATE FUNCTION msgr_append(p_events json) RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE
  v_ids bigint[];
BEGIN
  PERFORM pg_advisory_xact_lock_shared(7237, pg_backend_pid() % 64);
  WITH added AS (
    INSERT INTO events (chat_id, type, actor_id, actor_client, recipient_id, message_id, frame)
    SELECT e.chat_id, e.type, e.actor_id, e.actor_client, e.recipient_id, e.message_id, e.frame
    FROM json_to_recordset(p_events) AS e(chat_id bigint, type text, actor_id bigint,
      actor_client text, recipient_id bigint, message_id bigint, frame text)
    RETURNING id
  )
  SELECT array_agg(id ORDER BY id) INTO v_ids FROM added;
  PERFORM msgr_announce(v_ids);
  RETURN v_ids;
END
$$;
`;

/** db/sql/msgr_send.sql as this migration installs it (the file is today's send). */
const SEND_FUNCTION = readFileSync(new URL('../sql/msgr_send.sql', import.meta.url), 'utf8');

export function down(): Promise<void> {
  return Promise.reject(
    new Error('006-log cannot be undone in place: restore the database from a backup'),
  );
}
