import type { Knex } from 'knex';

/**
 * The whole v1 schema. See "Data model" in the architecture document; the comments here say why
 * each index exists.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE settings (
      key text PRIMARY KEY,
      value text NOT NULL
    );

    CREATE TABLE users (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      email text NOT NULL,
      name text NOT NULL,
      password_hash text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    -- Emails are unique regardless of case.
    CREATE UNIQUE INDEX users_email_lower ON users (lower(email));
    -- Prefix search (/users?query=) whatever the database's collation.
    CREATE INDEX users_email_prefix ON users (lower(email) text_pattern_ops);
    CREATE INDEX users_name_prefix ON users (lower(name) text_pattern_ops);

    CREATE TABLE chats (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      kind text NOT NULL CHECK (kind IN ('direct', 'group')),
      -- "<min user id>:<max user id>" for direct chats: the unique key that makes the first
      -- message between two users create exactly one chat.
      direct_key text UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_message_id bigint,
      CHECK ((kind = 'direct') = (direct_key IS NOT NULL))
    );

    CREATE TABLE groups (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      chat_id bigint NOT NULL UNIQUE REFERENCES chats (id),
      name text NOT NULL,
      creator_id bigint NOT NULL REFERENCES users (id),
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE chat_members (
      chat_id bigint NOT NULL REFERENCES chats (id),
      user_id bigint NOT NULL REFERENCES users (id),
      -- "Read up to": every message of the chat with id <= this is read by this member.
      last_read_message_id bigint NOT NULL DEFAULT 0,
      joined_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (chat_id, user_id)
    );
    CREATE INDEX chat_members_user ON chat_members (user_id);

    CREATE TABLE messages (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      chat_id bigint NOT NULL REFERENCES chats (id),
      sender_id bigint NOT NULL REFERENCES users (id),
      -- The sending device: live delivery and replay skip that device's own sockets.
      sender_client_id text NOT NULL,
      text text NOT NULL,
      -- clock_timestamp, not now(): times follow ids inside a chat even for long transactions.
      created_at timestamptz NOT NULL DEFAULT clock_timestamp()
    );
    -- Keyset history and unread counts: a page costs the same in a chat of any size.
    CREATE INDEX messages_chat_id ON messages (chat_id, id);

    ALTER TABLE chats ADD FOREIGN KEY (last_message_id) REFERENCES messages (id);

    -- The idempotency table: one row per (sender, operation id), each with its own expiry.
    CREATE TABLE message_operations (
      sender_id bigint NOT NULL REFERENCES users (id),
      operation_id smallint NOT NULL,
      message_id bigint REFERENCES messages (id),
      request_hash bytea NOT NULL,
      expires_at timestamptz NOT NULL,
      PRIMARY KEY (sender_id, operation_id)
    );
    CREATE INDEX message_operations_expires_at ON message_operations (expires_at);

    CREATE TABLE refresh_tokens (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      user_id bigint NOT NULL REFERENCES users (id),
      client_id text NOT NULL,
      token_hash bytea NOT NULL UNIQUE,
      expires_at timestamptz NOT NULL,
      revoked_at timestamptz
    );
    CREATE INDEX refresh_tokens_user_client ON refresh_tokens (user_id, client_id);
  `);

  await knex.raw(SEND_FUNCTION);
}

/**
 * Idempotent send in one round trip (see "Idempotent send" in the architecture document).
 * Answers one row: \`status\` is created | replayed | operation_id_conflict | user_not_found |
 * group_not_found | chat_forbidden; the message columns are set for created and replayed.
 * Failures write nothing, so they never use up the operation id.
 */
const SEND_FUNCTION = `
CREATE FUNCTION msgr_send(
  p_sender bigint, p_target_kind text, p_target_id bigint, p_operation_id smallint,
  p_text text, p_window_seconds integer, p_client_id text
) RETURNS TABLE (
  status text, message_id bigint, chat_id bigint, created_at timestamptz, is_read boolean
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_hash bytea := sha256(convert_to(p_target_kind || ':' || p_target_id || ':' || p_text, 'UTF8'));
  v_chat bigint;
  v_key text;
  v_owner message_operations%ROWTYPE;
  v_message bigint;
  v_created timestamptz;
BEGIN
  -- 1. The target must exist and accept the sender. Nothing is written before this passes.
  IF p_target_kind = 'user' THEN
    PERFORM 1 FROM users WHERE id = p_target_id;
    IF NOT FOUND THEN
      status := 'user_not_found';
      RETURN NEXT;
      RETURN;
    END IF;
  ELSE
    SELECT g.chat_id INTO v_chat FROM groups g WHERE g.id = p_target_id;
    IF NOT FOUND THEN
      status := 'group_not_found';
      RETURN NEXT;
      RETURN;
    END IF;
    PERFORM 1 FROM chat_members m WHERE m.chat_id = v_chat AND m.user_id = p_sender;
    IF NOT FOUND THEN
      status := 'chat_forbidden';
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
                           AND cm.last_read_message_id < m.id)
      FROM messages m WHERE m.id = v_owner.message_id;
    RETURN;
  END IF;

  -- 3. Find or create the direct chat: the unique direct_key makes a concurrent creator wait
  --    for ours and then find it.
  IF p_target_kind = 'user' THEN
    v_key := least(p_sender, p_target_id) || ':' || greatest(p_sender, p_target_id);
    INSERT INTO chats (kind, direct_key) VALUES ('direct', v_key)
      ON CONFLICT (direct_key) DO NOTHING RETURNING id INTO v_chat;
    IF v_chat IS NULL THEN
      SELECT c.id INTO v_chat FROM chats c WHERE c.direct_key = v_key;
    ELSE
      INSERT INTO chat_members (chat_id, user_id)
        SELECT DISTINCT v_chat, u FROM unnest(ARRAY[p_sender, p_target_id]) AS u;
    END IF;
  END IF;

  -- 4. Lock the chat row before taking a message id: ids inside a chat then follow commit
  --    order, so a reader resuming "after id X" never misses a message committed later.
  PERFORM 1 FROM chats c WHERE c.id = v_chat FOR UPDATE;
  INSERT INTO messages (chat_id, sender_id, sender_client_id, text)
    VALUES (v_chat, p_sender, p_client_id, p_text)
    RETURNING id, created_at INTO v_message, v_created;
  UPDATE message_operations o SET message_id = v_message
    WHERE o.sender_id = p_sender AND o.operation_id = p_operation_id;
  UPDATE chats c SET last_message_id = v_message WHERE c.id = v_chat;
  -- Ids only (NOTIFY payloads are small and identical ones collapse); delivered on commit.
  PERFORM pg_notify('msgr_events',
    json_build_object('t', 'Message', 'chat_id', v_chat, 'id', v_message)::text);
  RETURN QUERY SELECT 'created', v_message, v_chat, v_created,
    NOT EXISTS (SELECT 1 FROM chat_members cm WHERE cm.chat_id = v_chat AND cm.user_id <> p_sender);
END
$$;
`;

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP FUNCTION IF EXISTS msgr_send;
    DROP TABLE IF EXISTS refresh_tokens, message_operations, groups, chat_members, settings CASCADE;
    DROP TABLE IF EXISTS messages, chats, users CASCADE;
  `);
}
