/**
 * `race` across 3 hosts versus a single host, through the SDK: p50/p99 send latency and the
 * rows the servers created (exactly one per send either way), in the same run.
 *
 *   npm run bench:race            (from the repo root)
 *
 * Three server instances run in this process on one database (embedded PostgreSQL in a temp
 * folder, or DATABASE_URL's server); the client shares the event loop with them, so `race`
 * pays for its 3× requests here in CPU as well — on separate machines it would not.
 */
import pg from 'pg';
import {
  benchConfig,
  benchDatabase,
  onCleanup,
  percentile,
  runBenchmark,
  tableLine,
} from '../../server/bench/support.js';
import { startServer } from '../../server/src/server.js';
import { MessengerClient, type Message } from '../src/index.js';

const WARMUP = 50;
const SENDS = 500;
const CONCURRENCY = 4;

interface Run {
  name: string;
  latencies: number[];
  rows: number;
  sends: number;
}

async function measure(name: string, client: MessengerClient, databaseUrl: string): Promise<Run> {
  const send = () => client.sendToUser(2, `${name} ${Math.random()}`);
  for (let i = 0; i < WARMUP; i++) await send();
  const latencies: number[] = [];
  const chat: Message[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < SENDS) {
        const t0 = performance.now();
        chat.push(await send());
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const ids = chat.map((m) => m.id);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM messages WHERE id = ANY($1::bigint[])',
      [ids],
    );
    return {
      name,
      latencies: latencies.sort((a, b) => a - b),
      rows: rows[0]!.n,
      sends: ids.length,
    };
  } finally {
    await db.end();
  }
}

await runBenchmark(async () => {
  const { databaseUrl, where } = await benchDatabase(`msgr_bench_race_${process.pid}`);
  const servers = await Promise.all([1, 2, 3].map(() => startServer(benchConfig(databaseUrl))));
  for (const s of servers) onCleanup(() => s.close());
  const hosts = servers.map((s) => s.url);

  const single = new MessengerClient({ hosts: [hosts[0]!] });
  await single.login({ email: 'test1@test.com', password: 'test', clientId: 'single' });
  const race = new MessengerClient({ hosts, strategy: 'race' });
  await race.login({ email: 'test1@test.com', password: 'test', clientId: 'race' });

  // Alternate, twice, so neither strategy always runs on the warmer server.
  const runs: Run[] = [];
  for (const [name, client] of [
    ['single', single],
    ['race x3', race],
    ['single', single],
    ['race x3', race],
  ] as const) {
    runs.push(await measure(name, client, databaseUrl));
  }
  const merged = (name: string): Run => {
    const mine = runs.filter((r) => r.name === name);
    return {
      name,
      latencies: mine.flatMap((r) => r.latencies).sort((a, b) => a - b),
      rows: mine.reduce((n, r) => n + r.rows, 0),
      sends: mine.reduce((n, r) => n + r.sends, 0),
    };
  };
  const [s, r] = [merged('single'), merged('race x3')];

  console.log(
    `msgr send via @msgr/sdk: ${CONCURRENCY} concurrent, ${WARMUP} warm-up then ${SENDS} sends, twice per strategy; 3 in-process servers; PostgreSQL ${where}\n`,
  );
  const header = ['strategy', 'sends', 'rows', 'p50 ms', 'p99 ms'];
  console.log(tableLine(header, 1));
  for (const run of [s, r]) {
    console.log(
      tableLine(
        [
          run.name,
          String(run.sends),
          String(run.rows),
          percentile(run.latencies, 0.5).toFixed(2),
          percentile(run.latencies, 0.99).toFixed(2),
        ],
        1,
        header,
      ),
    );
  }
  const ratio = (q: number) => (percentile(r.latencies, q) / percentile(s.latencies, q)).toFixed(2);
  console.log(`\nrace p50 = ${ratio(0.5)} × single p50, race p99 = ${ratio(0.99)} × single p99`);
  console.log(
    `rows per send: single ${(s.rows / s.sends).toFixed(3)}, race ${(r.rows / r.sends).toFixed(3)}`,
  );
});
