import { readFileSync } from 'node:fs';
import type { Knex } from 'knex';
import {
  CLAIM_KEY_FUNCTION as CLAIM_KEY_FUNCTION_010,
  SEND_FUNCTION as SEND_FUNCTION_010,
} from './010-integrations.js';

/**
 * A replay, or a conflict, only reads its key: msgr_send and msgr_claim_key claim with
 * `ON CONFLICT DO NOTHING` and update only an expired key, where before `ON CONFLICT DO UPDATE
 * … WHERE` locked the row it did not update. A read-only answer needs no transaction id, writes
 * no WAL and, durable, waits for no flush. A send that locks its chat before its key (to a
 * group, by a hook, into a thread) first looks for a live key, so a replay of one does not
 * wait for the chat either. Same signatures, same answers: an instance of the release before
 * works beside this one.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(CLAIM_KEY_FUNCTION);
  await knex.raw(SEND_FUNCTION);
}

/** db/sql/msgr_send.sql as this migration installs it (the file is today's send). */
const SEND_FUNCTION = readFileSync(new URL('../sql/msgr_send.sql', import.meta.url), 'utf8');

/** msgr_claim_key as this migration installs it. */
const CLAIM_KEY_FUNCTION = `
-- Claims user p_user's key p_key for a request whose hash is p_hash, for p_window seconds.
-- Answers 'claimed' (the caller makes the thing and sets result_id in its transaction),
-- 'replayed' with the result of the same request made earlier, or 'conflict' (another
-- request holds the key). A claim in flight makes a concurrent one wait for its end. Seeing
-- the owner locks and writes nothing; only an expired key is updated, and a key that changes
-- hands meanwhile (a concurrent takeover, or its claim taken back) is looked at again.
CREATE OR REPLACE FUNCTION msgr_claim_key(p_user bigint, p_key text, p_hash bytea, p_window integer)
RETURNS TABLE (state text, result_id bigint) LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  LOOP
    INSERT INTO idempotency_keys (user_id, key, request_hash, expires_at)
    VALUES (p_user, p_key, p_hash, now() + make_interval(secs => p_window))
    ON CONFLICT (user_id, key) DO NOTHING;
    EXIT WHEN FOUND;
    RETURN QUERY
      SELECT CASE WHEN k.request_hash = p_hash THEN 'replayed' ELSE 'conflict' END, k.result_id
      FROM idempotency_keys k
      WHERE k.user_id = p_user AND k.key = p_key AND k.expires_at > now();
    IF FOUND THEN
      RETURN;
    END IF;
    UPDATE idempotency_keys k
      SET request_hash = p_hash, expires_at = now() + make_interval(secs => p_window),
          result_id = NULL
      WHERE k.user_id = p_user AND k.key = p_key AND k.expires_at <= now();
    EXIT WHEN FOUND;
  END LOOP;
  RETURN QUERY SELECT 'claimed'::text, NULL::bigint;
END
$$;
`;

export async function down(knex: Knex): Promise<void> {
  await knex.raw(CLAIM_KEY_FUNCTION_010);
  await knex.raw(SEND_FUNCTION_010);
}
