import type { Knex } from 'knex';

/**
 * v1.3 — files and attachments (contract: "v1.3 — files and attachments").
 *
 * - `file_blobs`: one row per distinct content (sha256): where its bytes are in the store
 *   (`store_key`) and how many files (and thumbnails) refer to it. At 0 refs the leader's sweep
 *   deletes the bytes, then the row, in one transaction that holds the row: a new upload of the
 *   same bytes waits for it and then stores its own copy.
 * - `files`: what a user uploaded, as the API describes it, with its thumbnail (a blob of its
 *   own). `attached_count` counts the live messages carrying it: at 0, and older than
 *   UPLOAD_ORPHAN_SECONDS, the sweep deletes the file.
 * - `message_attachments`: the files of a message, in order (`messages.has_attachments` says
 *   whether there are any, so reading a message without files costs nothing more). A deleted
 *   message loses its rows.
 * - `uploads`: every upload in progress or recently finished (tus, and one-request uploads,
 *   which stage their bytes the same way): who, how long, under which Idempotency-Key, the file
 *   it became, and a lease, so that one request at a time writes to it whatever instance it
 *   reaches. The staged bytes are the store's `up/<id>` (and `up/<id>-t`, a thumbnail), until a
 *   blob owns them or the expired upload is swept.
 * - `file_chunks`: the bytes themselves when FILE_STORE=postgres (the default), in chunks of
 *   up to 1 MiB keyed by their offset, stored as they are (no compression of compressed data).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE file_blobs (
      sha256 bytea PRIMARY KEY,
      store_key text NOT NULL UNIQUE,
      size bigint NOT NULL,
      refs integer NOT NULL CHECK (refs >= 0)
    );
    CREATE INDEX file_blobs_unreferenced ON file_blobs (sha256) WHERE refs = 0;

    CREATE TABLE files (
      id text PRIMARY KEY,
      uploader_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      name text NOT NULL,
      size bigint NOT NULL,
      content_type text NOT NULL,
      sha256 bytea NOT NULL REFERENCES file_blobs (sha256),
      image_width integer,
      image_height integer,
      thumbnail_sha256 bytea REFERENCES file_blobs (sha256),
      thumbnail_type text,
      idempotency_key text,
      created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      attached_count integer NOT NULL DEFAULT 0 CHECK (attached_count >= 0)
    );
    CREATE INDEX files_by_uploader ON files (uploader_id) INCLUDE (size);
    CREATE UNIQUE INDEX files_idempotency ON files (uploader_id, idempotency_key)
      WHERE idempotency_key IS NOT NULL;
    CREATE INDEX files_unattached ON files (created_at) WHERE attached_count = 0;

    -- Most messages carry no file: reading one then costs no lookup of its attachments.
    ALTER TABLE messages ADD COLUMN has_attachments boolean NOT NULL DEFAULT false;

    CREATE TABLE message_attachments (
      message_id bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
      position smallint NOT NULL,
      file_id text NOT NULL REFERENCES files (id),
      PRIMARY KEY (message_id, position)
    );
    CREATE INDEX message_attachments_by_file ON message_attachments (file_id);

    CREATE TABLE uploads (
      id text PRIMARY KEY,
      user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      length bigint,
      metadata jsonb NOT NULL DEFAULT '{}',
      idempotency_key text,
      request_hash bytea,
      file_id text REFERENCES files (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      expires_at timestamptz NOT NULL,
      lease_holder text,
      lease_until timestamptz,
      lease_wanted boolean NOT NULL DEFAULT false
    );
    CREATE UNIQUE INDEX uploads_idempotency ON uploads (user_id, idempotency_key)
      WHERE idempotency_key IS NOT NULL;
    CREATE INDEX uploads_expiry ON uploads (expires_at);

    CREATE TABLE file_chunks (
      store_key text NOT NULL,
      "offset" bigint NOT NULL,
      data bytea NOT NULL,
      PRIMARY KEY (store_key, "offset")
    );
    ALTER TABLE file_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

    -- A file object as the API writes it (contract v1.3), fields in its order.
    CREATE FUNCTION msgr_file_json(f files) RETURNS json LANGUAGE sql STABLE AS $$
      SELECT json_build_object(
        'id', f.id, 'name', f.name, 'size', f.size, 'content_type', f.content_type,
        'sha256', encode(f.sha256, 'hex'), 'created_at', msgr_iso(f.created_at),
        'uploader_id', f.uploader_id,
        'image', CASE WHEN f.image_width IS NULL THEN NULL
                      ELSE json_build_object('width', f.image_width, 'height', f.image_height) END)
    $$;

    -- The attachments of message p_message as a JSON array (text), in order; '[]' when none.
    CREATE FUNCTION msgr_attachments(p_message bigint) RETURNS text LANGUAGE sql STABLE AS $$
      SELECT coalesce(json_agg(msgr_file_json(f) ORDER BY a.position)::text, '[]')
      FROM message_attachments a JOIN files f ON f.id = a.file_id
      WHERE a.message_id = p_message
    $$;

    -- 006's frame, with the message's attachments (a JSON array, as text) last.
    DROP FUNCTION msgr_message_frame(text, bigint, bigint, bigint, text, timestamptz, boolean,
                                     timestamptz, boolean, bigint);
    CREATE FUNCTION msgr_message_frame(
      p_type text, p_id bigint, p_chat bigint, p_sender bigint, p_text text,
      p_created timestamptz, p_is_read boolean, p_edited timestamptz, p_deleted boolean,
      p_reply_to bigint, p_attachments text
    ) RETURNS text LANGUAGE sql STABLE AS $$
      SELECT '{"type":' || to_json(p_type)::text
        || ',"message":{"id":' || p_id || ',"chat_id":' || p_chat || ',"sender_id":' || p_sender
        || ',"text":' || to_json(p_text)::text
        || ',"timestamp":"' || msgr_iso(p_created) || '","is_read":' || p_is_read::text
        || ',"edited_at":' || coalesce('"' || msgr_iso(p_edited) || '"', 'null')
        || ',"deleted":' || p_deleted::text
        || ',"reply_to":' || coalesce(p_reply_to::text, 'null') || ',"reactions":[]'
        || ',"attachments":' || p_attachments || '}}'
    $$;

    -- Frames logged before this upgrade carry no attachments; a message object always does.
    UPDATE events SET frame = left(frame, -2) || ',"attachments":[]}}'
    WHERE type IN ('Message', 'MessageEdited') AND right(frame, 2) = '}}';

    DROP FUNCTION msgr_send(bigint, text, bigint, smallint, text, integer, text, integer, bigint,
                            text[]);
  `);
  await knex.raw(SEND_FUNCTION);
}

/** msgr_send as this migration installed it, frozen (db/sql/msgr_send.sql is today's send). */
const SEND_FUNCTION = `
-- msgr_send: the idempotent send, in one round trip (architecture.md, "Idempotent send").
--
-- Installed by the newest migration that changes it (007-files), and compared with the installed
-- function by a test (test/send-function.test.ts). To change it: copy this text into that
-- migration as a frozen string first (as 004 and 005 keep theirs), then edit it here and install
-- it from a new migration. Called with named parameters (db/messages-queries.ts), so the order of
-- the parameters is nobody's business but this file's.
--
-- Answers one row: \`status\` is created | replayed | operation_id_conflict | user_not_found |
-- group_not_found | chat_forbidden | reply_to_invalid | attachment_invalid | rate_limited; the
-- message columns are
-- set for created and replayed (a replay answers the message as it is now: edited or deleted
-- since, maybe). Every failure writes nothing, so it never uses up the operation id.
--
-- Since v1.2 the new message is also its own event in the log (\`events\`, migration 006): the same
-- transaction appends it under the message's own id, so a message never exists without its event
-- and the stream marks cover both with one sequence.
--
-- Since v1.3 a message may carry files (\`message_attachments\`, migration 007): the sender's own
-- uploads, in the order given, bound to the operation id with the rest of the request.
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
  p_search_words text[],      -- the text's normalised words (domain/search-words.ts)
  p_attachments text[]        -- file ids, distinct, at most 10 (checked by the caller); or {}
) RETURNS TABLE (
  status text, message_id bigint, chat_id bigint, created_at timestamptz, is_read boolean,
  retry_after double precision, msg_text text, msg_edited_at timestamptz, msg_deleted boolean,
  msg_reply_to bigint, msg_attachments json
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  -- What the operation id is bound to. Without a reply or files it is the hash v1.0 computed,
  -- so a repeat that crosses an upgrade still replays.
  v_hash bytea := sha256(convert_to(
    p_target_kind || ':' || p_target_id
      || CASE WHEN p_reply_to IS NULL THEN '' ELSE ';' || p_reply_to END
      || CASE WHEN cardinality(p_attachments) > 0
              THEN '@' || array_to_string(p_attachments, ',') ELSE '' END
      || ':' || p_text, 'UTF8'));
  v_chat bigint;
  v_key text;
  v_is_new_chat boolean := false;
  v_owner message_operations%ROWTYPE;
  v_message bigint;
  v_created timestamptz;
  v_is_read boolean;
  v_wait double precision;
  v_attachments text := '[]';  -- the new message's files as JSON (none: no lookup)
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
  IF cardinality(p_attachments) > 0 THEN
    PERFORM 1 FROM files f WHERE f.id = ANY (p_attachments) AND f.uploader_id = p_sender
      HAVING count(*) = cardinality(p_attachments);
    IF NOT FOUND THEN
      status := 'attachment_invalid';
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
             NULL::double precision, m.text, m.edited_at, m.deleted_at IS NOT NULL, m.reply_to,
             CASE WHEN m.has_attachments THEN msgr_attachments(m.id)::json ELSE '[]'::json END
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
  INSERT INTO messages (chat_id, sender_id, sender_client_id, text, reply_to, search_words,
                        has_attachments)
    VALUES (v_chat, p_sender, p_client_id, p_text, p_reply_to, array_to_tsvector(p_search_words),
            cardinality(p_attachments) > 0)
    RETURNING id, created_at INTO v_message, v_created;
  UPDATE message_operations o SET message_id = v_message
    WHERE o.sender_id = p_sender AND o.operation_id = p_operation_id;
  -- The files' rows are key-share locked by these inserts: the orphan sweep, which deletes only
  -- files attached nowhere, either went first (the insert then fails: attachment_invalid) or
  -- waits and then sees them attached.
  IF cardinality(p_attachments) > 0 THEN
    INSERT INTO message_attachments (message_id, position, file_id)
      SELECT v_message, a.n, a.id FROM unnest(p_attachments) WITH ORDINALITY AS a(id, n);
    UPDATE files f SET attached_count = f.attached_count + 1 WHERE f.id = ANY (p_attachments);
    v_attachments := msgr_attachments(v_message);
  END IF;
  UPDATE chats c SET last_message_id = v_message WHERE c.id = v_chat;
  v_is_read := NOT EXISTS (SELECT 1 FROM chat_members cm
                           WHERE cm.chat_id = v_chat AND cm.user_id <> p_sender);

  -- 6. The message's event, under the message's own id: the frame every member is sent (live
  --    or replayed), never back to the sending device. A new direct chat's two members get
  --    the chat's events from this first one on.
  INSERT INTO events (id, chat_id, type, actor_id, actor_client, message_id, frame)
    VALUES (v_message, v_chat, 'Message', p_sender, p_client_id, v_message,
            msgr_message_frame('Message', v_message, v_chat, p_sender, p_text, v_created,
                               v_is_read, NULL, false, p_reply_to, v_attachments));
  IF v_is_new_chat THEN
    INSERT INTO member_spans (chat_id, user_id, from_seq)
      SELECT DISTINCT v_chat, u, v_message FROM unnest(ARRAY[p_sender, p_target_id]) AS u;
  END IF;
  -- Ids only; every instance reads the frame from the log. Leaves on commit.
  PERFORM msgr_announce(ARRAY[v_message]);
  RETURN QUERY SELECT 'created', v_message, v_chat, v_created, v_is_read,
    NULL::double precision, p_text, NULL::timestamptz, false, p_reply_to, v_attachments::json;
END
$$;
`;

export function down(): Promise<void> {
  return Promise.reject(
    new Error('007-files cannot be undone in place: restore the database from a backup'),
  );
}
