/**
 * The realtime buses the suite can run: PostgreSQL's LISTEN/NOTIFY always; Redis and NATS when
 * the server knows MSGR_BUS and the engine's binary is installed (Debian: redis-server,
 * nats-server), started here on a free loopback port and stopped at cleanup.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../../packages/server/test/support/processes.js';
import { onCleanup, sleep } from './run.js';

export interface Bus {
  name: 'postgres' | 'redis' | 'nats';
  /** Why it cannot run here; undefined when it can. */
  unavailable?: string;
  /** Starts what it needs; resolves with the instances' MSGR_BUS. */
  start(): Promise<string>;
}

const CONFIG = fileURLToPath(new URL('../../../packages/server/src/config.ts', import.meta.url));

/** Whether this checkout's server reads MSGR_BUS at all (the `bus` branch adds it). */
export function serverKnowsBus(): boolean {
  try {
    return readFileSync(CONFIG, 'utf8').includes('MSGR_BUS');
  } catch {
    return false;
  }
}

function which(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin'])) {
    try {
      const file = `${dir}/${binary}`;
      readFileSync(file, { flag: 'r' }).subarray(0, 0);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function listening(port: number, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (performance.now() > deadline) throw new Error(`nothing listens on ${port} after ${ms} ms`);
    await sleep(50);
  }
}

async function engine(binary: string, args: (port: number) => string[]): Promise<number> {
  const port = await freePort();
  const child = spawn(binary, args(port), { stdio: 'ignore' });
  const exited = once(child, 'exit');
  onCleanup(async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  });
  await listening(port);
  return port;
}

export function buses(): Bus[] {
  const knows = serverKnowsBus();
  const notYet = "this checkout's server does not read MSGR_BUS";
  const redis = which('redis-server');
  const nats = which('nats-server');
  return [
    { name: 'postgres', start: () => Promise.resolve('postgres') },
    {
      name: 'redis',
      unavailable: !knows ? notYet : !redis ? 'redis-server is not installed' : undefined,
      start: async () => {
        const port = await engine(redis!, (p) => [
          '--port',
          String(p),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
        ]);
        return `redis://127.0.0.1:${port}`;
      },
    },
    {
      name: 'nats',
      unavailable: !knows ? notYet : !nats ? 'nats-server is not installed' : undefined,
      start: async () => {
        const port = await engine(nats!, (p) => ['-a', '127.0.0.1', '-p', String(p)]);
        return `nats://127.0.0.1:${port}`;
      },
    },
  ];
}
