import type { Knex } from 'knex';
import { BATCH_FUNCTION as BATCH_FUNCTION_011 } from './011-send-batch.js';

/**
 * msgr_send_batch reads each send into jsonb once instead of parsing its JSON text again for
 * every field (db/sql/msgr_send_batch.sql). Same signature, same answers: an instance of the
 * release before works beside this one.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(BATCH_FUNCTION);
}

/** msgr_send_batch as this migration installs it (frozen: db/sql/msgr_send_batch.sql moves on). */
export const BATCH_FUNCTION = `
CREATE OR REPLACE FUNCTION msgr_send_batch(p_items json)
RETURNS TABLE (
  ord integer, status text, message_id bigint, chat_id bigint, created_at timestamptz,
  is_read boolean, retry_after double precision, msg_text text, msg_edited_at timestamptz,
  msg_deleted boolean, msg_reply_to bigint, msg_attachments json, msg_mentions bigint[],
  msg_mention_all boolean, msg_thread_id bigint, msg_thread json,
  err_code text, err_constraint text, err_message text
) LANGUAGE plpgsql AS $$
DECLARE
  v_element json;
  v_item jsonb;
  v_ord integer := 0;
  v_code text;
  v_constraint text;
  v_message text;
BEGIN
  PERFORM set_config('lock_timeout', '200ms', true);
  FOR v_element IN SELECT value FROM json_array_elements(p_items) LOOP
    BEGIN
      v_item := v_element::jsonb;
      RETURN QUERY SELECT v_ord, s.*, NULL::text, NULL::text, NULL::text FROM msgr_send(
        p_sender => (v_item->>0)::bigint,
        p_target_kind => v_item->>1,
        p_target_id => (v_item->>2)::bigint,
        p_operation_id => (v_item->>3)::smallint,
        p_text => v_item->>4,
        p_window_seconds => (v_item->>5)::integer,
        p_client_id => v_item->>6,
        p_sends_per_minute => (v_item->>7)::integer,
        p_reply_to => (v_item->>8)::bigint,
        p_search_words => ARRAY(SELECT jsonb_array_elements_text(v_item->9)),
        p_attachments => ARRAY(SELECT jsonb_array_elements_text(v_item->10)),
        p_mentions => ARRAY(SELECT jsonb_array_elements_text(v_item->11)::bigint),
        p_mention_all => (v_item->>12)::boolean,
        p_thread_id => (v_item->>13)::bigint,
        p_idempotency_key => v_item->>14) s;
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS v_code = RETURNED_SQLSTATE, v_constraint = CONSTRAINT_NAME,
        v_message = MESSAGE_TEXT;
      RETURN QUERY SELECT v_ord, 'error'::text, NULL::bigint, NULL::bigint, NULL::timestamptz,
        NULL::boolean, NULL::double precision, NULL::text, NULL::timestamptz, NULL::boolean,
        NULL::bigint, NULL::json, NULL::bigint[], NULL::boolean, NULL::bigint, NULL::json,
        v_code, nullif(v_constraint, ''), v_message;
    END;
    v_ord := v_ord + 1;
  END LOOP;
END
$$;
`;

export async function down(knex: Knex): Promise<void> {
  await knex.raw(BATCH_FUNCTION_011);
}
