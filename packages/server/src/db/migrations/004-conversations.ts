import type { Knex } from 'knex';

/**
 * domain/search-words.ts's searchWords as it was when this migration was written, kept here
 * so that a later change to today's words never changes what this migration did.
 */
function searchWords(text: string): string[] {
  const words = new Set<string>();
  for (const word of text
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}\p{M}]+/u)) {
    if (word !== '') words.add([...word].slice(0, 100).join(''));
  }
  return [...words];
}

/**
 * v1.1 — conversations that change: group owners, edits, tombstones, replies, reactions and
 * search. Existing rows read as they did: `edited_at` and `deleted_at` NULL, no reply, no
 * reactions; every group's owner is its creator.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE groups ADD COLUMN owner_id bigint REFERENCES users (id);
    UPDATE groups SET owner_id = creator_id;
    ALTER TABLE groups ALTER COLUMN owner_id SET NOT NULL;

    ALTER TABLE messages
      ADD COLUMN edited_at timestamptz,
      ADD COLUMN deleted_at timestamptz,
      ADD COLUMN reply_to bigint REFERENCES messages (id),
      -- The words of the text, normalised by the server (domain/search-words.ts); NULL for a
      -- tombstone, so a deleted message is never found.
      ADD COLUMN search_words tsvector;
    -- Search: every query word is a prefix match on this index, whatever the locale.
    CREATE INDEX messages_search_words ON messages USING gin (search_words);

    -- One row per (message, user, emoji): a reaction is a fact, idempotent to add or remove.
    CREATE TABLE message_reactions (
      message_id bigint NOT NULL REFERENCES messages (id),
      user_id bigint NOT NULL REFERENCES users (id),
      emoji text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (message_id, emoji, user_id)
    );
  `);
  // v1 messages get their words, in batches (the words are made in JavaScript, see above).
  for (let after = 0; ;) {
    const { rows } = await knex.raw<{ rows: { id: number; text: string }[] }>(
      'SELECT id, text FROM messages WHERE id > ? ORDER BY id LIMIT 1000',
      [after],
    );
    if (rows.length === 0) break;
    for (const row of rows) {
      await knex.raw(
        'UPDATE messages SET search_words = array_to_tsvector(?::text[]) WHERE id = ?',
        [searchWords(row.text), row.id],
      );
    }
    after = Number(rows[rows.length - 1]!.id);
  }
  await knex.raw(SEND_FUNCTION);
}

/**
 * The idempotent send of 002 with replies and search words. A reply must name a message of
 * the same chat (else `reply_to_invalid`), and it is part of what an operation id is bound to.
 * The request hash of a send without a reply is the one 001 and 002 computed, so a repeat that
 * crosses an upgrade still replays.
 *
 * Group sends lock the chat row before anything else and check membership under it: a member
 * being removed at the same moment (which locks the chat row too) is then either still a member
 * when the message is created — it is delivered to the members of that moment — or already
 * gone, and the send is refused. Never created by someone who was no longer a member.
 */
// 005-bus.ts replaces this function with the same text, its NOTIFY made a msgr_publish(): a
// later change to the send starts from 005's version.
export const SEND_FUNCTION = `
CREATE FUNCTION msgr_send(
  p_sender bigint, p_target_kind text, p_target_id bigint, p_operation_id smallint,
  p_text text, p_window_seconds integer, p_client_id text, p_sends_per_minute integer,
  p_reply_to bigint, p_search_words text[]
) RETURNS TABLE (
  status text, message_id bigint, chat_id bigint, created_at timestamptz, is_read boolean,
  retry_after double precision, msg_text text, msg_edited_at timestamptz, msg_deleted boolean,
  msg_reply_to bigint
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_hash bytea := sha256(convert_to(
    p_target_kind || ':' || p_target_id
      || CASE WHEN p_reply_to IS NULL THEN '' ELSE ';' || p_reply_to END
      || ':' || p_text, 'UTF8'));
  v_chat bigint;
  v_key text;
  v_owner message_operations%ROWTYPE;
  v_message bigint;
  v_created timestamptz;
  v_wait double precision;
BEGIN
  -- 1. The target must exist and accept the sender. Nothing is written before this passes.
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

  -- 3. A new message: it costs one token of the sender's budget, or nothing happens at all.
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
      INSERT INTO chat_members (chat_id, user_id)
        SELECT DISTINCT v_chat, u FROM unnest(ARRAY[p_sender, p_target_id]) AS u;
    END IF;
  END IF;

  -- 5. Lock the chat row before taking a message id: ids inside a chat then follow commit
  --    order, so a reader resuming "after id X" never misses a message committed later.
  PERFORM 1 FROM chats c WHERE c.id = v_chat FOR UPDATE;
  INSERT INTO messages (chat_id, sender_id, sender_client_id, text, reply_to, search_words)
    VALUES (v_chat, p_sender, p_client_id, p_text, p_reply_to, array_to_tsvector(p_search_words))
    RETURNING id, created_at INTO v_message, v_created;
  UPDATE message_operations o SET message_id = v_message
    WHERE o.sender_id = p_sender AND o.operation_id = p_operation_id;
  UPDATE chats c SET last_message_id = v_message WHERE c.id = v_chat;
  -- Ids only (NOTIFY payloads are small and identical ones collapse); delivered on commit.
  PERFORM pg_notify('msgr_events',
    json_build_object('t', 'Message', 'chat_id', v_chat, 'id', v_message)::text);
  RETURN QUERY SELECT 'created', v_message, v_chat, v_created,
    NOT EXISTS (SELECT 1 FROM chat_members cm WHERE cm.chat_id = v_chat AND cm.user_id <> p_sender),
    NULL::double precision, p_text, NULL::timestamptz, false, p_reply_to;
END
$$;
`;

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP FUNCTION IF EXISTS msgr_send(bigint, text, bigint, smallint, text, integer, text, integer, bigint, text[]);
    DROP TABLE IF EXISTS message_reactions;
    DROP INDEX IF EXISTS messages_search_words;
    ALTER TABLE messages DROP COLUMN IF EXISTS edited_at, DROP COLUMN IF EXISTS deleted_at,
      DROP COLUMN IF EXISTS reply_to, DROP COLUMN IF EXISTS search_words;
    ALTER TABLE groups DROP COLUMN IF EXISTS owner_id;
  `);
}
