import { readFileSync } from 'node:fs';
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

/** db/sql/msgr_send_batch.sql as this migration installs it (the file is today's batch). */
const BATCH_FUNCTION = readFileSync(new URL('../sql/msgr_send_batch.sql', import.meta.url), 'utf8');

export async function down(knex: Knex): Promise<void> {
  await knex.raw(BATCH_FUNCTION_011);
}
