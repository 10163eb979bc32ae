import { readFileSync } from 'node:fs';
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

/** db/sql/msgr_send.sql as this migration installs it (the file is today's send). */
const SEND_FUNCTION = readFileSync(new URL('../sql/msgr_send.sql', import.meta.url), 'utf8');

export function down(): Promise<void> {
  return Promise.reject(
    new Error('007-files cannot be undone in place: restore the database from a backup'),
  );
}
