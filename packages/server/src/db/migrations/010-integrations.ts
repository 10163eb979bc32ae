import { readFileSync } from 'node:fs';
import type { Knex } from 'knex';

/**
 * v1.5 — bots and integrations (contract: "v1.5 — bots and integrations").
 *
 * - `users.is_bot` / `owner_id`: a bot is a user without email or password, owned by the person
 *   who made it. A deleted bot keeps its row (its messages stay, and name it): `deleted_at` is
 *   set, its tokens are gone and it has left its groups.
 * - `api_tokens`: personal access tokens (`msgr_pat_…`), only their SHA-256 kept. Revoking one
 *   deletes its row; every request made with a token reads its row, so no instance can go on
 *   accepting it. `last_used_at` is written at most once a minute per token.
 * - `idempotency_keys`: the `Idempotency-Key`s of sends and group creations, per user, bound to
 *   a hash of the request for the window (msgr_claim_key). Files keep theirs on their own rows
 *   (007), as before.
 * - `hooks`: incoming webhooks. Each has its own bot user, which posts into the hook's chat by
 *   the hook's right, not as a member; the secret in its URL is kept as a SHA-256.
 * - `webhooks`: outgoing webhooks, each a reader of the log at `position` (the form /sync
 *   takes) for its owner, delivering one event at a time. Whichever instance holds the lease
 *   (`lease_until`, `lease_holder`) delivers; a position only moves under the lease.
 *   `webhook_deliveries` keeps the attempts, trimmed to the last ones per webhook.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE users
      ALTER COLUMN email DROP NOT NULL,
      ALTER COLUMN password_hash DROP NOT NULL,
      ADD COLUMN is_bot boolean NOT NULL DEFAULT false,
      ADD COLUMN owner_id bigint REFERENCES users (id),
      ADD COLUMN deleted_at timestamptz,
      ADD CONSTRAINT users_person_or_bot
        CHECK (is_bot OR (email IS NOT NULL AND password_hash IS NOT NULL));
    CREATE INDEX users_owner ON users (owner_id) WHERE owner_id IS NOT NULL;

    CREATE TABLE api_tokens (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      name text NOT NULL,
      scopes text[] NOT NULL CHECK (scopes <@ ARRAY['read', 'write'] AND cardinality(scopes) > 0),
      token_hash bytea NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz,
      last_used_at timestamptz
    );
    CREATE INDEX api_tokens_user ON api_tokens (user_id);

    CREATE TABLE idempotency_keys (
      user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      key text NOT NULL,
      request_hash bytea NOT NULL,
      expires_at timestamptz NOT NULL,
      -- What the first request made (a message's or a group's id); NULL until it commits.
      result_id bigint,
      PRIMARY KEY (user_id, key)
    );
    CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

    CREATE TABLE hooks (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      chat_id bigint NOT NULL REFERENCES chats (id),
      bot_id bigint NOT NULL UNIQUE REFERENCES users (id),
      creator_id bigint NOT NULL REFERENCES users (id),
      name text NOT NULL,
      secret_hash bytea NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX hooks_chat ON hooks (chat_id);

    CREATE TABLE webhooks (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      owner_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      url text NOT NULL,
      events text[] NOT NULL,
      chat_ids bigint[],           -- NULL: every chat of the owner
      secret text NOT NULL,        -- whsec_…: signing needs it, so it is kept as it is
      state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'failing')),
      position text NOT NULL,      -- the log position after the last event delivered or skipped
      attempts integer NOT NULL DEFAULT 0,   -- failed attempts of the event at the position
      failing_since timestamptz,   -- the first failed attempt of that event
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      last_error text,
      lease_holder text,
      lease_until timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX webhooks_owner ON webhooks (owner_id);
    CREATE INDEX webhooks_due ON webhooks (next_attempt_at) WHERE state = 'active';

    CREATE TABLE webhook_deliveries (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      webhook_id bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
      event_seq bigint NOT NULL,
      event_type text NOT NULL,
      attempt integer NOT NULL,
      status integer,              -- the receiver's HTTP status; NULL when none came
      duration_ms integer NOT NULL,
      error text,
      at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);

    -- Claims user p_user's key p_key for a request whose hash is p_hash, for p_window seconds.
    -- Answers 'claimed' (the caller makes the thing and sets result_id in its transaction),
    -- 'replayed' with the result of the same request made earlier, or 'conflict' (another
    -- request holds the key). A claim in flight makes a concurrent one wait for its end.
    CREATE FUNCTION msgr_claim_key(p_user bigint, p_key text, p_hash bytea, p_window integer)
    RETURNS TABLE (state text, result_id bigint) LANGUAGE plpgsql AS $$
    #variable_conflict use_column
    DECLARE
      v_hash bytea;
      v_result bigint;
    BEGIN
      INSERT INTO idempotency_keys AS k (user_id, key, request_hash, expires_at)
      VALUES (p_user, p_key, p_hash, now() + make_interval(secs => p_window))
      ON CONFLICT (user_id, key) DO UPDATE
        SET request_hash = excluded.request_hash, expires_at = excluded.expires_at,
            result_id = NULL
        WHERE k.expires_at <= now();
      IF FOUND THEN
        RETURN QUERY SELECT 'claimed'::text, NULL::bigint;
        RETURN;
      END IF;
      SELECT k.request_hash, k.result_id INTO v_hash, v_result FROM idempotency_keys k
        WHERE k.user_id = p_user AND k.key = p_key;
      RETURN QUERY SELECT CASE WHEN v_hash = p_hash THEN 'replayed' ELSE 'conflict' END,
                          v_result;
    END
    $$;

    DROP FUNCTION msgr_send(bigint, text, bigint, smallint, text, integer, text, integer, bigint,
                            text[], text[], bigint[], boolean, bigint);
  `);
  await knex.raw(SEND_FUNCTION);
}

/** db/sql/msgr_send.sql as this migration installs it (the file is today's send). */
const SEND_FUNCTION = readFileSync(new URL('../sql/msgr_send.sql', import.meta.url), 'utf8');

export function down(): Promise<void> {
  return Promise.reject(
    new Error('010-integrations cannot be undone in place: restore the database from a backup'),
  );
}
