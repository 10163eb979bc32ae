/**
 * Duplicate race: the SDK's `strategy: 'race'` sends each message (one operation id) to 3
 * instances at once and takes the first success; baseline: the same client on a single host.
 * Alternating runs (single, race, single, race) so neither always runs warmer. Afterwards the
 * database says how many rows the sends made: exactly one each, or the idempotency is broken.
 */
import pg from 'pg';
import { MessengerClient, type Message } from '../../../packages/sdk/src/index.js';
import { newAgent } from '../lib/http.js';
import { startInstances } from '../lib/processes.js';
import { onCleanup } from '../lib/run.js';
import { aim, type Scenario } from '../lib/scenario.js';
import { summarise } from '../lib/stats.js';
import { devices, PASSWORD } from '../lib/users.js';

const CONCURRENCY = 4;

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
    const run = async (name: 'single' | 'race', count: number, keep: boolean) => {
      const client = clients[name];
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next++ < count) {
            const t0 = performance.now();
            const m: Message = await client.sendToUser(peer!.userId, `${name} ${Math.random()}`);
            if (keep) {
              latencies[name].push(performance.now() - t0);
              made[name].push(m.id);
            }
          }
        }),
      );
    };
    await run('single', warmup, false);
    await run('race', warmup, false);
    for (const name of ['single', 'race', 'single', 'race'] as const) {
      ctx.log(`race: ${name}`);
      await run(name, sends / 2, true);
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
    ctx.row({
      case: '3 hosts, race',
      metric: 'first answer p50',
      value: race.p50,
      unit: 'ms',
      baseline: single.p50,
      baselineLabel,
      aim: aim('ratio', '<=', 1.2),
    });
    ctx.row({
      case: '3 hosts, race',
      metric: 'first answer p99',
      value: race.p99,
      unit: 'ms',
      baseline: single.p99,
      baselineLabel,
    });
    ctx.note(
      `race: ${sends} measured sends per strategy (${CONCURRENCY} concurrent, ${warmup} warm-up), ` +
        `3 instances as processes; single p50 ${single.p50.toFixed(2)} ms p99 ${single.p99.toFixed(2)} ms, ` +
        `race p50 ${race.p50.toFixed(2)} ms p99 ${race.p99.toFixed(2)} ms; rows per send: single ` +
        `${singleRows.toFixed(3)}, race ${raceRows.toFixed(3)}`,
    );
  },
};
