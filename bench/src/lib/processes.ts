/**
 * Child processes of the suite: msgr server instances (child/server.ts) and the bare `ws`
 * baseline (child/bare-ws.ts), each started with `node --import tsx`, talking over IPC. Every
 * one is stopped at cleanup (SIGKILL if it does not exit in time).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { onCleanup } from './run.js';
import { closedLoop, interleaved, type LoadResult } from './stats.js';

const CHILD = (name: string) => fileURLToPath(new URL(`../child/${name}.ts`, import.meta.url));
const READY_MS = 60_000;
const STOP_MS = 15_000;

export interface ChildStats {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  cpu: { user: number; system: number };
  sockets: number;
  /** Time spent in garbage collection since the child started, ms (child/gc.ts). */
  gc?: { minor: number; major: number };
}

export interface Child {
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  /** A request over IPC (`stats`, `gc`, `broadcast`…); resolves with the child's answer. */
  call<T = unknown>(type: string, body?: Record<string, unknown>): Promise<T>;
  stats(): Promise<ChildStats>;
  /** Graceful stop (the child closes, then exits 0); resolves with its exit code. */
  stop(): Promise<number | null>;
  stderr(): string;
}

export interface SpawnOptions {
  /** Environment on top of this process's. A key set to undefined is removed. */
  env?: Record<string, string | undefined>;
  /** Config overrides (child/server.ts only). */
  config?: Record<string, unknown>;
  /** Node options before `--import tsx` (`--cpu-prof`, `--expose-gc`…). */
  execArgv?: string[];
  label?: string;
}

/**
 * What every msgr instance of the suite runs with unless a scenario says otherwise: the limits
 * off (a benchmark's own traffic would trip them; the "limits" scenario measures their cost),
 * cheap bcrypt (setup registers many users; "login storm" sets the default cost), a socket cap
 * far above any scenario's.
 */
export const BENCH_ENV: Record<string, string> = {
  JWT_SECRET: 'bench-secret-that-is-long-enough-for-hs256',
  SEED_DEMO_USERS: 'false',
  BCRYPT_ROUNDS: '4',
  RATE_LIMIT_SENDS_PER_MINUTE: '0',
  RATE_LIMIT_GROUPS_PER_MINUTE: '0',
  RATE_LIMIT_IP_PER_MINUTE: '0',
  LOGIN_MAX_FAILURES: '0',
  WS_MAX_SOCKETS_PER_USER: '10000',
  MAX_GROUP_MEMBERS: '10000',
  LOG_LEVEL: 'silent',
};

let seq = 0;

export async function spawnChild(
  name: 'server' | 'bare-ws' | 'bare-files' | 'bare-http',
  o: SpawnOptions = {},
): Promise<Child> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(o.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  if (o.config) env.MSGR_BENCH_CONFIG = JSON.stringify(o.config);
  const child: ChildProcess = spawn(
    process.execPath,
    [...(o.execArgv ?? []), '--import', 'tsx', CHILD(name)],
    { env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-20_000);
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const kill = onCleanup(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.send?.({ type: 'stop' });
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_MS);
    await exited;
    clearTimeout(timer);
  });
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  let ready: (m: { port: number }) => void;
  const isReady = new Promise<{ port: number }>((resolve) => (ready = resolve));
  child.on('message', (m: { type?: string; id?: number; result?: unknown; error?: string }) => {
    if (m.type === 'ready') return ready(m as { port: number });
    const p = m.id === undefined ? undefined : pending.get(m.id);
    if (!p) return;
    pending.delete(m.id!);
    if (m.error !== undefined) p.reject(new Error(m.error));
    else p.resolve(m.result);
  });
  void exited.then((code) => {
    for (const p of pending.values()) p.reject(new Error(`${name} exited with ${code}`));
    pending.clear();
  });
  const what = `${o.label ?? name} (pid ${child.pid})`;
  let timer: NodeJS.Timeout | undefined;
  const { port } = await Promise.race([
    isReady,
    exited.then((code) => {
      throw new Error(`${what} exited with ${code} before it was ready:\n${stderr}`);
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not ready in ${READY_MS} ms`)), READY_MS);
    }),
  ]).finally(() => clearTimeout(timer));
  const call = <T>(type: string, body: Record<string, unknown> = {}) =>
    new Promise<T>((resolve, reject) => {
      const id = ++seq;
      pending.set(id, { resolve, reject });
      child.send?.({ ...body, id, type });
    });
  return {
    pid: child.pid!,
    port,
    url: `http://127.0.0.1:${port}`,
    call,
    stats: () => call<ChildStats>('stats'),
    stop: async () => {
      await kill();
      return exited;
    },
    stderr: () => stderr,
  };
}

/** `n` msgr instances on `databaseUrl`, started at once. */
export function startInstances(
  n: number,
  databaseUrl: string,
  o: SpawnOptions = {},
): Promise<Child[]> {
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      spawnChild('server', {
        ...o,
        label: `${o.label ?? 'msgr'} #${i + 1}`,
        env: { ...BENCH_ENV, DATABASE_URL: databaseUrl, ...o.env },
      }),
    ),
  );
}

