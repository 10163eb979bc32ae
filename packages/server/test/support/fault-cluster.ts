/**
 * The machinery of fault scenarios: a PostgreSQL of their own that can be stopped and started
 * again on the same data folder and port, and real server processes (`node --import tsx
 * src/main.ts`) that can be killed, stopped and started, with their log lines in
 * `artifacts/faults/logs/<scenario>/` and their memory readable from /proc.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ensureDatabase } from '../../src/db/admin.js';
import { isRunning, withDatabase, type EmbeddedPostgres } from '../../src/db/embedded.js';
import { ARTIFACTS } from './audit.js';
import { startEngine, testBusKind, type Engine } from './engines.js';
import { throwawayPostgres } from './harness.js';
import { freePort, spawnServer } from './processes.js';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` every `everyMs` until it returns something other than undefined, or throws `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 20_000, everyMs = 100 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Waits until `check` holds: {@link waitFor} for a yes-or-no condition, polled every 20 ms. */
export function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<true> {
  return waitFor(what, async () => ((await check()) ? true : undefined), {
    timeoutMs,
    everyMs: 20,
  });
}

/** A PostgreSQL cluster of one scenario, in a temporary folder. */
export interface FaultPostgres {
  /** The `postgres` database's URL (swap the path for another database). */
  readonly adminUrl: string;
  readonly port: number;
  readonly dataDir: string;
  /** The postmaster's pid now (from postmaster.pid), when it runs. */
  pid(): Promise<number | undefined>;
  /** Fast shutdown: SIGINT to the postmaster, then waits until it has exited. */
  stop(): Promise<void>;
  /** Starts it again on the same folder and port; resolves when it accepts connections. */
  start(): Promise<void>;
  /** Stops it and deletes its folder. */
  close(): Promise<void>;
}

/** PostgreSQL as production runs it: every commit flushed to disk before it is visible. */
export const DURABLE: Record<string, string> = {
  fsync: 'on',
  synchronous_commit: 'on',
  full_page_writes: 'on',
};

export async function startFaultPostgres(
  settings: Record<string, string> = {},
): Promise<FaultPostgres> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'msgr-faults-'));
  const dataDir = path.join(tmp, 'pg');
  let embedded: EmbeddedPostgres | undefined;
  // A random port may be taken: try a few.
  for (let attempt = 0; !embedded; attempt++) {
    try {
      embedded = await throwawayPostgres(dataDir, undefined, settings);
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
  const adminUrl = embedded.url;
  const port = Number(new URL(adminUrl).port);

  const pid = async (): Promise<number | undefined> => {
    try {
      const first = (await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split(
        '\n',
      )[0];
      const n = Number(first);
      return Number.isInteger(n) && n > 0 && isRunning(n) ? n : undefined;
    } catch {
      return undefined;
    }
  };
  const stop = async () => {
    const postmaster = await pid();
    if (postmaster === undefined) return;
    process.kill(postmaster, 'SIGINT');
    await waitFor('PostgreSQL to stop', () => (isRunning(postmaster) ? undefined : true), {
      timeoutMs: 30_000,
      everyMs: 50,
    });
  };
  return {
    adminUrl,
    port,
    dataDir,
    pid,
    stop,
    start: async () => {
      embedded = await throwawayPostgres(dataDir, port, settings);
    },
    close: async () => {
      await stop();
      await embedded?.stop();
      await fs.rm(tmp, { recursive: true, force: true });
    },
  };
}

/** Creates database `name` (empty: the first instance migrates it); its URL. */
export async function createDatabase(postgres: FaultPostgres, name: string): Promise<string> {
  await ensureDatabase(postgres.adminUrl, name);
  return withDatabase(postgres.adminUrl, name);
}

/** A URL like `databaseUrl` but through `port` on loopback (a proxy in front of PostgreSQL). */
export function viaPort(databaseUrl: string, port: number): string {
  const u = new URL(databaseUrl);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.toString();
}

/** Runs `fn` with one connection to `url`. */
export async function withPg<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Prometheus text → value by series (`name` or `name{labels}`). */
export function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    values.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return values;
}

/** One server instance: a child process on a fixed port. */
export interface Instance {
  readonly index: number;
  readonly port: number;
  /** `http://127.0.0.1:<port>` (stable across restarts). */
  readonly url: string;
  /** The server process's pid while it runs. */
  readonly pid: number | undefined;
  readonly isRunning: boolean;
  readonly logFile: string;
  /** Starts it (again); resolves once /readyz answers 200. */
  start(): Promise<void>;
  /** Sends `signal` (SIGKILL by default) and resolves with the exit code once it exited. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  /** /readyz's status, 0 when no answer came within `timeoutMs`. */
  readyz(timeoutMs?: number): Promise<number>;
  /** The value of one metric series of its /metrics (undefined when absent or unreachable). */
  metric(series: string): Promise<number | undefined>;
  /** Resident memory from /proc/<pid>/status (VmRSS), in bytes. */
  rssBytes(): Promise<number | undefined>;
  /** What it wrote to stderr so far. */
  stderr(): string;
}

export interface InstanceOptions {
  /** The DATABASE_URL of each instance (a proxy's, for instance), or one for all. */
  databaseUrl: string | ((index: number) => string);
  /** Extra environment for every instance. */
  env?: Record<string, string>;
  /** Names the log folder `artifacts/faults/logs/<logName>/`. */
  logName: string;
}

/** The environment fault scenarios run instances with: limits that would interfere are off. */
export function faultEnv(databaseUrl: string, port: number): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    NODE_ENV: '',
    LOG_LEVEL: process.env.FAULTS_LOG_LEVEL ?? 'warn',
    LOG_FORMAT: 'json',
    BCRYPT_ROUNDS: '4',
    JWT_SECRET: 'fault-test-secret-that-is-long-enough',
    SEED_DEMO_USERS: 'false',
    RATE_LIMIT_SENDS_PER_MINUTE: '0',
    RATE_LIMIT_GROUPS_PER_MINUTE: '0',
    RATE_LIMIT_IP_PER_MINUTE: '0',
    LOGIN_MAX_FAILURES: '0',
    WS_MAX_SOCKETS_PER_USER: '200',
  };
}

