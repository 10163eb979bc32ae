/**
 * Real bus engines for tests: `redis-server` (7) and `nats-server` (2.9) on free loopback ports
 * with throwaway data folders, stopped (or killed, and started again on the same port) at will.
 * Nothing is installed here: `engineBinary()` says whether the machine has one, and the engine
 * test runs (scripts/test-bus.ts) skip with a message when it does not.
 *
 * `MSGR_TEST_BUS=redis|nats` makes the test harness run every server on that engine: the global
 * fixture starts one for the run (`MSGR_TEST_BUS_URL`), a fault cluster one of its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseBus } from '../../src/config.js';
import type { BusChoice } from '../../src/realtime/bus.js';

export type EngineKind = 'redis' | 'nats';

const BINARIES: Record<EngineKind, string> = { redis: 'redis-server', nats: 'nats-server' };
/** Where Debian puts them, should PATH lack the sbin folders. */
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin'];

/** The path of `kind`'s server binary, or undefined when this machine has none. */
export function engineBinary(kind: EngineKind): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...EXTRA_DIRS];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, BINARIES[kind]);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The engine `MSGR_TEST_BUS` asks for (undefined: PostgreSQL, the default). */
export function testBusKind(): EngineKind | undefined {
  const kind = process.env.MSGR_TEST_BUS;
  if (!kind || kind === 'postgres') return undefined;
  if (kind !== 'redis' && kind !== 'nats') {
    throw new Error(`MSGR_TEST_BUS must be postgres, redis or nats (not ${kind})`);
  }
  return kind;
}

/** The bus in-process test servers use: the global fixture's engine, or PostgreSQL. */
export function testBus(): BusChoice {
  const url = process.env.MSGR_TEST_BUS_URL;
  return (url && parseBus(url)) || { kind: 'postgres' };
}

let runEngine: Engine | undefined;

/** The global fixture's engine (MSGR_TEST_BUS), for tests that take it away for a moment. */
export function testEngine(): Engine | undefined {
  return runEngine;
}

export function setTestEngine(engine: Engine | undefined): void {
  runEngine = engine;
}

/**
 * Cuts every instance of the database at `databaseUrl` off the stream, as a fault would: with
 * PostgreSQL their LISTEN connections are terminated; with an engine, the engine is killed
 * (SIGKILL) and started again on its port.
 */
export async function severBus(databaseUrl: string): Promise<void> {
  const engine = testEngine();
  if (engine) {
    await engine.kill();
    await engine.start();
    return;
  }
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE application_name = 'msgr-listener' AND datname = current_database()`,
    );
  } finally {
    await admin.end();
  }
}

/** A running (or stopped) engine. */
export interface Engine {
  readonly kind: EngineKind;
  readonly port: number;
  /** `redis://127.0.0.1:<port>` or `nats://127.0.0.1:<port>`, stable across restarts. */
  readonly url: string;
  readonly pid: number | undefined;
  /** Starts it again on the same port (after stop or kill); resolves once it accepts. */
  start(): Promise<void>;
  /** SIGKILL: no goodbye, whatever it held is gone. */
  kill(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  /** Stops it and deletes its folder. */
  close(): Promise<void>;
}

/** Engines still running when the test process exits (a failed run) must not outlive it. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  const probe = net.createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((r) => probe.close(r));
  return port;
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function argsOf(kind: EngineKind, port: number, dir: string): string[] {
  return kind === 'redis'
    ? [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        // Throwaway: nothing kept, so a restart comes back empty, as after a crash.
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
        '--logfile',
        path.join(dir, 'redis.log'),
      ]
    : ['-a', '127.0.0.1', '-p', String(port), '-l', path.join(dir, 'nats.log')];
}

/** Starts `kind` on a free loopback port; throws when the machine has no such binary. */
export async function startEngine(kind: EngineKind): Promise<Engine> {
  const binary = engineBinary(kind);
  if (!binary) throw new Error(`${BINARIES[kind]} is not installed`);
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), `msgr-${kind}-`));
  const port = await freePort();
  let child: ChildProcess | undefined;

  const start = async () => {
    if (child && child.exitCode === null && child.signalCode === null) return;
    const spawned = spawn(binary, argsOf(kind, port, dir), { stdio: 'ignore' });
    child = spawned;
    running.add(spawned);
    spawned.once('exit', () => running.delete(spawned));
    const deadline = Date.now() + 10_000;
    while (!(await accepts(port))) {
      if (spawned.exitCode !== null || Date.now() > deadline) {
        spawned.kill('SIGKILL');
        throw new Error(`${BINARIES[kind]} did not start on port ${port} (see ${dir})`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const end = async (signal: NodeJS.Signals) => {
    const current = child;
    child = undefined;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = once(current, 'exit');
    current.kill(signal);
    await exited;
  };
  await start();
  return {
    kind,
    port,
    url: `${kind}://127.0.0.1:${port}`,
    get pid() {
      return child?.exitCode === null ? child.pid : undefined;
    },
    start,
    kill: () => end('SIGKILL'),
    stop: () => end('SIGTERM'),
    close: async () => {
      await end('SIGTERM');
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
}
