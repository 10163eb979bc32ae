/**
 * Fan-out benchmark: how close does msgr's realtime delivery come to a bare `ws` broadcast?
 *
 * One process starts a PostgreSQL (embedded, in a fresh temp folder, fsync and synchronous_commit
 * off; or the server of DATABASE_URL, in a database of its own that is dropped at the end), two
 * server instances on that one database (startServer, on 127.0.0.1), a sender and USERS
 * subscriber users, all members of ONE group. Each subscriber socket is a device of its own (a
 * login with a distinct client_id; device i belongs to user ⌊i/2⌋ mod USERS), so logins stay
 * few-per-user while the sockets are many. The sender's device subscribes to nothing: a device
 * never gets its own messages back.
 *
 * For each N in COUNTS, two scenarios with N client sockets spread evenly:
 *
 * - msgr:    N sockets on `GET /ws/{chat_id}`, half on each instance; the sender POSTs
 *   /messages/group/{id} to instance 1, so every frame crosses LISTEN/NOTIFY, and half of them
 *   cross to the other instance;
 * - bare ws: the baseline: N sockets on a `ws` WebSocketServer (no database, no auth, no
 *   permessage-deflate, like msgr's), and a "post" that serialises a Message frame of the same
 *   shape once and sends that string to every socket.
 *
 * Each scenario: WARMUP messages (waited for, not counted), then MESSAGES messages at RATE per
 * second, open loop (a slow answer does not delay the next send). Every text carries its send
 * start time (performance.timeOrigin + performance.now(), taken before the request is built);
 * each Message frame's latency is its receive time (taken first thing in the client's handler)
 * minus that. Delivered counts each message once per socket; after the last send the run waits
 * until all N × MESSAGES frames are in, or DRAIN_MS. delivered/sent = delivered / (MESSAGES × N).
 *
 * Clients, servers and the bare baseline all run in this one process on 127.0.0.1 (the machine
 * it was written on has 2 cores, and PostgreSQL uses them too), so every figure includes the
 * clients' own receive cost on the same event loop: the ratios compare whole set-ups, and the
 * latencies are not those of a client on another machine.
 *
 * Under the table, per scenario: the p50 over messages of the first and of the last frame's
 * latency (the spread is the cost of writing and reading N frames), the POST's own answer time
 * and the p50 per instance (msgr), how late the paced sends started, event-loop stalls, and CPU
 * use of this process and of the whole machine (from /proc/stat) while measuring: when the
 * machine is much busier than this process plus PostgreSQL, the run shared the CPUs with
 * something else and its p99s say little.
 *
 * Run: `npm run bench:fanout` (repository root) or `npm run bench:fanout -w @msgr/server`.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { startServer, type RunningServer } from '../src/server.js';
import {
  benchConfig,
  benchDatabase,
  onCleanup,
  percentile,
  request,
  runBenchmark,
  tableLine,
} from './support.js';

const COUNTS = [100, 1000];
const USERS = 50;
const RATE = 20;
const MESSAGES = 100;
const WARMUP = 10;
const DRAIN_MS = 10_000;
const LOGIN_CONCURRENCY = 8;
const CONNECT_CONCURRENCY = 50;
const CONNECT_TIMEOUT_MS = 10_000;
const PASSWORD = 'password123';
const DATABASE = `msgr_bench_fanout_${process.pid}`;
/** Sampling interval of the event-loop delay histogram (ms); subtracted from its values. */
const LOOP_SAMPLE_MS = 2;

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
/** Every client socket ever opened, for cleanup. */
const clientSockets = new Set<WebSocket>();

/** Wall-clock milliseconds with sub-millisecond precision. */
const now = () => performance.timeOrigin + performance.now();

interface Device {
  userId: number;
  clientId: string;
  token: string;
}

/** `fn(0..n-1)` with at most `concurrency` running at once; results in index order. */
async function inParallel<T>(
  n: number,
  concurrency: number,
  fn: (i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array<T>(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n) {
        const i = next++;
        results[i] = await fn(i);
      }
    }),
  );
  return results;
}

async function register(port: number, email: string, name: string): Promise<number> {
  const res = await request(agent, port, '/register', { email, name, password: PASSWORD });
  if (res.status !== 201) throw new Error(`register ${email}: ${res.status}`);
  return res.body.id as number;
}

