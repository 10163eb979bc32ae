import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Logger } from '../logger.js';
import { DatabaseUnavailableError } from './errors.js';
import * as initial from './migrations/001-initial.js';
import * as limits from './migrations/002-limits.js';
import * as stream from './migrations/003-stream.js';
import * as conversations from './migrations/004-conversations.js';
import * as bus from './migrations/005-bus.js';
import * as log from './migrations/006-log.js';
import * as files from './migrations/007-files.js';
import * as notifications from './migrations/008-notifications.js';
import * as mentionsThreads from './migrations/009-mentions-threads.js';
import * as integrations from './migrations/010-integrations.js';
import * as sendBatch from './migrations/011-send-batch.js';
import * as sendBatchJsonb from './migrations/012-send-batch-jsonb.js';
import * as batchReplaysUnflushed from './migrations/013-batch-replays-unflushed.js';
import * as readOnlyReplays from './migrations/014-read-only-replays.js';

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
  /**
   * Runs `COPY … TO STDOUT` (`text`, no parameters: COPY takes none) under the query deadline
   * and gathers its output: for bounded outputs (a file chunk, `db/copy-binary.ts`).
   */
  copyOut(text: string): Promise<Buffer>;
  /** Lends one raw connection (for session-level work such as advisory locks). */
  withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T>;
  /** The pool's connections now: lent out, idle, and requests waiting for one (metrics). */
  poolState(): { used: number; free: number; pending: number };
  close(): Promise<void>;
}

const ADVISORY_LOCK_MIGRATIONS = 7_236_417_001;

/** Every migration, by name, in order. */
export const migrations: Readonly<Record<string, Knex.Migration>> = {
  '001-initial': initial,
  '002-limits': limits,
  '003-stream': stream,
  '004-conversations': conversations,
  '005-bus': bus,
  '006-log': log,
  '007-files': files,
  '008-notifications': notifications,
  '009-mentions-threads': mentionsThreads,
  '010-integrations': integrations,
  '011-send-batch': sendBatch,
  '012-send-batch-jsonb': sendBatchJsonb,
  '013-batch-replays-unflushed': batchReplaysUnflushed,
  '014-read-only-replays': readOnlyReplays,
};

const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: () => Promise.resolve(Object.keys(migrations)),
  getMigrationName: (name) => name,
  getMigration: (name) => Promise.resolve(migrations[name]!),
};

/** A round trip that takes longer is taken for a dead connection (a half-open TCP path). */
export const QUERY_DEADLINE_MS = 15_000;

/** Node-postgres errors and SQLSTATEs that mean "the database is not there", not "bad query". */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);

function isUnavailable(err: unknown): boolean {
  const { code, name, message } = (err ?? {}) as {
    code?: unknown;
    name?: unknown;
    message?: unknown;
  };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_STATES.has(code))) {
    return true;
  }
  if (typeof code === 'string' && code.startsWith('08')) return true; // connection exception
  if (name === 'KnexTimeoutError' || name === 'DeadlineError') return true;
  return (
    typeof message === 'string' &&
    /Connection terminated|not queryable|timeout exceeded when trying to connect/i.test(message)
  );
}

/** The error to answer with: a 503 (retry elsewhere or later) when the database is away. */
function explained(err: unknown): unknown {
  if (!isUnavailable(err)) return err;
  return new DatabaseUnavailableError({ cause: err });
}

class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

/**
 * `work` on `client`, or a DeadlineError after `ms`: then the connection is destroyed, so the
 * pool drops it instead of lending a dead one again.
 */
