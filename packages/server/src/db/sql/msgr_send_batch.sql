-- msgr_send_batch: several sends in one round trip and one transaction (README, "Coalesced
-- sends"). Installed by the newest migration that changes it (013-batch-replays-unflushed), and
-- compared with the installed function by a test (test/send-batch.test.ts); change it the way
-- msgr_send.sql says.
--
-- `p_items` is a JSON array of sends, each an array of msgr_send's arguments in the order of
-- SEND_PARAMETERS (db/messages-queries.ts). Answers one row per send: `ord`, its index in
-- `p_items`, then msgr_send's own row; or, when msgr_send raised, status 'error' with the
-- SQLSTATE, constraint and message of the error. Each send runs in a subtransaction of its own,
-- so a send that raises is undone alone and never fails its neighbours; the others commit
-- together, with one WAL flush.
--
-- Each send is read into jsonb once (inside its subtransaction, so a send that jsonb refuses
-- fails alone): `->>` on json parses the text again for every field, and the fifteen fields
-- cost 13 % of the batch's CPU per send (docs/performance.md).
--
-- A batch that created no message commits without waiting for its WAL flush
-- (`synchronous_commit` off, this transaction only), as a read-only transaction does: replays,
-- refusals and undone sends leave nothing a crash must keep (row locks, a claim taken back, a
-- spent rate-limit token), and what a replay answers was flushed before anyone could see it. A
-- batch with a new message in it commits as configured.
--
-- A send waits for no lock longer than 200 ms (`lock_timeout`, this transaction only): sends of
-- other batches may hold the same chats and streams until their batch commits, in another order.
-- A send that waited too long (55P03) or was chosen to end a deadlock (40P01) is undone and
-- answered as such; the server sends it again on its own (db/send-batcher.ts).
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
  v_created boolean := false;
  v_code text;
  v_constraint text;
  v_message text;
BEGIN
  PERFORM set_config('lock_timeout', '200ms', true);
  FOR v_element IN SELECT value FROM json_array_elements(p_items) LOOP
    BEGIN
      v_item := v_element::jsonb;
      SELECT s.* INTO status, message_id, chat_id, created_at, is_read, retry_after, msg_text,
          msg_edited_at, msg_deleted, msg_reply_to, msg_attachments, msg_mentions,
          msg_mention_all, msg_thread_id, msg_thread
        FROM msgr_send(
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
      IF FOUND THEN
        ord := v_ord;  -- err_code, err_constraint, err_message: never set, so NULL
        RETURN NEXT;
        v_created := v_created OR status = 'created';
      END IF;
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
  IF NOT v_created THEN
    PERFORM set_config('synchronous_commit', 'off', true);
  END IF;
END
$$;