async function login(port: number, userId: number, email: string, clientId: string) {
  const res = await request(agent, port, '/login', {
    email,
    password: PASSWORD,
    client_id: clientId,
  });
  if (res.status !== 200) throw new Error(`login ${email}/${clientId}: ${res.status}`);
  return { userId, clientId, token: res.body.access_token as string } satisfies Device;
}

/**
 * One batch of messages (warm-up or measured) as the sockets see it: per socket, which messages
 * arrived; per frame, its latency.
 */
class Phase {
  readonly latencies: number[] = [];
  /** The same, by socket parity: msgr's sockets 0, 2, 4… are on instance 1, the others on 2. */
  readonly byParity: [number[], number[]] = [[], []];
  /** Per message: the first and the last frame's latency. */
  readonly first: number[];
  readonly last: number[];
  delivered = 0;
  duplicates = 0;
  /** Frames that are not this phase's Message frames (late ones of an earlier phase, Resync…). */
  stray = 0;
  private readonly seen: Uint8Array;
  private resolveDone!: () => void;
  private readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));

  constructor(
    readonly tag: string,
    readonly sockets: number,
    readonly count: number,
  ) {
    this.seen = new Uint8Array(sockets * count);
    this.first = new Array<number>(count).fill(Infinity);
    this.last = new Array<number>(count).fill(-Infinity);
  }

  get expected(): number {
    return this.sockets * this.count;
  }

  /** The text of message `seq`, carrying its send start time. */
  text(seq: number, sentAt: number): string {
    return `fanout ${this.tag} ${seq} ${sentAt}`;
  }

  onFrame(socket: number, data: RawData, receivedAt: number): void {
    const frame = JSON.parse((data as Buffer).toString('utf8')) as {
      type: string;
      message?: { text: string };
    };
    const [word, tag, seqText, sentText] = (frame.message?.text ?? '').split(' ');
    const seq = Number(seqText);
    if (frame.type !== 'Message' || word !== 'fanout' || tag !== this.tag || !(seq < this.count)) {
      this.stray++;
      return;
    }
    const slot = socket * this.count + seq;
    if (this.seen[slot]) {
      this.duplicates++;
      return;
    }
    this.seen[slot] = 1;
    const latency = receivedAt - Number(sentText);
    this.latencies.push(latency);
    this.byParity[socket % 2]!.push(latency);
    this.first[seq] = Math.min(this.first[seq]!, latency);
    this.last[seq] = Math.max(this.last[seq]!, latency);
    if (++this.delivered === this.expected) this.resolveDone();
  }

  /** Resolves when every expected frame arrived, or at `deadline` (performance.now()). */
  async settle(deadline: number): Promise<void> {
    const timer = new AbortController();
    await Promise.race([
      this.done,
      sleep(Math.max(0, deadline - performance.now()), undefined, { signal: timer.signal }).catch(
        () => undefined,
      ),
    ]);
    timer.abort();
  }
}

/** The machine's CPU time so far, busy and in all (Linux /proc/stat, in ticks); else undefined. */
function machineCpu(): { busy: number; total: number } | undefined {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    const ticks = fields.map(Number);
    const total = ticks.reduce((a, b) => a + b, 0);
    // user nice system idle iowait …: idle and iowait are not busy.
    return { busy: total - ticks[3]! - ticks[4]!, total };
  } catch {
    return undefined;
  }
}

/**
 * Sends `phase.count` messages at RATE per second, open loop, and waits for their frames (at most
 * DRAIN_MS after the last send). `post` starts one send; its promise settles with its answer.
 */
