/**
 * Real server processes (`node --import tsx src/main.ts`) on one fresh database, for the tests
 * of packages that reach the server only over the network (SDK, CLI, TUI). An instance can be
 * stopped (its port then refuses connections) and started again on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { freshDatabase } from './harness.js';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/** A port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((r) => probe.close(r));
  return port;
}

/** `count` consecutive ports nobody listens on right now, from the first one's. */
export async function freeConsecutivePorts(count: number): Promise<number[]> {
  for (let attempt = 0; ; attempt++) {
    const first = await freePort();
    const ports = Array.from({ length: count }, (_, i) => first + i);
    if (ports.at(-1)! <= 65535 && (await Promise.all(ports.slice(1).map(isFree))).every(Boolean)) {
      return ports;
    }
    if (attempt > 50) throw new Error(`no ${count} consecutive free ports`);
  }
}

async function isFree(port: number): Promise<boolean> {
  const probe = net.createServer();
  try {
    probe.listen(port, '127.0.0.1');
    await once(probe, 'listening');
    return true;
  } catch {
    return false;
  } finally {
    probe.close();
  }
}

/** A server process started by {@link spawnServer}. */
export interface SpawnedServer {
  readonly child: ChildProcess;
  /** Resolves with the exit code once the process ends. */
  readonly exited: Promise<number | null>;
  /** What it wrote to stderr so far (for assertion messages). */
  stderr(): string;
}

/**
 * Spawns `node <args>` with `env` and resolves once `<url>/<probe>` answers 200; on failure the
 * process is killed and the error carries its stderr.
 */
export async function spawnServer(
  args: string[],
  env: NodeJS.ProcessEnv,
  url: string,
  {
    probe = '/readyz',
    timeoutMs = 30_000,
    stdout = 'ignore',
  }: {
    probe?: string;
    timeoutMs?: number;
    /** Where its stdout (the log lines) goes: nowhere by default, or an open file's descriptor. */
    stdout?: 'ignore' | number;
  } = {},
): Promise<SpawnedServer> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', stdout, 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(`${url}${probe}`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return { child, exited, stderr: () => stderr };
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ServerProcesses {
  readonly databaseUrl: string;
  /** `http://127.0.0.1:<port>` of each instance, stable across stop/start. */
  readonly urls: string[];
  /** SIGTERM and wait for the exit (graceful: in-flight requests finish). */
  stop(index: number): Promise<void>;
  /** SIGKILL: the instance dies without a goodbye. */
  kill(index: number): Promise<void>;
  /** Starts a stopped instance again on its port; resolves when /readyz answers 200. */
  start(index: number): Promise<void>;
  close(): Promise<void>;
}

export async function startServerProcesses(
  count: number,
  extraEnv: Record<string, string> = {},
): Promise<ServerProcesses> {
  const databaseUrl = await freshDatabase();
  const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  const children: (ChildProcess | undefined)[] = new Array<ChildProcess | undefined>(count);

  async function start(index: number): Promise<void> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(ports[index]),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      BCRYPT_ROUNDS: '4',
      JWT_SECRET: 'test-secret-that-is-long-enough',
      // Every test client is 127.0.0.1: the per-address budget is tested on its own.
      RATE_LIMIT_IP_PER_MINUTE: '0',
      // MSGR_TEST_BUS=redis|nats: the global fixture's engine (support/engines.ts).
      ...(process.env.MSGR_TEST_BUS_URL ? { MSGR_BUS: process.env.MSGR_TEST_BUS_URL } : {}),
      ...extraEnv,
    };
    children[index] = (await spawnServer(['--import', 'tsx', MAIN], env, urls[index]!)).child;
  }

  async function end(index: number, signal: NodeJS.Signals): Promise<void> {
    const child = children[index];
    children[index] = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  }

  await Promise.all(urls.map((_, i) => start(i)));
  return {
    databaseUrl,
    urls,
    start,
    stop: (i) => end(i, 'SIGTERM'),
    kill: (i) => end(i, 'SIGKILL'),
    close: async () => {
      await Promise.all(urls.map((_, i) => end(i, 'SIGTERM')));
    },
  };
}
