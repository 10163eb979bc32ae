import type { Knex } from 'knex';
import { SEND_FUNCTION } from './004-conversations.js';

/**
 * The realtime bus beyond PostgreSQL (realtime/bus.ts): an outbox that writers fill in their own
 * transaction when the deployment's bus is Redis or NATS, and one function, `msgr_publish()`,
 * that every writer calls — `msgr_send` and domain/events.ts alike.
 *
 * `msgr_publish(payload)` NOTIFYs, as before, unless the session says `msgr.bus = outbox` (the
 * server sets it on its connections when `MSGR_BUS` names an engine, see db/database.ts): then
 * it inserts the payload into `bus_outbox`, and the leader relays committed rows in id order
 * (realtime/outbox-relay.ts). The default path costs what it did: one function call and one
 * setting read more, no table touched.
 *
 * Outbox ids do not commit in id order either. As for marks (003-stream.ts), every INSERT into
 * the outbox first takes a shared advisory lock (PUBLISHING_LOCK, class 7239) held to the end of
 * its transaction, taken by a statement-level trigger so before the id is drawn: the leader reads
 * the last id drawn, then the holders of that lock, and once those have ended every row up to
 * that id has committed or never will — relayed up to there, in id order, every instance hears
 * one order. A Mark the leader inserts as an outbox row takes an id above every message row it
 * covers (those committed before the mark was computed), so it is relayed after them.
 *
 * `bus_relay` keeps how far the relay got (rows up to it are deleted: the outbox stays small)
 * and a random name for the deployment, which names its Redis channel or NATS subject.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE bus_outbox (
      id bigserial PRIMARY KEY,
      payload text NOT NULL
    );
    CREATE FUNCTION msgr_hold_publishing() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_advisory_xact_lock_shared(7239, pg_backend_pid() % 64);
      RETURN NULL;
    END
    $$;
    CREATE TRIGGER bus_outbox_hold_publishing BEFORE INSERT ON bus_outbox
      FOR EACH STATEMENT EXECUTE FUNCTION msgr_hold_publishing();

    CREATE TABLE bus_relay (
      id boolean PRIMARY KEY DEFAULT true CHECK (id),
      up_to bigint NOT NULL DEFAULT 0,
      deployment text NOT NULL DEFAULT md5(random()::text || clock_timestamp()::text)
    );
    INSERT INTO bus_relay DEFAULT VALUES;

    CREATE FUNCTION msgr_publish(p_payload text) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
      IF current_setting('msgr.bus', true) = 'outbox' THEN
        INSERT INTO bus_outbox (payload) VALUES (p_payload);
      ELSE
        PERFORM pg_notify('msgr_events', p_payload);
      END IF;
    END
    $$;
  `);
  await knex.raw(SEND_VIA_PUBLISH);
}

const NOTIFY_IN_SEND = `PERFORM pg_notify('msgr_events',
    json_build_object('t', 'Message', 'chat_id', v_chat, 'id', v_message)::text);`;

/** 004's send, its one NOTIFY made a `msgr_publish()`; nothing else changes. */
const SEND_VIA_PUBLISH = (() => {
  if (!SEND_FUNCTION.includes(NOTIFY_IN_SEND) || !SEND_FUNCTION.includes('CREATE FUNCTION')) {
    throw new Error('005-bus: 004-conversations.ts no longer has the send it rewrites');
  }
  return SEND_FUNCTION.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION').replace(
    NOTIFY_IN_SEND,
    `PERFORM msgr_publish(
    json_build_object('t', 'Message', 'chat_id', v_chat, 'id', v_message)::text);`,
  );
})();

export async function down(knex: Knex): Promise<void> {
  await knex.raw(SEND_FUNCTION.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION'));
  await knex.raw(`
    DROP FUNCTION IF EXISTS msgr_publish(text);
    DROP TABLE IF EXISTS bus_relay;
    DROP TRIGGER IF EXISTS bus_outbox_hold_publishing ON bus_outbox;
    DROP FUNCTION IF EXISTS msgr_hold_publishing;
    DROP TABLE IF EXISTS bus_outbox;
  `);
}