async function runPhase(phase: Phase, post: (seq: number) => Promise<void>) {
  let failure: Error | undefined;
  const inFlight: Promise<void>[] = [];
  const loop = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
  loop.enable();
  const cpu = process.cpuUsage();
  const machineBefore = machineCpu();
  const start = performance.now();
  let lateMs = 0;
  for (let seq = 0; seq < phase.count && failure === undefined; seq++) {
    const due = start + (seq * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    lateMs = Math.max(lateMs, performance.now() - due);
    inFlight.push(
      post(seq).catch((err: unknown) => {
        failure ??= err instanceof Error ? err : new Error(String(err));
      }),
    );
  }
  const lastSend = performance.now();
  try {
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
    await phase.settle(lastSend + DRAIN_MS);
  } finally {
    loop.disable();
  }
  const used = process.cpuUsage(cpu);
  const machineAfter = machineCpu();
  const cores = os.cpus().length;
  return {
    lateMs,
    /** This process's CPU time over wall time, in % of one core. */
    cpuPercent: (used.user + used.system) / 10 / (performance.now() - start),
    /** The whole machine's (PostgreSQL and anything else running too), in % of one core. */
    machinePercent:
      machineBefore && machineAfter
        ? ((machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)) *
          100 *
          cores
        : NaN,
    /** Event-loop stalls: how much later than due the sampling timer ran. */
    loopP99: Math.max(0, loop.percentile(99) / 1e6 - LOOP_SAMPLE_MS),
    loopMax: Math.max(0, loop.max / 1e6 - LOOP_SAMPLE_MS),
  };
}

type PhaseStats = Awaited<ReturnType<typeof runPhase>>;

/** Opens `n` client sockets (`target(i)` says where), CONNECT_CONCURRENCY at a time. */
function connectAll(
  n: number,
  target: (i: number) => { url: string; token?: string },
  onFrame: (socket: number, data: RawData, receivedAt: number) => void,
  unexpectedClose: (code: number) => void,
): Promise<WebSocket[]> {
  return inParallel(n, CONNECT_CONCURRENCY, (i) => {
    const { url, token } = target(i);
    const ws = new WebSocket(url, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      perMessageDeflate: false,
    });
    clientSockets.add(ws);
    ws.on('message', (data) => onFrame(i, data, now()));
    return new Promise<WebSocket>((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`socket ${i} to ${url}: no answer in ${CONNECT_TIMEOUT_MS} ms`));
      }, CONNECT_TIMEOUT_MS);
      ws.once('open', () => {
        clearTimeout(timer);
        ws.on('close', (code) => unexpectedClose(code));
        resolve(ws);
      });
      ws.once('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        ws.terminate();
        reject(new Error(`socket ${i} to ${url}: refused with ${res.statusCode}`));
      });
      // Also after `open`: a socket error then ends in `close`, which is counted.
      ws.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  });
}

/** Closes client sockets and waits for them to close (terminating stragglers after 5 s). */
async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(
    sockets.map(async (ws) => {
      ws.removeAllListeners('close');
      if (ws.readyState !== WebSocket.CLOSED) {
        const closed = new Promise((resolve) => ws.once('close', resolve));
        ws.close();
        const timer = setTimeout(() => ws.terminate(), 5000);
        await closed;
        clearTimeout(timer);
      }
      clientSockets.delete(ws);
    }),
  );
}