export async function startInstances(count: number, options: InstanceOptions): Promise<Instance[]> {
  const logDir = path.join(ARTIFACTS, 'logs', options.logName);
  await fs.rm(logDir, { recursive: true, force: true });
  await fs.mkdir(logDir, { recursive: true });
  const instances = await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const port = await freePort();
      const databaseUrl =
        typeof options.databaseUrl === 'function'
          ? options.databaseUrl(index)
          : options.databaseUrl;
      return instance(index, port, databaseUrl, options.env ?? {}, logDir);
    }),
  );
  // One at a time: three tsx compilations at once on two cores take longer than in turn.
  for (const i of instances) await i.start();
  return instances;
}

function instance(
  index: number,
  port: number,
  databaseUrl: string,
  env: Record<string, string>,
  logDir: string,
): Instance {
  const url = `http://127.0.0.1:${port}`;
  const logFile = path.join(logDir, `instance-${index}.log`);
  let child: ChildProcess | undefined;
  let exited: Promise<number | null> | undefined;
  let stderrOf: () => string = () => '';
  let earlierStderr = '';

  return {
    index,
    port,
    url,
    logFile,
    get pid() {
      return child?.exitCode === null ? child.pid : undefined;
    },
    get isRunning() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    async start() {
      if (this.isRunning) return;
      earlierStderr += stderrOf();
      const log = await fs.open(logFile, 'a');
      try {
        const spawned = await spawnServer(
          ['--import', 'tsx', MAIN],
          { ...process.env, ...faultEnv(databaseUrl, port), ...env },
          url,
          { stdout: log.fd, timeoutMs: 60_000 },
        );
        child = spawned.child;
        exited = spawned.exited;
        stderrOf = () => spawned.stderr();
      } finally {
        await log.close();
      }
    },
    async kill(signal = 'SIGKILL') {
      if (!child || !this.isRunning) return child?.exitCode ?? null;
      const done = exited!;
      child.kill(signal);
      return done;
    },
    async readyz(timeoutMs = 5000) {
      try {
        const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
        await res.arrayBuffer();
        return res.status;
      } catch {
        return 0;
      }
    },
    async metric(series) {
      try {
        const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) });
        return parseMetrics(await res.text()).get(series);
      } catch {
        return undefined;
      }
    },
    async rssBytes() {
      const pid = this.pid;
      if (pid === undefined) return undefined;
      try {
        const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
        const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
        return kb === undefined ? undefined : Number(kb) * 1024;
      } catch {
        return undefined;
      }
    },
    stderr: () => earlierStderr + stderrOf(),
  };
}

/** Kills what still runs (graceful first, then SIGKILL after 12 s). */
export async function stopInstances(instances: Instance[]): Promise<void> {
  await Promise.all(
    instances.map(async (i) => {
      if (!i.isRunning) return;
      const timer = setTimeout(() => void i.kill('SIGKILL'), 12_000);
      try {
        await i.kill('SIGTERM');
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}

/** A scenario's PostgreSQL, database and instances together. */
export interface FaultCluster {
  readonly postgres: FaultPostgres;
  /** The scenario's own Redis or NATS when `MSGR_TEST_BUS` names one (the instances' MSGR_BUS). */
  readonly engine: Engine | undefined;
  /** The database's URL, straight to PostgreSQL (the audit reads through it). */
  readonly databaseUrl: string;
  readonly instances: Instance[];
  readonly urls: string[];
  close(): Promise<void>;
}

/**
 * A PostgreSQL, one database and `count` instances on it. `databaseVia(url)` may put something
 * between the instances and PostgreSQL (it returns the URL the instances use).
 */
export async function startFaultCluster(
  logName: string,
  {
    instances: count = 3,
    env = {},
    databaseVia,
    postgresSettings,
  }: {
    instances?: number;
    env?: Record<string, string>;
    databaseVia?: (databaseUrl: string) => Promise<string> | string;
    /** PostgreSQL settings over the throwaway ones (e.g. {@link DURABLE}). */
    postgresSettings?: Record<string, string>;
  } = {},
): Promise<FaultCluster> {
  const postgres = await startFaultPostgres(postgresSettings);
  const kind = testBusKind();
  let engine: Engine | undefined;
  try {
    engine = kind ? await startEngine(kind) : undefined;
    const databaseUrl = await createDatabase(postgres, 'msgr_faults');
    const instanceUrl = databaseVia ? await databaseVia(databaseUrl) : databaseUrl;
    const instances = await startInstances(count, {
      databaseUrl: instanceUrl,
      env: { ...(engine ? { MSGR_BUS: engine.url } : {}), ...env },
      logName,
    });
    return {
      postgres,
      engine,
      databaseUrl,
      instances,
      urls: instances.map((i) => i.url),
      close: async () => {
        await stopInstances(instances);
        await engine?.close();
        await postgres.close();
      },
    };
  } catch (err) {
    await engine?.close();
    await postgres.close();
    throw err;
  }
}
