/**
 * Send benchmark: how close does POST /messages/… come to the database's own cost of a send?
 *
 * One process starts a PostgreSQL (embedded, in a fresh temp folder, with the test fixture's
 * settings: fsync and synchronous_commit off; or the server of DATABASE_URL, in a database of its
 * own that is dropped at the end), one server instance (startServer, on 127.0.0.1), and then, for
 * each scenario, CONCURRENCY senders in a closed loop, each with its own user and token and its
 * own operation_id sequence (random start, wrapping in int16):
 *
 * - http: the real request over keep-alive HTTP (node:http Agent), 201 or 200 +
 *   Idempotent-Replayed checked on every answer;
 * - pg:   the baseline: the very statement the server runs for a send (`SELECT * FROM
 *   msgr_send(…)` from db/messages-queries.ts, named, same values) through a pg.Pool as large
 *   as the server's, at the same concurrency, while the server is idle.
 *
 * Scenarios: "direct chats" (each sender writes to its own direct chat: no shared rows),
 * "hot group" (everyone writes to one group: the chat row lock serialises the sends) and
 * "replay" (resending sends of the direct scenario: 200 + Idempotent-Replayed, nothing created).
 * Each run: WARMUP sends, then MAX_OPS sends or MAX_SECONDS, whichever comes first; latency is
 * measured per send with performance.now(). The HTTP client runs on the server's event loop, so
 * the http figures include the client's cost too: a ratio is a lower bound for the server alone.
 *
 * Run: `npm run bench` (repository root) or `npm run bench -w @msgr/server`.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { send as sendStatement } from '../src/db/messages-queries.js';
import { DEMO_USERS, startServer, type RunningServer } from '../src/server.js';
import {
  benchConfig,
  benchDatabase,
  onCleanup,
  percentile,
  request as requestVia,
  runBenchmark,
  tableLine,
} from './support.js';

const CONCURRENCY = 16;
const MAX_OPS = 3000;
const MAX_SECONDS = 15;
const WARMUP = 200;
const DATABASE = `msgr_bench_${process.pid}`;
/** As many values as the server's statement takes, in domain/messages.ts's order. */
const SEND_PARAMS = new Set(sendStatement.text.match(/\$\d+/g)).size;

interface Sender {
  userId: number;
  clientId: string;
  token: string;
  nextOperationId: number;
}

/** One send: replaying it means sending exactly the same thing again. */
interface Send {
  sender: Sender;
  kind: 'user' | 'group';
  target: number;
  operationId: number;
  text: string;
}

type Result = Awaited<ReturnType<typeof measure>>;
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

/** One HTTP request to the server on 127.0.0.1 over the senders' keep-alive agent. */
function request(port: number, urlPath: string, body?: unknown, token?: string) {
  return requestVia(agent, port, urlPath, body, token);
}

async function login(port: number, email: string, password: string): Promise<Sender> {
  const clientId = `bench-${email}`;
  const res = await request(port, '/login', { email, password, client_id: clientId });
  if (res.status !== 200) throw new Error(`login ${email}: ${res.status}`);
  const token = res.body.access_token as string;
  const me = await request(port, '/me', undefined, token);
  const nextOperationId = Math.floor(Math.random() * 65536) - 32768;
  return { userId: me.body.id as number, clientId, token, nextOperationId };
}

function newSend(sender: Sender, kind: Send['kind'], target: number): Send {
  const operationId = sender.nextOperationId;
  sender.nextOperationId = operationId === 32767 ? -32768 : operationId + 1;
  return { sender, kind, target, operationId, text: `bench ${sender.userId}/${operationId}` };
}

async function sendHttp(port: number, s: Send, replay: boolean): Promise<void> {
  const res = await request(
    port,
    `/messages/${s.kind}/${s.target}`,
    { text: s.text, operation_id: s.operationId },
    s.sender.token,
  );
  const ok = replay
    ? res.status === 200 && res.headers['idempotent-replayed'] === 'true'
    : res.status === 201;
  if (!ok) throw new Error(`http send: ${res.status} ${JSON.stringify(res.body)}`);
}

async function sendPg(pool: pg.Pool, window: number, s: Send, replay: boolean): Promise<void> {
  const u = s.sender;
  const values = [u.userId, s.kind, s.target, s.operationId, s.text, window, u.clientId];
  const { rows } = await pool.query<{ status: string }>({
    name: sendStatement.name,
    text: sendStatement.text,
    values: values.slice(0, SEND_PARAMS),
  });
  const expected = replay ? 'replayed' : 'created';
  if (rows[0]?.status !== expected) throw new Error(`pg send: ${rows[0]?.status}`);
}

