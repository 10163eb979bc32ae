/**
 * `npm run cluster [-- --instances N --base-port P]`: one PostgreSQL and N server instances on
 * ports P…P+N−1, their logs interleaved with an `[i:port]` prefix, and one Ctrl-C for all.
 *
 * The database is the embedded one `npm start` uses (same folder and port, so the same users and
 * messages), or DATABASE_URL's when set. No JWT_SECRET is passed on: the instances share the
 * secret the server generates once and keeps in the database (one set in the environment is
 * inherited, and shared just as well).
 *
 * `--bus redis|nats` starts that engine too (redis-server or nats-server, on a free loopback
 * port, nothing kept on disk) and runs the instances with MSGR_BUS pointing at it; it stops after
 * them. Without `--bus` the instances use MSGR_BUS as set (default: PostgreSQL's NOTIFY).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../packages/server/src/config.js';
import { ensureDatabase } from '../packages/server/src/db/admin.js';
import {
  startEmbeddedPostgres,
  withDatabase,
  type EmbeddedPostgres,
} from '../packages/server/src/db/embedded.js';
import {
  engineBinary,
  startEngine,
  type Engine,
  type EngineKind,
} from '../packages/server/test/support/engines.js';

const SERVER_DIR = fileURLToPath(new URL('../packages/server/', import.meta.url));
const MAIN = path.join(SERVER_DIR, 'src', 'main.ts');
const USAGE = `usage: npm run cluster -- [--instances N] [--base-port P] [--data-dir DIR] [--pg-port PORT] [--bus KIND]

  --instances N    server instances to run (default 3)
  --base-port P    the first one's port; the others follow (default 8000)
  --data-dir DIR   embedded PostgreSQL data folder (default: npm start's, MSGR_DATA_DIR)
  --pg-port PORT   embedded PostgreSQL port (default: npm start's, EMBEDDED_PG_PORT)
  --bus KIND       the realtime bus: postgres (LISTEN/NOTIFY), or redis or nats, started here
                   on a free port and stopped at the end (default: MSGR_BUS, else postgres)`;
/** Instances get this long to stop (the server promises 10 s), then they are killed. */
const STOP_TIMEOUT_MS = 12_000;
const READY_TIMEOUT_MS = 60_000;

function fail(message: string, code = 2): never {
  console.error(`cluster: ${message}`);
  if (code === 2) console.error(USAGE);
  process.exit(code);
}

function integer(value: string, name: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    fail(`${name} must be an integer in ${min}..${max}`);
  return n;
}