async function waitFor(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

interface Row {
  scenario: string;
  n: number;
  sent: number;
  delivered: number;
  duplicates: number;
  stray: number;
  closed: number;
  stats: PhaseStats;
  p50: number;
  p99: number;
  firstP50: number;
  lastP50: number;
  /** p50 of the sockets on instance 1 (where the POSTs go) and on instance 2. */
  parityP50: [number, number];
  /** msgr only: the POST's own answer time. */
  postP50?: number;
}

function summarise(
  scenario: string,
  phase: Phase,
  closed: number,
  stats: PhaseStats,
  post?: number[],
): Row {
  const sorted = (xs: number[]) => xs.filter(Number.isFinite).sort((a, b) => a - b);
  const latencies = sorted(phase.latencies);
  return {
    scenario,
    n: phase.sockets,
    sent: phase.count,
    delivered: phase.delivered,
    duplicates: phase.duplicates,
    stray: phase.stray,
    closed,
    stats,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    firstP50: percentile(sorted(phase.first), 0.5),
    lastP50: percentile(sorted(phase.last), 0.5),
    parityP50: [
      percentile(sorted(phase.byParity[0]), 0.5),
      percentile(sorted(phase.byParity[1]), 0.5),
    ],
    postP50: post && percentile(sorted(post), 0.5),
  };
}

/**
 * One scenario: connect N sockets, warm up, measure, disconnect. `post(phase, seq)` sends
 * message `seq` of `phase` to all of them.
 */
async function scenario(
  name: string,
  n: number,
  target: (i: number) => { url: string; token?: string },
  post: (phase: Phase, seq: number) => Promise<void>,
  connected: () => boolean,
  disconnected: () => boolean,
  postTimes?: number[],
): Promise<Row> {
  let phase: Phase | undefined;
  let closed = 0;
  const sockets = await connectAll(
    n,
    target,
    (socket, data, receivedAt) => phase?.onFrame(socket, data, receivedAt),
    () => closed++,
  );
  try {
    await waitFor(`${name}: ${n} sockets registered`, connected);
    const warm = new Phase(`${name.replace(/\W/g, '')}${n}w`, n, WARMUP);
    phase = warm;
    await runPhase(warm, (seq) => post(warm, seq));
    if (warm.delivered < warm.expected) {
      console.error(`${name} N=${n}: warm-up got ${warm.delivered}/${warm.expected} frames`);
    }
    postTimes?.splice(0);
    const measured = new Phase(`${name.replace(/\W/g, '')}${n}`, n, MESSAGES);
    phase = measured;
    const stats = await runPhase(measured, (seq) => post(measured, seq));
    return summarise(name, measured, closed, stats, postTimes);
  } finally {
    await closeAll(sockets);
    await waitFor(`${name}: sockets gone`, disconnected);
  }
}

async function main(): Promise<void> {
  const setupStart = performance.now();
  const loadAtStart = os.loadavg()[0]!;
  const maxN = Math.max(...COUNTS);
  const { databaseUrl, where } = await benchDatabase(DATABASE);
  const config = benchConfig(databaseUrl, {
    seedDemoUsers: false,
    wsMaxSocketsPerUser: maxN,
  });
  onCleanup(() => agent.destroy());
  const servers: RunningServer[] = [];
  for (let i = 0; i < 2; i++) {
    const server = await startServer(config);
    onCleanup(() => server.close());
    servers.push(server);
  }
  // Client sockets go before the servers close (cleanup runs last step first).
  onCleanup(() => {
    for (const ws of clientSockets) ws.terminate();
  });
  const [one, two] = servers as [RunningServer, RunningServer];

  // Users: the sender and USERS subscribers; devices: one login each.
  const email = (u: number | 'sender') => `fanout-${u}@example.com`;
  const senderId = await register(one.port, email('sender'), 'Fanout sender');
  const userIds = await inParallel(USERS, LOGIN_CONCURRENCY, (u) =>
    register(servers[u % 2]!.port, email(u), `Fanout ${u}`),
  );
  const sender = await login(one.port, senderId, email('sender'), 'fanout-sender');
  const devices = await inParallel(maxN, LOGIN_CONCURRENCY, (i) => {
    const u = Math.floor(i / 2) % USERS;
    return login(servers[i % 2]!.port, userIds[u]!, email(u), `fanout-device-${i}`);
  });
  const group = await request(
    agent,
    one.port,
    '/group',
    { name: 'fanout', participant_user_ids: userIds },
    sender.token,
  );
  if (group.status !== 201) throw new Error(`group: ${group.status}`);
  const groupId = group.body.group_id as number;
  const chatId = group.body.chat_id as number;
  if ((group.body.member_ids as number[]).length !== USERS + 1) {
    throw new Error(`group: ${JSON.stringify(group.body.member_ids)} members`);
  }

  // The baseline: a bare WebSocketServer, same process, no database, no auth.
  const bare = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        for (const ws of bare.clients) ws.terminate();
        bare.close(() => resolve());
      }),
  );
  await new Promise<void>((resolve, reject) => {
    bare.once('listening', resolve);
    bare.once('error', reject);
  });
  const barePort = (bare.address() as AddressInfo).port;
  const setupSeconds = (performance.now() - setupStart) / 1000;

  let operationId = Math.floor(Math.random() * 65536) - 32768;
  const postTimes: number[] = [];
  const postMsgr = async (phase: Phase, seq: number) => {
    const sentAt = now();
    const text = phase.text(seq, sentAt);
    const operation_id = operationId;
    operationId = operationId === 32767 ? -32768 : operationId + 1;
    const res = await request(
      agent,
      one.port,
      `/messages/group/${groupId}`,
      { text, operation_id },
      sender.token,
    );
    if (res.status !== 201) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
    postTimes.push(now() - sentAt);
  };
  const postBare = (phase: Phase, seq: number) => {
    const sentAt = now();
    const message = {
      id: 1 + seq,
      chat_id: chatId,
      sender_id: senderId,
      text: phase.text(seq, sentAt),
      timestamp: new Date().toISOString(),
      is_read: false,
    };
    const frame = JSON.stringify({ type: 'Message', message });
    for (const ws of bare.clients) ws.send(frame);
    return Promise.resolve();
  };

  const rows: Row[] = [];
  for (const n of COUNTS) {
    rows.push(
      await scenario(
        'bare ws',
        n,
        () => ({ url: `ws://127.0.0.1:${barePort}/` }),
        postBare,
        () => bare.clients.size === n,
        () => bare.clients.size === 0,
      ),
    );
    rows.push(
      await scenario(
        'msgr',
        n,
        (i) => ({
          url: `ws://127.0.0.1:${servers[i % 2]!.port}/ws/${chatId}`,
          token: devices[i]!.token,
        }),
        postMsgr,
        () => one.hub.socketCount === n / 2 && two.hub.socketCount === n / 2,
        () => one.hub.socketCount === 0 && two.hub.socketCount === 0,
        postTimes,
      ),
    );
  }

  console.log(
    `msgr fan-out: one group, ${USERS} subscriber users + 1 sender, N devices' sockets over 2 ` +
      `instances (bare ws: 1 server), ${WARMUP} warm-up then ${MESSAGES} messages at ${RATE}/s, ` +
      `wait ≤${DRAIN_MS / 1000} s after the last; all in one process on 127.0.0.1; ` +
      `PostgreSQL ${where}; setup ${setupSeconds.toFixed(1)} s; ${os.cpus().length} CPUs, ` +
      `1-min load ${loadAtStart.toFixed(2)} at start\n`,
  );
  const header = ['scenario', 'N', 'sent', 'delivered/sent', 'p50 ms', 'p99 ms'];
  const f = (x: number, d: number) => x.toFixed(d);
  console.log(tableLine(header, 1, header));
  for (const r of rows) {
    const ratio = r.delivered / (r.sent * r.n);
    console.log(
      tableLine(
        [r.scenario, String(r.n), String(r.sent), f(ratio, 3), f(r.p50, 2), f(r.p99, 2)],
        1,
        header,
      ),
    );
  }
  console.log();
  for (const n of COUNTS) {
    const b = rows.find((r) => r.scenario === 'bare ws' && r.n === n)!;
    const m = rows.find((r) => r.scenario === 'msgr' && r.n === n)!;
    console.log(
      `N=${n}:`.padEnd(8) +
        `msgr p50 = ${f(m.p50 / b.p50, 2)} × bare ws p50, msgr p99 = ${f(m.p99 / b.p99, 2)} × bare ws p99`,
    );
  }
  console.log();
  for (const r of rows) {
    const notes = [
      `first frame of a message p50 ${f(r.firstP50, 2)} ms, last ${f(r.lastP50, 2)} ms`,
      ...(r.postP50 === undefined
        ? []
        : [
            `POST answered p50 ${f(r.postP50, 2)} ms`,
            `sockets on instance 1 p50 ${f(r.parityP50[0], 2)} ms, on 2 ${f(r.parityP50[1], 2)} ms`,
          ]),
      `sends ≤${f(r.stats.lateMs, 1)} ms late`,
      `event-loop stalls p99 ${f(r.stats.loopP99, 1)} ms, max ${f(r.stats.loopMax, 1)} ms`,
      `CPU: this process ${f(r.stats.cpuPercent, 0)} %, machine ${f(r.stats.machinePercent, 0)} % ` +
        `(of one core)`,
      ...(r.duplicates ? [`${r.duplicates} duplicate frames`] : []),
      ...(r.stray ? [`${r.stray} other frames`] : []),
      ...(r.closed ? [`${r.closed} sockets closed by the server`] : []),
    ];
    console.log(`${`${r.scenario} N=${r.n}:`.padEnd(15)} ${notes.join('; ')}`);
  }
}

await runBenchmark(main);
