-- msgr_send: the idempotent send, in one round trip (architecture.md, "Idempotent send").
--
-- Installed by the newest migration that changes it (014-read-only-replays), and compared with the installed
-- function by a test (test/send-function.test.ts). To change it: copy this text into that
-- migration as a frozen string first (as 004 to 007 keep theirs), then edit it here and install
-- it from a new migration. Called with named parameters (db/messages-queries.ts), so the order of
-- the parameters is nobody's business but this file's.
--
-- Answers one row: `status` is created | replayed | operation_id_conflict |
-- idempotency_key_conflict | user_not_found | group_not_found | hook_not_found | chat_forbidden |
-- reply_to_invalid | attachment_invalid | mention_invalid | thread_invalid | rate_limited; the
-- message columns are
-- set for created and replayed (a replay answers the message as it is now: edited or deleted
-- since, maybe). Every failure writes nothing, so it never uses up the operation id.
--
-- Since v1.2 the new message is also its own event in the log (`events`, migration 006): the same
-- transaction appends it under the message's own id, so a message never exists without its event
-- and the stream marks cover both with one sequence.
--
-- Since v1.3 a message may carry files (`message_attachments`, migration 007): the sender's own
-- uploads, in the order given, bound to the operation id with the rest of the request.
--
-- Since v1.4 (migration 009) a message may name people (`p_mentions`, members of the chat, and
-- `p_mention_all`) and belong to a thread (`p_thread_id`: a top-level, non-deleted message of
-- the chat). A reply updates its root's summary and makes its people follow the thread, in the
-- same transaction, under the chat's lock.
--
-- Since v1.5 (migration 010) the key may be an `Idempotency-Key` instead of an operation id
-- (`p_idempotency_key`, claimed in `idempotency_keys` by msgr_claim_key, the one table of keys
-- that group creation shares), and the target may be an incoming webhook (`p_target_kind`
-- 'hook'): its bot posts into the hook's chat, which it is not a member of.
CREATE OR REPLACE FUNCTION msgr_send(
  p_sender bigint,            -- the sending user
  p_target_kind text,         -- 'user' (a direct chat), 'group' or 'hook' (its bot posting)
  p_target_id bigint,         -- that user's, group's or hook's id
  p_operation_id smallint,    -- the idempotency key, per sender (NULL with p_idempotency_key)
  p_text text,                -- stored as sent
  p_window_seconds integer,   -- how long the key stays bound to this request
  p_client_id text,           -- the sending device: it does not get its own events back
  p_sends_per_minute integer, -- the sender's budget of new messages (0: none)
  p_reply_to bigint,          -- the message of the same chat this one answers, or NULL
  p_search_words text[],      -- the text's normalised words (domain/search-words.ts)
  p_attachments text[],       -- file ids, distinct, at most 10 (checked by the caller); or {}
  p_mentions bigint[],        -- user ids, distinct, at most 50 (checked by the caller); or {}
  p_mention_all boolean,      -- the message names everyone in the chat
  p_thread_id bigint,         -- the thread's root, or NULL (top level)
  p_idempotency_key text      -- the request's Idempotency-Key: the key instead of the operation id
) RETURNS TABLE (
  status text, message_id bigint, chat_id bigint, created_at timestamptz, is_read boolean,
  retry_after double precision, msg_text text, msg_edited_at timestamptz, msg_deleted boolean,
  msg_reply_to bigint, msg_attachments json, msg_mentions bigint[], msg_mention_all boolean,
  msg_thread_id bigint, msg_thread json
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  -- What the operation id is bound to. Without a reply, files, mentions or a thread it is the
  -- hash v1.0 computed, so a repeat that crosses an upgrade still replays.
  v_hash bytea := sha256(convert_to(
    p_target_kind || ':' || p_target_id
      || CASE WHEN p_reply_to IS NULL THEN '' ELSE ';' || p_reply_to END
      || CASE WHEN cardinality(p_attachments) > 0
              THEN '@' || array_to_string(p_attachments, ',') ELSE '' END
      || CASE WHEN cardinality(p_mentions) > 0
              THEN '#' || array_to_string(p_mentions, ',') ELSE '' END
      || CASE WHEN p_mention_all THEN '#all' ELSE '' END
      || CASE WHEN p_thread_id IS NULL THEN '' ELSE '^' || p_thread_id END
      || ':' || p_text, 'UTF8'));
  v_chat bigint;
  v_key text;
  v_is_new_chat boolean := false;
  v_claim text;                -- what msgr_claim_key said of an Idempotency-Key
  v_replay_of bigint;          -- the message an earlier request under the key created
  v_message bigint;
  v_created timestamptz;
  v_is_read boolean;
  v_wait double precision;
  v_attachments text := '[]';  -- the new message's files as JSON (none: no lookup)
  v_root_sender bigint;
  v_root_mentions bigint[];
BEGIN
  -- 0. A send that would lock its chat before claiming its key (to a group, by a hook, into a
  --    thread) first looks for the key: one already bound within its window decides the send
  --    now, a replay or a conflict, which then reads and locks nothing below. Only a committed
  --    claim is seen here; one still in flight is waited for in 2. (A send to a person locks
  --    nothing before 2, so it goes there directly: a new one pays no extra lookup.)
  IF p_target_kind <> 'user' OR p_thread_id IS NOT NULL THEN
    IF p_idempotency_key IS NULL THEN
      SELECT CASE WHEN o.request_hash = v_hash THEN 'replayed' ELSE 'operation_id_conflict' END,
             o.message_id
        INTO v_claim, v_replay_of
        FROM message_operations o
        WHERE o.sender_id = p_sender AND o.operation_id = p_operation_id
          AND o.expires_at > now();
    ELSE
      SELECT CASE WHEN k.request_hash = v_hash THEN 'replayed' ELSE 'idempotency_key_conflict' END,
             k.result_id
        INTO v_claim, v_replay_of
        FROM idempotency_keys k
        WHERE k.user_id = p_sender AND k.key = p_idempotency_key AND k.expires_at > now();
    END IF;
  END IF;

  -- 1. The target must exist and accept the sender. Nothing is written before this passes.
  --    A group's chat row is locked first: a member being removed at the same moment (which
  --    locks it too) is then either still a member when the message is created, or gone. A
  --    send decided in 0 creates nothing, so it does not lock: it sees the members as they are.
  IF p_target_kind = 'user' THEN
    PERFORM 1 FROM users WHERE id = p_target_id AND deleted_at IS NULL;
    IF NOT FOUND THEN
      status := 'user_not_found';
      RETURN NEXT;
      RETURN;
    END IF;
    v_key := least(p_sender, p_target_id) || ':' || greatest(p_sender, p_target_id);
    SELECT c.id INTO v_chat FROM chats c WHERE c.direct_key = v_key;
    -- A reply's root must still be there when the reply is made: the chat is locked now (as a
    -- group's is below), so a deletion of the root either went first or waits for this send.
    IF p_thread_id IS NOT NULL AND v_chat IS NOT NULL AND v_claim IS NULL THEN
      PERFORM 1 FROM chats c WHERE c.id = v_chat FOR UPDATE;
    END IF;
    IF cardinality(p_mentions) > 0
       AND NOT (p_mentions <@ ARRAY[p_sender, p_target_id]) THEN
      status := 'mention_invalid';
      RETURN NEXT;
      RETURN;
    END IF;
  ELSIF p_target_kind = 'group' THEN
    SELECT g.chat_id INTO v_chat FROM groups g WHERE g.id = p_target_id;
    IF NOT FOUND THEN
      status := 'group_not_found';
      RETURN NEXT;
      RETURN;
    END IF;
    IF v_claim IS NULL THEN
      PERFORM 1 FROM chats c WHERE c.id = v_chat FOR UPDATE;
    END IF;
    PERFORM 1 FROM chat_members m WHERE m.chat_id = v_chat AND m.user_id = p_sender;
    IF NOT FOUND THEN
      status := 'chat_forbidden';
      RETURN NEXT;
      RETURN;
    END IF;
  ELSE
    -- A hook's bot, into the hook's chat: the hook row is its right to post there. A hook
    -- deleted at the same moment (which locks the chat too) either went first or waits.
    SELECT h.chat_id INTO v_chat FROM hooks h WHERE h.id = p_target_id AND h.bot_id = p_sender;
    IF NOT FOUND THEN
      status := 'hook_not_found';
      RETURN NEXT;
      RETURN;
    END IF;
    IF v_claim IS NULL THEN
      PERFORM 1 FROM chats c WHERE c.id = v_chat FOR UPDATE;
    END IF;
    PERFORM 1 FROM hooks h WHERE h.id = p_target_id;
    IF NOT FOUND THEN
      status := 'hook_not_found';
      RETURN NEXT;
      RETURN;
    END IF;
  END IF;
  IF p_target_kind <> 'user' AND cardinality(p_mentions) > 0 THEN
    PERFORM 1 FROM chat_members m WHERE m.chat_id = v_chat AND m.user_id = ANY (p_mentions)
      HAVING count(*) = cardinality(p_mentions);
    IF NOT FOUND THEN
      status := 'mention_invalid';
      RETURN NEXT;
      RETURN;
    END IF;
  END IF;
  IF p_thread_id IS NOT NULL THEN
    SELECT m.sender_id, m.mentions INTO v_root_sender, v_root_mentions FROM messages m
      WHERE m.id = p_thread_id AND m.chat_id = v_chat AND m.thread_id IS NULL
        AND m.deleted_at IS NULL;
    IF NOT FOUND THEN
      status := 'thread_invalid';
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
    -- A hook's bot has no token to upload with: its posts may carry the hook maker's files.
    PERFORM 1 FROM files f WHERE f.id = ANY (p_attachments)
        AND (f.uploader_id = p_sender
             OR (p_target_kind = 'hook'
                 AND f.uploader_id = (SELECT h.creator_id FROM hooks h WHERE h.id = p_target_id)))
      HAVING count(*) = cardinality(p_attachments);
    IF NOT FOUND THEN
      status := 'attachment_invalid';
      RETURN NEXT;
      RETURN;
    END IF;
  END IF;

  -- 2. Claim the key, unless 0 decided. A live key held by a transaction in flight makes this
  --    statement wait for that transaction's end; then either the key is ours (new, or taken
  --    over once expired), or we see its owner. Seeing the owner locks and writes nothing: a
  --    replay or a conflict is read-only, so it needs no transaction id, no WAL and no flush
  --    (014-read-only-replays). Only an expired key is updated; a key that changes hands
  --    meanwhile (a concurrent takeover, or its claim taken back) is looked at again.
  IF v_claim IS NULL AND p_idempotency_key IS NULL THEN
    LOOP
      INSERT INTO message_operations (sender_id, operation_id, request_hash, expires_at)
      VALUES (p_sender, p_operation_id, v_hash, now() + make_interval(secs => p_window_seconds))
      ON CONFLICT (sender_id, operation_id) DO NOTHING;
      EXIT WHEN FOUND;
      SELECT CASE WHEN o.request_hash = v_hash THEN 'replayed' ELSE 'operation_id_conflict' END,
             o.message_id
        INTO v_claim, v_replay_of
        FROM message_operations o
        WHERE o.sender_id = p_sender AND o.operation_id = p_operation_id
          AND o.expires_at > now();
      EXIT WHEN FOUND;
      UPDATE message_operations o
        SET request_hash = v_hash, expires_at = now() + make_interval(secs => p_window_seconds),
            message_id = NULL
        WHERE o.sender_id = p_sender AND o.operation_id = p_operation_id
          AND o.expires_at <= now();
      EXIT WHEN FOUND;
    END LOOP;
  ELSIF v_claim IS NULL THEN
    SELECT k.state, k.result_id INTO v_claim, v_replay_of
      FROM msgr_claim_key(p_sender, p_idempotency_key, v_hash, p_window_seconds) k;
    IF v_claim = 'conflict' THEN
      v_claim := 'idempotency_key_conflict';
    END IF;
  END IF;
  IF v_claim IN ('operation_id_conflict', 'idempotency_key_conflict') THEN
    status := v_claim;
    RETURN NEXT;
    RETURN;
  END IF;
  IF v_claim = 'replayed' THEN
    RETURN QUERY
      SELECT 'replayed', m.id, m.chat_id, m.created_at,
             NOT EXISTS (SELECT 1 FROM chat_members cm
                         WHERE cm.chat_id = m.chat_id AND cm.user_id <> m.sender_id
                           AND cm.last_read_message_id < m.id),
             NULL::double precision, m.text, m.edited_at, m.deleted_at IS NOT NULL, m.reply_to,
             CASE WHEN m.has_attachments THEN msgr_attachments(m.id)::json ELSE '[]'::json END,
             m.mentions, m.mention_all, m.thread_id,
             msgr_thread_json(m.reply_count, m.last_reply_id, m.last_reply_at,
                              m.thread_participants)
      FROM messages m WHERE m.id = v_replay_of;
    RETURN;
  END IF;

  -- 3. A new message: it costs one token of the sender's budget, or nothing happens at all
  --    (the claim is taken back, so the operation id stays free).
  IF p_sends_per_minute > 0 THEN
    v_wait := msgr_rate_take('send:' || p_sender, p_sends_per_minute, p_sends_per_minute / 60.0);
    IF v_wait > 0 THEN
      IF p_idempotency_key IS NULL THEN
        DELETE FROM message_operations o
          WHERE o.sender_id = p_sender AND o.operation_id = p_operation_id;
      ELSE
        DELETE FROM idempotency_keys k WHERE k.user_id = p_sender AND k.key = p_idempotency_key;
      END IF;
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
                        has_attachments, mentions, mention_all, thread_id)
    VALUES (v_chat, p_sender, p_client_id, p_text, p_reply_to, array_to_tsvector(p_search_words),
            cardinality(p_attachments) > 0, p_mentions, p_mention_all, p_thread_id)
    RETURNING id, created_at INTO v_message, v_created;
  IF p_idempotency_key IS NULL THEN
    UPDATE message_operations o SET message_id = v_message
      WHERE o.sender_id = p_sender AND o.operation_id = p_operation_id;
  ELSE
    UPDATE idempotency_keys k SET result_id = v_message
      WHERE k.user_id = p_sender AND k.key = p_idempotency_key;
  END IF;
  -- The files' rows are key-share locked by these inserts: the orphan sweep, which deletes only
  -- files attached nowhere, either went first (the insert then fails: attachment_invalid) or
  -- waits and then sees them attached.
  IF cardinality(p_attachments) > 0 THEN
    INSERT INTO message_attachments (message_id, position, file_id)
      SELECT v_message, a.n, a.id FROM unnest(p_attachments) WITH ORDINALITY AS a(id, n);
    UPDATE files f SET attached_count = f.attached_count + 1 WHERE f.id = ANY (p_attachments);
    v_attachments := msgr_attachments(v_message);
  END IF;
  -- The people it names, but its sender: their mentions, their unread mentions.
  IF cardinality(p_mentions) > 0 THEN
    INSERT INTO message_mentions (user_id, message_id, chat_id)
      SELECT u, v_message, v_chat FROM unnest(p_mentions) AS u WHERE u <> p_sender;
  END IF;
  -- A reply: its root's summary moves, and the thread's people follow it (an unfollow stays).
  -- The replier has read their own reply.
  IF p_thread_id IS NOT NULL THEN
    UPDATE messages r SET
      reply_count = r.reply_count + 1, last_reply_id = v_message, last_reply_at = v_created,
      thread_participants = CASE
        WHEN r.thread_participants IS NULL THEN
          ARRAY[r.sender_id] || CASE WHEN p_sender = r.sender_id THEN '{}'::bigint[]
                                     ELSE ARRAY[p_sender] END
        WHEN p_sender = ANY (r.thread_participants) THEN r.thread_participants
        ELSE r.thread_participants || p_sender END
      WHERE r.id = p_thread_id;
    INSERT INTO thread_follows (user_id, root_id, chat_id)
      SELECT DISTINCT u, p_thread_id, v_chat
      FROM unnest(ARRAY[v_root_sender] || v_root_mentions || p_mentions) AS u
      WHERE u <> p_sender
        AND EXISTS (SELECT 1 FROM chat_members cm WHERE cm.chat_id = v_chat AND cm.user_id = u)
      ON CONFLICT DO NOTHING;
    INSERT INTO thread_follows AS f (user_id, root_id, chat_id, last_read_id)
      VALUES (p_sender, p_thread_id, v_chat, v_message)
      ON CONFLICT (user_id, root_id) DO UPDATE SET last_read_id = greatest(f.last_read_id, v_message);
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
                               v_is_read, NULL, false, p_reply_to, v_attachments, p_mentions,
                               p_mention_all, p_thread_id));
  IF v_is_new_chat THEN
    INSERT INTO member_spans (chat_id, user_id, from_seq)
      SELECT DISTINCT v_chat, u, v_message FROM unnest(ARRAY[p_sender, p_target_id]) AS u;
  END IF;
  -- Ids only; every instance reads the frame from the log. Leaves on commit.
  PERFORM msgr_announce(ARRAY[v_message]);
  RETURN QUERY SELECT 'created', v_message, v_chat, v_created, v_is_read,
    NULL::double precision, p_text, NULL::timestamptz, false, p_reply_to, v_attachments::json,
    p_mentions, p_mention_all, p_thread_id, NULL::json;
END
$$;
