/**
 * Duplicate race: the SDK's `strategy: 'race'` sends each message (one operation id) to 3
 * instances at once and takes the first success; baseline: the same client on a single host.
 * Alternating runs (single, race, single, race) so neither always runs warmer, two ways: a closed
 * loop of 4 senders, which keeps the instances busy (racing triples their work, so there it
 * costs latency), and sends at a fixed rate well under what either strategy sustains (what a
 * client feels when the hosts have room). Afterwards the database says how many rows the sends
 * made: exactly one each, or the idempotency is broken.
 */
import pg from 'pg';
import { MessengerClient, type Message } from '../../../packages/sdk/src/index.js';
import { newAgent } from '../lib/http.js';
import { startInstances } from '../lib/processes.js';
import { onCleanup, sleep } from '../lib/run.js';
import { aim, type Scenario } from '../lib/scenario.js';
import { summarise } from '../lib/stats.js';
import { devices, PASSWORD } from '../lib/users.js';

const CONCURRENCY = 4;
/** Sends a second in the paced case: a raced send costs 3 instances about 3 sends' CPU. */
const PACED_PER_SECOND = 40;

export const raceScenario: Scenario = {
  name: 'race',
  title: 'Duplicate race over 3 instances vs a single host',
  async run(ctx) {
    const sends = ctx.quick ? 150 : 500;
    const warmup = ctx.quick ? 20 : 50;
    const databaseUrl = await ctx.pg.database('race');
    const servers = await startInstances(3, databaseUrl);
    const agent = newAgent(4);
    onCleanup(() => agent.destroy());
    const [me, peer] = await devices(agent, servers[0]!.port, 'race', 2);
    const hosts = servers.map((s) => s.url);
    const clients = {
      single: new MessengerClient({ hosts: [hosts[0]!] }),
      race: new MessengerClient({ hosts, strategy: 'race' }),
    };
    for (const [name, client] of Object.entries(clients)) {
      await client.login({ email: me!.email, password: PASSWORD, clientId: `race-${name}` });
    }
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    onCleanup(() => db.end());

    const latencies = { single: [] as number[], race: [] as number[] };
    const made = { single: [] as number[], race: [] as number[] };
    const paced = { single: [] as number[], race: [] as number[] };
    /** One send; unless a warm-up, its latency goes `into` and its message id into `made`. */
    const sendOne = async (name: 'single' | 'race', into?: number[]) => {
      const t0 = performance.now();
      const m: Message = await clients[name].sendToUser(peer!.userId, `${name} ${Math.random()}`);
      if (into) {
        into.push(performance.now() - t0);
        made[name].push(m.id);
      }
    };
    const run = async (name: 'single' | 'race', count: number, keep: boolean) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next++ < count) await sendOne(name, keep ? latencies[name] : undefined);
        }),
      );
    };
    /** `count` sends at PACED_PER_SECOND, each on time whether the one before answered or not. */
    const runPaced = async (name: 'single' | 'race', count: number) => {
      const start = performance.now();
      await Promise.all(
        Array.from({ length: count }, async (_, i) => {
          await sleep(Math.max(0, start + (i * 1000) / PACED_PER_SECOND - performance.now()));
          await sendOne(name, paced[name]);
        }),
      );
    };
    await run('single', warmup, false);
    await run('race', warmup, false);
    for (const name of ['single', 'race', 'single', 'race'] as const) {
      ctx.log(`race: ${name}`);
      await run(name, sends / 2, true);
    }
    const pacedSends = ctx.quick ? 80 : 200;
    for (const name of ['single', 'race', 'single', 'race'] as const) {
      ctx.log(`race: ${name} at ${PACED_PER_SECOND}/s`);
      await runPaced(name, pacedSends / 2);
    }
    const rowsPerSend = async (name: 'single' | 'race') => {
      const ids = made[name];
      const texts = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM messages WHERE chat_id = (SELECT chat_id FROM messages WHERE id = $1) AND text LIKE $2`,
        [ids[0], `${name} %`],
      );
      // Every message this strategy made, warm-up included, over the sends it answered.
      return texts.rows[0]!.n / (ids.length + warmup);
    };
    const [single, race] = [summarise(latencies.single), summarise(latencies.race)];
    const [pacedSingle, pacedRace] = [summarise(paced.single), summarise(paced.race)];
    const [singleRows, raceRows] = [await rowsPerSend('single'), await rowsPerSend('race')];
    const baselineLabel = 'single host';
    ctx.row({
      case: '3 hosts, race',
      metric: 'rows per send',
      value: raceRows,
      unit: '',
      baseline: singleRows,
      baselineLabel,
      aim: aim('value', '==', 1),
    });
    /** First-answer p50 (with the aim) and p99 of one load, race against single host. */
    const latencyRows = (load: string, r: typeof race, baseline: typeof single, label: string) => {
      for (const q of ['p50', 'p99'] as const) {
        ctx.row({
          case: `3 hosts, race, ${load}`,
          metric: `first answer ${q}`,
          value: r[q],
          unit: 'ms',
          baseline: baseline[q],
          baselineLabel: label,
          aim: q === 'p50' ? aim('ratio', '<=', 1.2) : undefined,
        });
      }
    };
    latencyRows(`${CONCURRENCY} in a closed loop`, race, single, baselineLabel);
    latencyRows(
      `${PACED_PER_SECOND}/s`,
      pacedRace,
      pacedSingle,
      `single host, ${PACED_PER_SECOND}/s`,
    );
    ctx.note(
      `race: ${sends} measured sends per strategy (${CONCURRENCY} concurrent, ${warmup} warm-up), ` +
        `3 instances as processes; single p50 ${single.p50.toFixed(2)} ms p99 ${single.p99.toFixed(2)} ms, ` +
        `race p50 ${race.p50.toFixed(2)} ms p99 ${race.p99.toFixed(2)} ms; rows per send: single ` +
        `${singleRows.toFixed(3)}, race ${raceRows.toFixed(3)}; at ${PACED_PER_SECOND}/s (${pacedSends} ` +
        `sends per strategy) single p50 ${pacedSingle.p50.toFixed(2)} ms p99 ` +
        `${pacedSingle.p99.toFixed(2)} ms, race p50 ${pacedRace.p50.toFixed(2)} ms p99 ` +
        `${pacedRace.p99.toFixed(2)} ms`,
    );
  },
};
