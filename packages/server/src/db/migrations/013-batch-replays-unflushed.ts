import { readFileSync } from 'node:fs';
import type { Knex } from 'knex';
import { BATCH_FUNCTION as BATCH_FUNCTION_012 } from './012-send-batch-jsonb.js';

/**
 * A batch that created no message (replays, refusals, undone sends) commits without waiting for
 * its WAL flush, as a read-only transaction does (db/sql/msgr_send_batch.sql). Same signature,
 * same answers: an instance of the release before works beside this one.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(BATCH_FUNCTION);
}

/** db/sql/msgr_send_batch.sql as this migration installs it (the file is today's batch). */
const BATCH_FUNCTION = readFileSync(new URL('../sql/msgr_send_batch.sql', import.meta.url), 'utf8');

export async function down(knex: Knex): Promise<void> {
  await knex.raw(BATCH_FUNCTION_012);
}
