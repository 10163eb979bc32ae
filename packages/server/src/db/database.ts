import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import type { Logger } from '../logger.js';
import * as initial from './migrations/001-initial.js';
import * as limits from './migrations/002-limits.js';

// bigint columns (ids, counts) as numbers: our ids stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
// bigint[] (member ids) likewise; our arrays of ids never hold NULL.
const INT8_ARRAY = 1016 as Parameters<typeof pg.types.setTypeParser>[0];
pg.types.setTypeParser(INT8_ARRAY, (v: string) =>
  v === '{}' ? [] : v.slice(1, -1).split(',').map(Number),
);

/** A SQL statement prepared once per connection under its name: the hot paths use these. */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

/** Declares a named statement; the name must be unique in the process. */
export function sql(name: string, text: string): Statement {
  return { name, text };
}

/** What a query needs: the pool itself, or one connection inside a transaction. */
export interface Queryable {
  query<R extends object>(statement: Statement, values?: unknown[]): Promise<R[]>;
}

export interface Database extends Queryable {
  /** Knex, for migrations only; requests go through named statements. */
  readonly knex: Knex;
  /** Runs `fn` in one transaction on one connection; rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** A cheap round trip with a deadline, for /readyz. */
  ping(timeoutMs: number): Promise<boolean>;
  /** Lends one raw connection (for session-level work such as advisory locks). */
  withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const ADVISORY_LOCK_MIGRATIONS = 7_236_417_001;

/** Every migration, by name, in order. */
export const migrations: Readonly<Record<string, Knex.Migration>> = {
  '001-initial': initial,
  '002-limits': limits,
};

const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: () => Promise.resolve(Object.keys(migrations)),
  getMigrationName: (name) => name,
  getMigration: (name) => Promise.resolve(migrations[name]!),
};

function queryable(client: pg.Client): Queryable {
  return {
    async query<R extends object>(statement: Statement, values: unknown[] = []) {
      const result = await client.query<R>({ name: statement.name, text: statement.text, values });
      return result.rows;
    },
  };
}

/** Connects to `url` with a pool of at most `poolMax` connections. */
export function openDatabase(
  url: string,
  { poolMax = 10, logger }: { poolMax?: number; logger?: Logger } = {},
): Database {
  const knex = knexFactory({
    // Knex prints pool trouble with console.* unless told where to.
    log: {
      warn: (message: unknown) => logger?.warn({ message }, 'knex'),
      error: (message: unknown) => logger?.error({ message }, 'knex'),
      deprecate: (message: unknown) => logger?.debug({ message }, 'knex'),
      debug: (message: unknown) => logger?.debug({ message }, 'knex'),
    },
    client: 'pg',
    connection: { connectionString: url, application_name: 'msgr' },
    pool: { min: 0, max: poolMax, idleTimeoutMillis: 30_000 },
    acquireConnectionTimeout: 10_000,
  });
  // Knex's pool hands out node-postgres clients; borrowing them lets us use named statements.
  const pool = knex.client as {
    acquireConnection(): Promise<pg.Client>;
    releaseConnection(c: pg.Client): Promise<void>;
  };
  const acquire = () => pool.acquireConnection();
  const release = (c: pg.Client) => pool.releaseConnection(c);

  async function withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = await acquire();
    try {
      return await fn(client);
    } finally {
      await release(client);
    }
  }

  return {
    knex,
    query<R extends object>(statement: Statement, values?: unknown[]) {
      return withClient((client) => queryable(client).query<R>(statement, values));
    },
    transaction<T>(fn: (tx: Queryable) => Promise<T>) {
      return withClient(async (client) => {
        await client.query('BEGIN');
        try {
          const result = await fn(queryable(client));
          await client.query('COMMIT');
          return result;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      });
    },
    async ping(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      const probe = knex.raw('SELECT 1').then(
        () => true,
        () => false,
      );
      try {
        return await Promise.race([probe, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    withClient,
    close: () => knex.destroy(),
  };
}

/**
 * Brings the schema up to date. A PostgreSQL advisory lock makes concurrent starters wait for
 * each other, so N instances started at once against an empty database all come up and the
 * schema is created once (knex's own lock table would fail the losers instead).
 */
export async function migrate(db: Database): Promise<void> {
  await db.withClient(async (client) => {
    await client.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_MIGRATIONS]);
    try {
      await db.knex.migrate.latest({ migrationSource });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCK_MIGRATIONS]);
    }
  });
}
