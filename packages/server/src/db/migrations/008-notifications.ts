import type { Knex } from 'knex';

/**
 * v1.4 — notification levels (contract: "v1.4 — mentions, threads and notification levels",
 * *Notification levels*).
 *
 * - `chat_members.notify_level`: how much of the chat the member wants to hear of — `all`,
 *   `mentions` (only messages that mention them) or `none`. Kept on the server, per user and
 *   chat, so that every device of theirs agrees; leaving a chat forgets it with the row.
 * - `chat_members.muted_until`: when a level other than `all` lapses (NULL: it holds until
 *   changed). The *effective* level is `notify_level` while `muted_until` is NULL or in the
 *   future, else `all`: a temporary mute ends by itself, with nothing to run and no event
 *   (domain/notifications.ts). `all` never carries a time: there is nothing to lapse.
 *
 * Both columns have constant defaults, so adding them rewrites no row; the checks read the
 * table once.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE chat_members
      ADD COLUMN notify_level text NOT NULL DEFAULT 'all'
        CONSTRAINT chat_members_notify_level CHECK (notify_level IN ('all', 'mentions', 'none')),
      ADD COLUMN muted_until timestamptz,
      ADD CONSTRAINT chat_members_muted_until CHECK (notify_level <> 'all' OR muted_until IS NULL);
  `);
}

export function down(): Promise<void> {
  return Promise.reject(
    new Error('008-notifications cannot be undone in place: restore the database from a backup'),
  );
}
