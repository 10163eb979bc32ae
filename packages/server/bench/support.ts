/**
 * What the benchmarks share: a PostgreSQL database of their own, the in-process server's config,
 * HTTP calls to it, percentiles, table lines, and cleanup on exit, on error and on SIGINT/SIGTERM.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Config } from '../src/config.js';
import { withDatabase } from '../src/db/embedded.js';
import { testConfig, throwawayPostgres } from '../test/support/harness.js';

export type Answer = { status: number; headers: http.IncomingHttpHeaders; body: any };

/** One HTTP request to a server on 127.0.0.1: a JSON body (POST) or none (GET). */
export function request(
  agent: http.Agent,
  port: number,
  urlPath: string,
  body?: unknown,
  token?: string,
): Promise<Answer> {
  const payload = body === undefined ? '' : JSON.stringify(body);
  const headers: http.OutgoingHttpHeaders = {};
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = Buffer.byteLength(payload);
  }
  if (token) headers.authorization = `Bearer ${token}`;
  const method = body === undefined ? 'GET' : 'POST';
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path: urlPath, headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: text && JSON.parse(text),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The value at quantile `q` (0..1] of ascending `sorted`; NaN when empty. */
export function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.ceil(q * sorted.length) - 1] ?? NaN;
}

/**
 * One table line: the first `leftColumns` cells left-aligned in 13 characters, the others
 * right-aligned in 8 (or in their header's width plus 2, when `header` is given and longer).
 */
export function tableLine(cells: string[], leftColumns: number, header?: string[]): string {
  return cells
    .map((v, i) =>
      i < leftColumns ? v.padEnd(13) : v.padStart(Math.max(8, (header?.[i]?.length ?? 0) + 2)),
    )
    .join('');
}

const cleanups: (() => Promise<unknown>)[] = [];
let cleaning: Promise<void> | undefined;

/** Registers a setup step's undo; steps run last first. */
export function onCleanup(step: () => unknown): void {
  cleanups.push(() => Promise.resolve().then(step));
}

/** Undoes the setup, last step first; every step runs even when an earlier one fails. */
export function cleanup(): Promise<void> {
  return (cleaning ??= (async () => {
    for (const step of cleanups.reverse()) {
      await step().catch((err: unknown) => console.error('cleanup:', err));
    }
  })());
}

/**
 * Runs `main`, then cleans up whatever it set up, also when it throws; SIGINT or SIGTERM clean
 * up and exit with 130.
 */
export async function runBenchmark(main: () => Promise<void>): Promise<void> {
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      void cleanup().finally(() => process.exit(130));
    });
  }
  try {
    await main();
  } catch (err) {
    // After a signal, main fails because cleanup pulled its servers away: nothing to report.
    if (!interrupted) console.error(err);
    process.exitCode = 1;
  } finally {
    await cleanup();
  }
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

/**
 * A database of the benchmark's own, `name`, dropped at cleanup: on the server of DATABASE_URL,
 * or on an embedded PostgreSQL started in a fresh temp folder (fsync and synchronous_commit off,
 * like the test fixture) that cleanup stops and removes. `where` says which, for the header.
 */
export async function benchDatabase(name: string): Promise<{ databaseUrl: string; where: string }> {
  let adminUrl = process.env.DATABASE_URL;
  let where = 'DATABASE_URL';
  if (!adminUrl) {
    const tmpDir = await fs.mkdtemp(path.join(os.tmpdir(), 'msgr-bench-'));
    onCleanup(() => fs.rm(tmpDir, { recursive: true, force: true }));
    const embedded = await throwawayPostgres(path.join(tmpDir, 'pg'));
    onCleanup(() => embedded.stop());
    adminUrl = embedded.url;
    where = 'embedded, fsync off';
  }
  const admin = adminUrl;
  await adminQuery(admin, `CREATE DATABASE ${name}`);
  onCleanup(() => adminQuery(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  return { databaseUrl: withDatabase(admin, name), where };
}

/** An in-process server's config: the tests' (quiet, cheap bcrypt, 127.0.0.1, any port), default pool. */
export function benchConfig(databaseUrl: string, overrides: Partial<Config> = {}): Config {
  return testConfig(databaseUrl, { databasePoolMax: 10, ...overrides });
}
