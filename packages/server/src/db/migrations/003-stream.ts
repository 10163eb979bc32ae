import type { Knex } from 'knex';

/**
 * Exact resume across chats: the "persisted up to" mark of the message stream.
 *
 * Message ids of different chats do not commit in id order, so "the highest id I saw" is no
 * position for `/ws`. A mark W says more: every message with an id ≤ W has committed (or
 * aborted) and was announced before the mark. The leader instance computes it
 * (realtime/stream-marks.ts) from the id sequence and the senders in flight, which it can see
 * because every INSERT into messages first takes a shared advisory lock (SENDING_LOCK) held to
 * the end of its transaction — taken by a statement-level trigger, so before the id is drawn
 * from the sequence, whatever code path inserts.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION msgr_hold_sending() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      -- Spread over 64 keys: shared holders of one key would all meet on one lock partition.
      PERFORM pg_advisory_xact_lock_shared(7237, pg_backend_pid() % 64);
      RETURN NULL;
    END
    $$;
    CREATE TRIGGER messages_hold_sending BEFORE INSERT ON messages
      FOR EACH STATEMENT EXECUTE FUNCTION msgr_hold_sending();

    -- The last mark published: where a fresh subscription starts when its instance has not
    -- heard a mark yet.
    CREATE TABLE stream_marks (
      id boolean PRIMARY KEY DEFAULT true CHECK (id),
      up_to bigint NOT NULL
    );
    INSERT INTO stream_marks (up_to) SELECT coalesce(max(id), 0) FROM messages;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TRIGGER IF EXISTS messages_hold_sending ON messages;
    DROP FUNCTION IF EXISTS msgr_hold_sending;
    DROP TABLE IF EXISTS stream_marks;
  `);
}
