/**
 * The run's PostgreSQL: embedded in a fresh temp folder or the server of DATABASE_URL. A migrated
 * template database is made once; every scenario gets a copy of its own, dropped at the end.
 * Embedded, it comes in two configurations: `fast` (fsync, synchronous_commit and
 * full_page_writes off, like the tests') and `durable` (all three on: what production runs, each
 * commit waits for its WAL flush), started when a scenario first asks for it.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrate, openDatabase } from '../../../packages/server/src/db/database.js';
import { withDatabase } from '../../../packages/server/src/db/embedded.js';
import { throwawayPostgres } from '../../../packages/server/test/support/harness.js';
import { onCleanup } from './run.js';

export type PgConfiguration = 'fast' | 'durable';

/** The settings of each embedded configuration (on top of the tests' throwaway defaults). */
const SETTINGS: Record<PgConfiguration, Record<string, string | number>> = {
  fast: {},
  durable: { fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on' },
};

export interface BenchPostgres {
  readonly configuration: PgConfiguration;
  /** Where it runs, for the report. */
  readonly where: string;
  /** `SELECT version()`. */
  readonly version: string;
  /** A new database with the migrated schema (no users); dropped at cleanup. */
  database(label: string): Promise<string>;
}

export async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

let counter = 0;

export async function startPostgres(
  configuration: PgConfiguration = 'fast',
): Promise<BenchPostgres> {
  let adminUrl = process.env.DATABASE_URL;
  let where = 'DATABASE_URL, as configured';
  if (!adminUrl) {
    const tmpDir = await fs.mkdtemp(path.join(os.tmpdir(), 'msgr-bench-'));
    onCleanup(() => fs.rm(tmpDir, { recursive: true, force: true }));
    const embedded = await throwawayPostgres(path.join(tmpDir, 'pg'), undefined, {
      // Room for six instances' pools and the baselines' own pools.
      max_connections: 400,
      shared_buffers: '256MB',
      ...SETTINGS[configuration],
    });
    onCleanup(() => embedded.stop());
    adminUrl = embedded.url;
    where =
      configuration === 'fast'
        ? 'embedded, fsync and synchronous_commit off'
        : 'embedded, durable: fsync, synchronous_commit and full_page_writes on';
  }
  const admin = adminUrl;
  const template = `msgr_bench_template_${process.pid}`;
  await adminQuery(admin, `CREATE DATABASE ${template}`);
  onCleanup(() => adminQuery(admin, `DROP DATABASE IF EXISTS ${template} WITH (FORCE)`));
  const db = openDatabase(withDatabase(admin, template), { poolMax: 2 });
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  const { rows } = await client.query<{ v: string }>('SELECT version() AS v');
  await client.end();
  return {
    configuration,
    where,
    version: rows[0]!.v,
    async database(label) {
      const name = `msgr_bench_${label.replace(/\W/g, '_')}_${process.pid}_${++counter}`;
      await adminQuery(admin, `CREATE DATABASE ${name} TEMPLATE ${template}`);
      onCleanup(() => adminQuery(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      return withDatabase(admin, name);
    },
  };
}
