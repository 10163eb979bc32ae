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

/** msgr_send as this migration installed it (frozen; db/sql/msgr_send.sql is today's). */
const SEND_FUNCTION = `
-- msgr_send: the idempotent send, in one round trip (architecture.md, "Idempotent send").
--
-- Installed by the newest migration that changes it (006-log), and compared with the installed
-- function by a test (test/send-function.test.ts). To change it: copy this text into that
-- migration as a frozen string first (as 004 and 005 keep theirs), then edit it here and install
-- it from a new migration. Called with named parameters (db/messages-queries.ts), so the order of
-- the parameters is nobody's business but this file's.
--
-- Answers one row: \`status\` is created | replayed | operation_id_conflict | user_not_found |
-- group_not_found | chat_forbidden | reply_to_invalid | rate_limited; the message columns are
-- set for created and replayed (a replay answers the message as it is now: edited or deleted
-- since, maybe). Every failure writes nothing, so it never uses up the operation id.
--
-- Since v1.2 the new message is also its own event in the log (\`events\`, migration 006): the same
-- transaction appends it under the message's own id, so a message never exists without its event
-- and the stream marks cover both with one sequence.
CREATE OR REPLACE FUNCTION msgr_send(
  p_sender bigint,            -- the sending user
  p_target_kind text,         -- 'user' (a direct chat) or 'group'
  p_target_id bigint,         -- that user's or group's id
  p_operation_id smallint,    -- the idempotency key, per sender
  p_text text,                -- stored as sent
  p_window_seconds integer,   -- how long the key stays bound to this request
  p_client_id text,           -- the sending device: it does not get its own events back
  p_sends_per_minute integer, -- the sender's budget of new messages (0: none)
  p_reply_to bigint,          -- the message of the same chat this one answers, or NULL
  p_search_words text[]       -- the text's normalised words (domain/search-words.ts)
) RETURNS TABLE (
  status text, message_id bigint, chat_id bigint, created_at timestamptz, is_read boolean,
  retry_after double precision, msg_text text, msg_edited_at timestamptz, msg_deleted boolean,
  msg_reply_to bigint
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  -- What the operation id is bound to. Without a reply it is the hash v1.0 computed, so a
  -- repeat that crosses an upgrade still replays.
  v_hash bytea := sha256(convert_to(
    p_target_kind || ':' || p_target_id
      || CASE WHEN p_reply_to IS NULL THEN '' ELSE ';' || p_reply_to END
      || ':' || p_text, 'UTF8'));
  v_chat bigint;
  v_key text;
  v_is_new_chat boolean := false;
  v_owner message_operations%ROWTYPE;
  v_message bigint;
  v_created timestamptz;
  v_is_read boolean;
  v_wait double precision;
BEGIN
  -- 1. The target must exist and accept the sender. Nothing is written before this passes.
  --    A group's chat row is locked first: a member being removed at the same moment (which
  --    locks it too) is then either still a member when the message is created, or gone.
  IF p_target_kind = 'user' THEN
    PERFORM 1 FROM users WHERE id = p_target_id;
    IF NOT FOUND THEN
      status := 'user_not_found';
      RETURN NEXT;
      RETURN;
    END IF;
    v_key := least(p_sender, p_target_id) || ':' || greatest(p_sender, p_target_id);
    SELECT c.id INTO v_chat FROM chats c WHERE c.direct_key = v_key;
  ELSE
    SELECT g.chat_id INTO v_chat FROM groups g WHERE g.id = p_target_id;
    IF NOT FOUND THEN
      status := 'group_not_found';
      RETURN NEXT;
      RETURN;
    END IF;
    PERFORM 1 FROM chats c WHERE c.id = v_chat FOR UPDATE;
    PERFORM 1 FROM chat_members m WHERE m.chat_id = v_chat AND m.user_id = p_sender;
    IF NOT FOUND THEN
      status := 'chat_forbidden';
      RETURN NEXT;
      RETURN;
    END IF;
  END IF;
  IF p_reply_to IS NOT NULL THEN
    PERFORM 1 FROM messages m WHERE m.id = p_reply_to AND m.chat_id = v_chat;
    IF NOT FOUND THEN
      status := 'reply_to_invalid';
      RETURN NEXT;
      RETURN;
    END IF;
  END IF;

  -- 2. Claim the key. A live key held by a transaction in flight makes this statement wait for
  --    that transaction's end; then either we took over an expired key, or we see the owner.
  INSERT INTO message_operations AS o (sender_id, operation_id, request_hash, expires_at)
  VALUES (p_sender, p_operation_id, v_hash, now() + make_interval(secs => p_window_seconds))
  ON CONFLICT (sender_id, operation_id) DO UPDATE
    SET request_hash = excluded.request_hash, expires_at = excluded.expires_at, message_id = NULL
    WHERE o.expires_at <= now();
  IF NOT FOUND THEN
    SELECT * INTO v_owner FROM message_operations o
      WHERE o.sender_id = p_sender AND o.operation_id = p_operation_id;
    IF v_owner.request_hash IS DISTINCT FROM v_hash THEN
      status := 'operation_id_conflict';
      RETURN NEXT;
      RETURN;
    END IF;
    RETURN QUERY
      SELECT 'replayed', m.id, m.chat_id, m.created_at,
             NOT EXISTS (SELECT 1 FROM chat_members cm
                         WHERE cm.chat_id = m.chat_id AND cm.user_id <> m.sender_id
                           AND cm.last_read_message_id < m.id),
             NULL::double precision, m.text, m.edited_at, m.deleted_at IS NOT NULL, m.reply_to
      FROM messages m WHERE m.id = v_owner.message_id;
    RETURN;
  END IF;

  -- 3. A new message: it costs one token of the sender's budget, or nothing happens at all
  --    (the claim is taken back, so the operation id stays free).
  IF p_sends_per_minute > 0 THEN
    v_wait := msgr_rate_take('send:' || p_sender, p_sends_per_minute, p_sends_per_minute / 60.0);
    IF v_wait > 0 THEN
      DELETE FROM message_operations o
        WHERE o.sender_id = p_sender AND o.operation_id = p_operation_id;
      status := 'rate_limited';
      retry_after := v_wait;
      RETURN NEXT;
      RETURN;
    END IF;
  END IF;

  -- 4. Find or create the direct chat: the unique direct_key makes a concurrent creator wait
  --    for ours and then find it.
  IF p_target_kind = 'user' AND v_chat IS NULL THEN
    INSERT INTO chats (kind, direct_key) VALUES ('direct', v_key)
      ON CONFLICT (direct_key) DO NOTHING RETURNING id INTO v_chat;
    IF v_chat IS NULL THEN
      SELECT c.id INTO v_chat FROM chats c WHERE c.direct_key = v_key;
    ELSE
      v_is_new_chat := true;
      INSERT INTO chat_members (chat_id, user_id)
        SELECT DISTINCT v_chat, u FROM unnest(ARRAY[p_sender, p_target_id]) AS u;
    END IF;
  END IF;

  -- 5. Lock the chat row before drawing an id from the stream: the ids of a chat's events then
  --    follow commit order, so a reader resuming "after X" in one chat never misses a later one.
  PERFORM 1 FROM chats c WHERE c.id = v_chat FOR UPDATE;
  INSERT INTO messages (chat_id, sender_id, sender_client_id, text, reply_to, search_words)
    VALUES (v_chat, p_sender, p_client_id, p_text, p_reply_to, array_to_tsvector(p_search_words))
    RETURNING id, created_at INTO v_message, v_created;
  UPDATE message_operations o SET message_id = v_message
    WHERE o.sender_id = p_sender AND o.operation_id = p_operation_id;
  UPDATE chats c SET last_message_id = v_message WHERE c.id = v_chat;
  v_is_read := NOT EXISTS (SELECT 1 FROM chat_members cm
                           WHERE cm.chat_id = v_chat AND cm.user_id <> p_sender);

  -- 6. The message's event, under the message's own id: the frame every member is sent (live
  --    or replayed), never back to the sending device. A new direct chat's two members get
  --    the chat's events from this first one on.
  INSERT INTO events (id, chat_id, type, actor_id, actor_client, message_id, frame)
    VALUES (v_message, v_chat, 'Message', p_sender, p_client_id, v_message,
            msgr_message_frame('Message', v_message, v_chat, p_sender, p_text, v_created,
                               v_is_read, NULL, false, p_reply_to));
  IF v_is_new_chat THEN
    INSERT INTO member_spans (chat_id, user_id, from_seq)
      SELECT DISTINCT v_chat, u, v_message FROM unnest(ARRAY[p_sender, p_target_id]) AS u;
  END IF;
  -- Ids only; every instance reads the frame from the log. Leaves on commit.
  PERFORM msgr_announce(ARRAY[v_message]);
  RETURN QUERY SELECT 'created', v_message, v_chat, v_created, v_is_read,
    NULL::double precision, p_text, NULL::timestamptz, false, p_reply_to;
END
$$;
`;

export function down(): Promise<void> {
  return Promise.reject(
    new Error('006-log cannot be undone in place: restore the database from a backup'),
  );
}