/** no-color.org, and no escape codes in files or pipes (commander's useColor does the same). */
function useColor(stream: NodeJS.WriteStream): boolean {
  if (process.env.NO_COLOR) return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

const COLORS = [36, 35, 33, 32, 34, 31]; // cyan, magenta, yellow, green, blue, red

function prefixLines(from: Readable, to: Writable, prefix: string): void {
  readline
    .createInterface({ input: from, crlfDelay: Infinity })
    .on('line', (line) => to.write(`${prefix} ${line}\n`));
}

const say = (message: string) => console.error(`[cluster] ${message}`);

function parseOptions() {
  try {
    return parseArgs({
      options: {
        instances: { type: 'string', default: '3' },
        'base-port': { type: 'string', default: '8000' },
        'data-dir': { type: 'string' },
        'pg-port': { type: 'string' },
        bus: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    return fail((err as Error).message);
  }
}

/** The server's own settings, for the embedded PostgreSQL's defaults and DATABASE_URL. */
function serverConfig() {
  try {
    return loadConfig();
  } catch (err) {
    return fail((err as Error).message, err instanceof ConfigError ? 2 : 1);
  }
}

const args = parseOptions();
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const count = integer(args.instances, '--instances', 1, 32);
const basePort = integer(args['base-port'], '--base-port', 1, 65536 - count);
const config = serverConfig();

const busKind = args.bus;
if (busKind !== undefined && !['postgres', 'redis', 'nats'].includes(busKind)) {
  fail('--bus must be postgres, redis or nats');
}
let engine: Engine | undefined;
if (busKind === 'redis' || busKind === 'nats') {
  const kind: EngineKind = busKind;
  const binary = kind === 'redis' ? 'redis-server' : 'nats-server';
  if (!engineBinary(kind)) {
    fail(
      `--bus ${kind} needs ${binary} (apt-get install ${binary}), or set MSGR_BUS to a running one`,
      1,
    );
  }
  engine = await startEngine(kind);
  say(`${binary} on ${engine.url} (nothing kept on disk)`);
}

let embedded: EmbeddedPostgres | undefined;
let databaseUrl = config.databaseUrl;
if (!databaseUrl) {
  // MSGR_DATA_DIR is relative to packages/server, as for `npm start`; --data-dir to the cwd.
  const dataDir = args['data-dir']
    ? path.resolve(args['data-dir'])
    : path.resolve(SERVER_DIR, config.embeddedDataDir);
  const port = args['pg-port']
    ? integer(args['pg-port'], '--pg-port', 1, 65535)
    : config.embeddedPort;
  embedded = await startEmbeddedPostgres({ dataDir, port });
  say(`PostgreSQL on 127.0.0.1:${port}, data in ${dataDir}${embedded.isOwner ? '' : ' (joined)'}`);
  await ensureDatabase(embedded.url, 'msgr');
  databaseUrl = withDatabase(embedded.url, 'msgr');
}

const isColored = useColor(process.stdout);
const ports = Array.from({ length: count }, (_, i) => basePort + i);
const children = new Map<number, ChildProcess>();
let stopping: Promise<void> | undefined;

function startInstance(index: number, port: number): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: SERVER_DIR,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      ...(engine
        ? { MSGR_BUS: engine.url }
        : busKind === 'postgres'
          ? { MSGR_BUS: 'postgres' }
          : {}),
      // Readable lines for a person at a terminal; JSON when piped somewhere.
      ...(process.stdout.isTTY ? { LOG_FORMAT: process.env.LOG_FORMAT ?? 'pretty' } : {}),
      ...(isColored ? { FORCE_COLOR: '1' } : {}),
    },
    // A process group of its own: Ctrl-C reaches only this script, which stops the instances
    // one way (SIGTERM, then wait), instead of each getting the terminal's SIGINT as well.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const label = `[${index + 1}:${port}]`;
  const prefix = isColored ? `\x1b[${COLORS[index % COLORS.length]}m${label}\x1b[0m` : label;
  prefixLines(child.stdout, process.stdout, prefix);
  prefixLines(child.stderr, process.stderr, prefix);
  child.on('exit', (code, signal) => {
    children.delete(port);
    if (stopping) return;
    say(`instance ${label} exited (${signal ?? `code ${code}`})`);
    if (children.size === 0) void shutDown(1);
  });
  children.set(port, child);
  return child;
}

async function untilReady(child: ChildProcess, port: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const status = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the instance on port ${port} exited during start`);
    }
    if (Date.now() > deadline) throw new Error(`the instance on port ${port} never got ready`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stopInstance(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

async function shutDown(code: number): Promise<void> {
  stopping ??= (async () => {
    await Promise.all([...children.values()].map(stopInstance));
    await engine?.close();
    await embedded?.stop();
  })();
  await stopping;
  say(code === 0 ? 'stopped' : 'stopped after a failure');
  process.exit(code);
}

let firstSignalAt = 0;
function onSignal(signal: NodeJS.Signals): void {
  // npm and tsx pass a terminal's Ctrl-C on as well: a repeat within a second is that echo.
  if (firstSignalAt > 0) {
    if (Date.now() - firstSignalAt > 1000) {
      say(`${signal} again: killing the instances`);
      for (const child of children.values()) child.kill('SIGKILL');
    }
    return;
  }
  firstSignalAt = Date.now();
  say(
    `${signal}: stopping ${children.size} instance(s), then ${engine ? `${engine.kind} and ` : ''}PostgreSQL`,
  );
  void shutDown(0);
}
// SIGHUP: the terminal closed. Stop as cleanly as for Ctrl-C, and ignore the failed writes to
// it meanwhile, or this script would die first and leave its detached instances running.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
// Should this script die some other way, its detached instances must not outlive it.
process.on('exit', () => {
  for (const child of children.values()) child.kill('SIGTERM');
});

try {
  await Promise.all(ports.map((port, i) => untilReady(startInstance(i, port), port)));
} catch (err) {
  say((err as Error).message);
  await shutDown(1);
}
const hosts = ports.map((p) => `http://127.0.0.1:${p}`).join(',');
say(`${count} instance(s) ready. Point the CLI and the SDK at all of them:`);
say(`  export MSGR_HOSTS=${hosts}`);
say(
  `Ctrl-C stops them all, then ${engine ? `${engine.kind === 'redis' ? 'Redis' : 'NATS'} and ` : ''}PostgreSQL.`,
);