export async function withDeadline<T>(client: pg.Client, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      (
        client as unknown as { connection?: { stream?: { destroy(): void } } }
      ).connection?.stream?.destroy();
      reject(new DeadlineError(`no answer from the database in ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function queryable(client: pg.Client): Queryable {
  return {
    async query<R extends object>(statement: Statement, values: unknown[] = []) {
      try {
        const work = client.query<R>({ name: statement.name, text: statement.text, values });
        return (await withDeadline(client, QUERY_DEADLINE_MS, work)).rows;
      } catch (err) {
        throw explained(err);
      }
    },
  };
}

/** BEGIN, COMMIT or ROLLBACK, under the same deadline and error mapping as queries. */
async function control(client: pg.Client, command: 'BEGIN' | 'COMMIT' | 'ROLLBACK'): Promise<void> {
  try {
    await withDeadline(client, QUERY_DEADLINE_MS, client.query(command));
  } catch (err) {
    throw explained(err);
  }
}

/**
 * Connects to `url` with a pool of at most `poolMax` connections. `usesOutbox`: stream events
 * go to the outbox instead of NOTIFY (`msgr.bus = outbox` on every connection, read by
 * `msgr_publish()`, migrations/005-bus.ts).
 */
export function openDatabase(
  url: string,
  {
    poolMax = 10,
    logger,
    usesOutbox = false,
  }: { poolMax?: number; logger?: Logger; usesOutbox?: boolean } = {},
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
    connection: {
      connectionString: url,
      application_name: 'msgr',
      // A dead path is noticed by the query deadline; these only shorten what the OS waits.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      connectionTimeoutMillis: 5_000,
      ...(usesOutbox ? { options: '-c msgr.bus=outbox' } : {}),
    },
    pool: { min: 0, max: poolMax, idleTimeoutMillis: 30_000 },
    acquireConnectionTimeout: 10_000,
  });
  // Knex's pool hands out node-postgres clients; borrowing them lets us use named statements.
  const pool = knex.client as {
    acquireConnection(): Promise<pg.Client>;
    releaseConnection(c: pg.Client): Promise<void>;
    pool?: { numUsed(): number; numFree(): number; numPendingAcquires(): number };
  };
  const acquire = () => pool.acquireConnection();
  const release = (c: pg.Client) => pool.releaseConnection(c);

  async function withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = await acquire().catch((err: unknown) => {
      throw explained(err);
    });
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
        await control(client, 'BEGIN');
        try {
          const result = await fn(queryable(client));
          await control(client, 'COMMIT');
          return result;
        } catch (err) {
          await control(client, 'ROLLBACK').catch(() => undefined);
          throw err;
        }
      });
    },
    async ping(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      // A connection that does not answer in time is destroyed, not lent again.
      const probe = withClient((client) =>
        withDeadline(client, timeoutMs, client.query('SELECT 1')),
      ).then(
        () => true,
        () => false,
      );
      try {
        return await Promise.race([probe, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    copyOut: (text) =>
      withClient(async (client) => {
        const gather = async () => {
          const parts: Buffer[] = [];
          for await (const part of client.query(copyTo(text)) as AsyncIterable<Buffer>) {
            parts.push(part);
          }
          return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
        };
        try {
          return await withDeadline(client, QUERY_DEADLINE_MS, gather());
        } catch (err) {
          throw explained(err);
        }
      }),
    withClient,
    poolState: () => ({
      used: pool.pool?.numUsed() ?? 0,
      free: pool.pool?.numFree() ?? 0,
      pending: pool.pool?.numPendingAcquires() ?? 0,
    }),
    close: () => knex.destroy(),
  };
}

/**
 * Brings the schema up to date. A PostgreSQL advisory lock makes concurrent starters wait for
 * each other, so N instances started at once against an empty database all come up and the
 * schema is created once (knex's own lock table would fail the losers instead).
 */
export async function migrate(
  db: Database,
  {
    upTo,
  }: {
    /** Stop after this migration (tests of upgrades start from an older schema). */
    upTo?: string;
  } = {},
): Promise<void> {
  await db.withClient(async (client) => {
    await client.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_MIGRATIONS]);
    try {
      if (upTo === undefined) {
        await db.knex.migrate.latest({ migrationSource });
      } else {
        for (const name of Object.keys(migrations)) {
          await db.knex.migrate.up({ migrationSource, name });
          if (name === upTo) break;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCK_MIGRATIONS]);
    }
  });
}