/** The CPU time (user + system, µs) the children have used so far, together. */
export async function cpuOf(children: Child[]): Promise<number> {
  return (await usageOf(children)).cpu;
}

/** What the children have used so far, together: CPU (user + system, µs), young-gen GC (ms). */
async function usageOf(children: Child[]): Promise<{ cpu: number; gc: number }> {
  const stats = await Promise.all(children.map((c) => c.stats()));
  return {
    cpu: stats.reduce((t, s) => t + s.cpu.user + s.cpu.system, 0),
    gc: stats.reduce((t, s) => t + (s.gc?.minor ?? 0), 0),
  };
}

/** A case of {@link inTurns}: its operation, and the processes whose usage it is charged. */
export interface TurnCase {
  op: (w: number) => Promise<unknown>;
  serving?: Child[];
}

/**
 * `cases` warmed up one after the other for `warmMs`, then measured in `rounds` turns (ABC,
 * CBA…) over `totalMs` each, `c` workers; with what the processes `serving` a case used while
 * it ran, per operation: CPU (µs) and young-generation GC pauses (µs), over the whole run and,
 * for CPU, in each turn (`turns`, in order: how far the machine's noise moved it in one run).
 */
export async function inTurns<K extends string>(
  c: number,
  cases: Record<K, TurnCase>,
  { warmMs, totalMs, rounds }: { warmMs: number; totalMs: number; rounds: number },
): Promise<{
  r: Record<K, LoadResult>;
  perOp: (name: K) => { cpu: number; gc: number; turns: number[] };
}> {
  const names = Object.keys(cases) as K[];
  for (const name of names) await closedLoop(c, warmMs, cases[name].op);
  const used = new Map(names.map((name) => [name, { cpu: 0, gc: 0, turns: [] as number[] }]));
  const started = new Map<K, { cpu: number; gc: number }>();
  const ops = Object.fromEntries(names.map((name) => [name, cases[name].op])) as Record<
    K,
    (w: number) => Promise<unknown>
  >;
  const r = await interleaved(c, ops, totalMs, rounds, {
    async before(name) {
      const serving = cases[name].serving;
      if (serving) started.set(name, await usageOf(serving));
    },
    async after(name, turn) {
      const serving = cases[name].serving;
      const start = started.get(name);
      if (!serving || !start) return;
      const now = await usageOf(serving);
      const total = used.get(name)!;
      total.cpu += now.cpu - start.cpu;
      total.gc += now.gc - start.gc;
      total.turns.push((now.cpu - start.cpu) / Math.max(1, turn.count));
    },
  });
  return {
    r,
    perOp: (name) => {
      const { cpu, gc, turns } = used.get(name)!;
      return { cpu: cpu / r[name].count, gc: (gc * 1000) / r[name].count, turns };
    },
  };
}

/** The lowest and highest of per-turn figures, as `150–181` (µs, rounded). */
export function turnSpread(turns: readonly number[]): string {
  if (turns.length === 0) return 'no turns';
  return `${Math.min(...turns).toFixed(0)}–${Math.max(...turns).toFixed(0)}`;
}