/** CONCURRENCY workers in a closed loop; `op(w)` is one send of worker `w`. */
async function measure(op: (w: number) => Promise<void>, maxOps: number, maxMs: number) {
  const latencies: number[] = [];
  let issued = 0;
  let failed = false;
  const start = performance.now();
  const deadline = start + maxMs;
  const workers = await Promise.allSettled(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      while (!failed && issued < maxOps && performance.now() < deadline) {
        issued++;
        const t0 = performance.now();
        await op(w).catch((err: unknown) => {
          failed = true;
          throw err;
        });
        latencies.push(performance.now() - t0);
      }
    }),
  );
  for (const w of workers) if (w.status === 'rejected') throw w.reason;
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const ops = latencies.length;
  return {
    ops,
    throughput: ops / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  };
}

async function run(op: (w: number) => Promise<void>): Promise<Result> {
  await measure(op, WARMUP, Infinity);
  return measure(op, MAX_OPS, MAX_SECONDS * 1000);
}

async function main(): Promise<void> {
  const { databaseUrl, where } = await benchDatabase(DATABASE);
  const config = benchConfig(databaseUrl, { seedDemoUsers: true });
  const server: RunningServer = await startServer(config);
  onCleanup(() => server.close());
  onCleanup(() => agent.destroy());
  const pool = new pg.Pool({ connectionString: databaseUrl, max: config.databasePoolMax });
  onCleanup(() => pool.end());
  const { port } = server;
  const window = config.idempotencyWindowSeconds;

  // The demo users and new ones: CONCURRENCY senders, all in one group.
  const senders: Sender[] = [];
  for (const u of DEMO_USERS) senders.push(await login(port, u.email, u.password));
  for (let i = senders.length; i < CONCURRENCY; i++) {
    const email = `bench-${i}@example.com`;
    const res = await request(port, '/register', {
      email,
      name: `Bench ${i}`,
      password: 'password123',
    });
    if (res.status !== 201) throw new Error(`register: ${res.status}`);
    senders.push(await login(port, email, 'password123'));
  }
  const group = await request(
    port,
    '/group',
    { name: 'bench', participant_user_ids: senders.map((s) => s.userId) },
    senders[0]!.token,
  );
  if (group.status !== 201) throw new Error(`group: ${group.status}`);
  const groupId = group.body.group_id as number;

  // Sender w writes to sender w+1: a ring of CONCURRENCY distinct direct chats.
  const created: Send[][] = senders.map(() => []);
  const direct = (w: number) => {
    const s = newSend(senders[w]!, 'user', senders[(w + 1) % CONCURRENCY]!.userId);
    created[w]!.push(s);
    return s;
  };
  const hot = (w: number) => newSend(senders[w]!, 'group', groupId);
  const replayed = senders.map(() => 0);
  const again = (w: number) => created[w]![replayed[w]!++ % created[w]!.length]!;

  const scenarios: [string, (w: number) => Send, boolean][] = [
    ['direct chats', direct, false],
    ['hot group', hot, false],
    ['replay', again, true],
  ];
  const rows: [string, string, Result][] = [];
  for (const [name, next, replay] of scenarios) {
    rows.push([name, 'http', await run((w) => sendHttp(port, next(w), replay))]);
    rows.push([name, 'pg', await run((w) => sendPg(pool, window, next(w), replay))]);
  }

  console.log(
    `msgr send: ${CONCURRENCY} concurrent senders, ${WARMUP} warm-up then ≤${MAX_OPS} sends or ` +
      `${MAX_SECONDS} s per run, pool ${config.databasePoolMax}, PostgreSQL ${where}\n`,
  );
  const cols = ['scenario', 'path', 'ops', 'ops/s', 'p50 ms', 'p99 ms'];
  const line = (c: string[]) => tableLine(c, 2);
  console.log(line(cols));
  for (const [name, via, r] of rows) {
    const f = (n: number, d: number) => n.toFixed(d);
    console.log(line([name, via, String(r.ops), f(r.throughput, 0), f(r.p50, 2), f(r.p99, 2)]));
  }
  console.log();
  for (let i = 0; i < rows.length; i += 2) {
    const [name, , h] = rows[i]!;
    const [, , b] = rows[i + 1]!;
    console.log(
      `${`${name}:`.padEnd(14)} http throughput = ${(h.throughput / b.throughput).toFixed(2)} × pg baseline, ` +
        `http p50 = ${(h.p50 / b.p50).toFixed(2)} × pg baseline`,
    );
  }
}

await runBenchmark(main);
