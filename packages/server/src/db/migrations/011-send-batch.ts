import { readFileSync } from 'node:fs';
import type { Knex } from 'knex';

/**
 * Coalesced sends (issue 21): `msgr_send_batch(json)` runs several sends in one statement and one
 * transaction, each in a subtransaction of its own (db/sql/msgr_send_batch.sql). msgr_send
 * itself is unchanged; nothing else moves, so an instance of the release before still works
 * beside this one.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(BATCH_FUNCTION);
}

/** db/sql/msgr_send_batch.sql as this migration installs it (the file is today's batch). */
const BATCH_FUNCTION = readFileSync(new URL('../sql/msgr_send_batch.sql', import.meta.url), 'utf8');

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP FUNCTION IF EXISTS msgr_send_batch(json)');
}
