import { readFileSync } from 'node:fs';
import type { Knex } from 'knex';

/**
 * v1.4 — mentions and threads (contract: "v1.4 — mentions, threads and notification levels";
 * notification levels are 008's).
 *
 * - `messages.mentions` / `mention_all`: who a message names, as ids given with the send (never
 *   parsed out of the text). `message_mentions` holds one row per person named (not the sender),
 *   so "my mentions" and "my unread mentions in this chat" are index ranges; an `@all` message is
 *   found by the partial index `messages_mention_all` instead of a row per member.
 * - `messages.thread_id`: the root a reply belongs to (NULL: top level). A root's summary is kept
 *   on its own row by the transaction that adds or deletes a reply (under the chat's lock, like
 *   every change of a chat), never recounted per read: `reply_count` (non-deleted replies),
 *   `last_reply_id` / `last_reply_at` (the latest of them, NULL when none is left) and
 *   `thread_participants` (the root's sender, then each replier in order of first reply; NULL
 *   until the first reply — the API's `thread: null`).
 * - `thread_follows`: who follows which thread and how far they have read in it. Rows are made
 *   by replies (the replier, the root's sender, whoever the root or the reply names) and by an
 *   explicit follow; an unfollow keeps the row with `is_following` false, so a later reply does
 *   not make its user follow again.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE messages
      ADD COLUMN mentions bigint[] NOT NULL DEFAULT '{}',
      ADD COLUMN mention_all boolean NOT NULL DEFAULT false,
      ADD COLUMN thread_id bigint REFERENCES messages (id),
      ADD COLUMN reply_count integer NOT NULL DEFAULT 0 CHECK (reply_count >= 0),
      ADD COLUMN last_reply_id bigint,
      ADD COLUMN last_reply_at timestamptz,
      ADD COLUMN thread_participants bigint[];

    -- A thread's replies in order; a chat's top-level messages; a chat's threads by latest reply.
    CREATE INDEX messages_thread ON messages (thread_id, id) WHERE thread_id IS NOT NULL;
    CREATE INDEX messages_top_level ON messages (chat_id, id) WHERE thread_id IS NULL;
    CREATE INDEX messages_threads ON messages (chat_id, last_reply_id)
      WHERE last_reply_id IS NOT NULL;
    CREATE INDEX messages_mention_all ON messages (chat_id, id)
      WHERE mention_all AND deleted_at IS NULL;

    CREATE TABLE message_mentions (
      user_id bigint NOT NULL REFERENCES users (id),
      message_id bigint NOT NULL REFERENCES messages (id),
      chat_id bigint NOT NULL REFERENCES chats (id),
      PRIMARY KEY (user_id, message_id)
    );
    CREATE INDEX message_mentions_by_chat ON message_mentions (user_id, chat_id, message_id);
    CREATE INDEX message_mentions_by_message ON message_mentions (message_id);

    CREATE TABLE thread_follows (
      user_id bigint NOT NULL REFERENCES users (id),
      root_id bigint NOT NULL REFERENCES messages (id),
      chat_id bigint NOT NULL REFERENCES chats (id),
      is_following boolean NOT NULL DEFAULT true,
      last_read_id bigint NOT NULL DEFAULT 0,
      PRIMARY KEY (user_id, root_id)
    );
    CREATE INDEX thread_follows_by_root ON thread_follows (root_id);

    -- A root's thread summary as the API writes it; NULL for a message that never had a reply.
    CREATE FUNCTION msgr_thread_json(p_count integer, p_last_id bigint, p_last_at timestamptz,
                                     p_participants bigint[]) RETURNS json
    LANGUAGE sql STABLE AS $$
      SELECT CASE WHEN p_participants IS NULL THEN NULL ELSE json_build_object(
        'reply_count', p_count, 'last_reply_at', msgr_iso(p_last_at),
        'last_reply_id', p_last_id, 'participant_ids', to_json(p_participants)) END
    $$;

    -- 007's frame, with mentions, mention_all, thread_id and thread (a new message's is null).
    DROP FUNCTION msgr_message_frame(text, bigint, bigint, bigint, text, timestamptz, boolean,
                                     timestamptz, boolean, bigint, text);
    CREATE FUNCTION msgr_message_frame(
      p_type text, p_id bigint, p_chat bigint, p_sender bigint, p_text text,
      p_created timestamptz, p_is_read boolean, p_edited timestamptz, p_deleted boolean,
      p_reply_to bigint, p_attachments text, p_mentions bigint[], p_mention_all boolean,
      p_thread_id bigint
    ) RETURNS text LANGUAGE sql STABLE AS $$
      SELECT '{"type":' || to_json(p_type)::text
        || ',"message":{"id":' || p_id || ',"chat_id":' || p_chat || ',"sender_id":' || p_sender
        || ',"text":' || to_json(p_text)::text
        || ',"timestamp":"' || msgr_iso(p_created) || '","is_read":' || p_is_read::text
        || ',"edited_at":' || coalesce('"' || msgr_iso(p_edited) || '"', 'null')
        || ',"deleted":' || p_deleted::text
        || ',"reply_to":' || coalesce(p_reply_to::text, 'null') || ',"reactions":[]'
        || ',"attachments":' || p_attachments
        || ',"mentions":' || to_json(p_mentions)::text
        || ',"mention_all":' || p_mention_all::text
        || ',"thread_id":' || coalesce(p_thread_id::text, 'null') || ',"thread":null}}'
    $$;

    -- Frames logged before this upgrade: top-level messages that name nobody.
    UPDATE events
    SET frame = left(frame, -2) || ',"mentions":[],"mention_all":false,"thread_id":null,"thread":null}}'
    WHERE type IN ('Message', 'MessageEdited') AND right(frame, 2) = '}}';

    DROP FUNCTION msgr_send(bigint, text, bigint, smallint, text, integer, text, integer, bigint,
                            text[], text[]);
  `);
  await knex.raw(SEND_FUNCTION);
}

/** db/sql/msgr_send.sql as this migration installs it (the file is today's send). */
const SEND_FUNCTION = readFileSync(new URL('../sql/msgr_send.sql', import.meta.url), 'utf8');

export function down(): Promise<void> {
  return Promise.reject(
    new Error('009-mentions-threads cannot be undone in place: restore the database from a backup'),
  );
}
