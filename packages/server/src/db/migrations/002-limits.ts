import type { Knex } from 'knex';

/**
 * Limits counted across instances (contract: "Limits, abuse and exact resume"): token buckets,
 * login failures per account and IP, WebSocket leases per user, refresh-token families.
 *
 * The buckets and leases are UNLOGGED: they are counters, not data. A crash of PostgreSQL
 * empties them (every limit starts afresh), and nothing else is lost.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    -- Token buckets: "send:<user>", "group:<user>", "ip:<address>". A bucket holds at most its
    -- capacity and refills continuously; a request takes one token or is refused.
    CREATE UNLOGGED TABLE rate_buckets (
      key text PRIMARY KEY,
      tokens double precision NOT NULL,
      updated_at timestamptz NOT NULL
    );
    -- The sweep deletes buckets that have long been full again.
    CREATE INDEX rate_buckets_updated_at ON rate_buckets (updated_at);

    -- Failed logins per (email as typed, lower-cased; client IP), within a window that starts
    -- at the first failure of a series.
    CREATE TABLE login_failures (
      email text NOT NULL,
      ip text NOT NULL,
      failures integer NOT NULL,
      window_ends_at timestamptz NOT NULL,
      PRIMARY KEY (email, ip)
    );
    CREATE INDEX login_failures_window_ends_at ON login_failures (window_ends_at);

    -- Running server instances (a heartbeat) and the WebSockets each holds, so the per-user
    -- socket cap is counted across instances. A killed instance's leases stop counting once
    -- its heartbeat is stale.
    CREATE UNLOGGED TABLE instances (
      id uuid PRIMARY KEY,
      seen_at timestamptz NOT NULL
    );
    CREATE UNLOGGED TABLE socket_leases (
      instance_id uuid NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
      socket_id bigint NOT NULL,
      user_id bigint NOT NULL,
      PRIMARY KEY (instance_id, socket_id)
    );
    CREATE INDEX socket_leases_user ON socket_leases (user_id);

    -- Refresh-token families: every token descended from one login shares its family and its
    -- end (expires_at is the login's time + REFRESH_TOKEN_TTL_SECONDS). used_at is the first
    -- use; a token used again within the grace is a retry, later a theft.
    ALTER TABLE refresh_tokens ADD COLUMN family_id bigint, ADD COLUMN used_at timestamptz;
    UPDATE refresh_tokens SET family_id = id;
    ALTER TABLE refresh_tokens ALTER COLUMN family_id SET NOT NULL;
    CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
  `);
  await knex.raw(RATE_FUNCTION);
  await knex.raw(SOCKET_CLAIM_FUNCTION);
  await knex.raw(SEND_FUNCTION);
}

/**
 * Takes one token from bucket `p_key` (capacity `p_capacity`, refilled at `p_per_second`).
 * Answers 0 when taken, else the seconds until a token is there. The row lock serialises takers
 * of one bucket, so N concurrent takes on N instances take exactly N tokens.
 */
const RATE_FUNCTION = `
CREATE FUNCTION msgr_rate_take(p_key text, p_capacity double precision, p_per_second double precision)
RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE
  v_tokens double precision;
BEGIN
  INSERT INTO rate_buckets AS b (key, tokens, updated_at)
    VALUES (p_key, p_capacity - 1, clock_timestamp())
  ON CONFLICT (key) DO UPDATE
    SET tokens = least(p_capacity, b.tokens
          + greatest(0, extract(epoch FROM clock_timestamp() - b.updated_at)) * p_per_second) - 1,
        updated_at = clock_timestamp()
    WHERE least(p_capacity, b.tokens
          + greatest(0, extract(epoch FROM clock_timestamp() - b.updated_at)) * p_per_second) >= 1;
  IF FOUND THEN
    RETURN 0;
  END IF;
  -- Refused: the row is locked by the statement above, so this reads the state it refused.
  SELECT least(p_capacity, b.tokens
           + greatest(0, extract(epoch FROM clock_timestamp() - b.updated_at)) * p_per_second)
    INTO v_tokens FROM rate_buckets b WHERE b.key = p_key;
  RETURN greatest(0.001, (1 - v_tokens) / p_per_second);
END
$$;
`;

/**
 * Leases one WebSocket for `p_user` on instance `p_instance` unless the user already holds
 * `p_max` on live instances (heartbeat within `p_live_seconds`). One transaction-level advisory
 * lock per user makes concurrent claims on several instances count each other.
 */
const SOCKET_CLAIM_FUNCTION = `
CREATE FUNCTION msgr_socket_claim(
  p_instance uuid, p_socket bigint, p_user bigint, p_max integer, p_live_seconds integer
) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7236, (p_user % 2147483647)::integer);
  IF (SELECT count(*) FROM socket_leases l JOIN instances i ON i.id = l.instance_id
      WHERE l.user_id = p_user
        AND i.seen_at > clock_timestamp() - make_interval(secs => p_live_seconds)) >= p_max THEN
    RETURN false;
  END IF;
  INSERT INTO socket_leases (instance_id, socket_id, user_id) VALUES (p_instance, p_socket, p_user);
  RETURN true;
END
$$;
`;

/**
 * The idempotent send of 001, plus the sender's message budget (p_sends_per_minute, 0: none).
 * The budget is taken where the send is decided: after the key is claimed as new (a replay or a
 * raced duplicate waits for the key and never gets here, so it costs nothing) and before
 * anything else is written. A refused send deletes its claim, so its operation id stays free.
 *
 * A new overload (one more argument): instances still running the previous release keep
 * calling the 7-argument function during a rolling upgrade.
 */
const SEND_FUNCTION = `
CREATE FUNCTION msgr_send(
  p_sender bigint, p_target_kind text, p_target_id bigint, p_operation_id smallint,
  p_text text, p_window_seconds integer, p_client_id text, p_sends_per_minute integer
) RETURNS TABLE (
  status text, message_id bigint, chat_id bigint, created_at timestamptz, is_read boolean,
  retry_after double precision
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_hash bytea := sha256(convert_to(p_target_kind || ':' || p_target_id || ':' || p_text, 'UTF8'));
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
                           AND cm.last_read_message_id < m.id),
             NULL::double precision
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

  -- 5. Lock the chat row before taking a message id: ids inside a chat then follow commit
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
    NOT EXISTS (SELECT 1 FROM chat_members cm WHERE cm.chat_id = v_chat AND cm.user_id <> p_sender),
    NULL::double precision;
END
$$;
`;

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP FUNCTION IF EXISTS msgr_send(bigint, text, bigint, smallint, text, integer, text, integer);
    DROP FUNCTION IF EXISTS msgr_socket_claim;
    DROP FUNCTION IF EXISTS msgr_rate_take;
    DROP TABLE IF EXISTS socket_leases, instances, login_failures, rate_buckets;
    ALTER TABLE refresh_tokens DROP COLUMN IF EXISTS family_id, DROP COLUMN IF EXISTS used_at;
  `);
}
