/**
 * Duplicate race and hedge: the SDK's `strategy: 'race'` sends each message (one operation id)
 * to 3 instances at once and takes the first success; `strategy: 'hedge'` sends it to one and
 * only asks the next when no answer came within that host's recent p95; baseline: the same
 * client on a single host. Alternating runs (single, race, hedge, single, race, hedge) so none
 * always runs warmer, two ways: a closed loop of 4 senders, which keeps the instances busy
 * (racing triples their work, so there it costs latency), and sends at a fixed rate well under
 * what any strategy sustains (what a client feels when the hosts have room). Afterwards the
 * database says how many rows the sends made: exactly one each, or the idempotency is broken;
 * the clients' counters say how many extra requests each send cost.
 *
 * Then one of the three instances stalls (SIGSTOP: it still accepts connections, answers
 * nothing), the one the client prefers, at the fixed rate: the hedge's and the race's p99
 * against their own healthy p99, and for contrast failover (which waits out its `timeoutMs`,
 * here 1 s).
 */
import pg from 'pg';
import {
  MessengerClient,
  type Message,
  type TransportStats,
} from '../../../packages/sdk/src/index.js';
import { newAgent } from '../lib/http.js';
import { startInstances, type Child } from '../lib/processes.js';
import { onCleanup, sleep } from '../lib/run.js';
import { aim, type Scenario } from '../lib/scenario.js';
import { summarise, type Latencies } from '../lib/stats.js';
import { devices, PASSWORD } from '../lib/users.js';

const CONCURRENCY = 4;
/** Sends a second in the paced case: a raced send costs 3 instances about 3 sends' CPU. */
const PACED_PER_SECOND = 40;
/** The failover client's per-request timeout in the stalled case (its default is 10 s). */
const STALL_FAILOVER_TIMEOUT_MS = 1000;

type Name = 'single' | 'race' | 'hedge';
const NAMES: readonly Name[] = ['single', 'race', 'hedge'];

export const raceScenario: Scenario = {
  name: 'race',
  title: 'Duplicate race and hedge over 3 instances vs a single host',
  async run(ctx) {
    const sends = ctx.quick ? 150 : 500;
    const warmup = ctx.quick ? 20 : 50;
    const databaseUrl = await ctx.pg.database('race');
    const servers = await startInstances(3, databaseUrl);
    const agent = newAgent(4);
    onCleanup(() => agent.destroy());
    const [me, peer] = await devices(agent, servers[0]!.port, 'race', 2);
    const hosts = servers.map((s) => s.url);
    const clients: Record<Name, MessengerClient> = {
      single: new MessengerClient({ hosts: [hosts[0]!] }),
      race: new MessengerClient({ hosts, strategy: 'race' }),
      hedge: new MessengerClient({ hosts, strategy: 'hedge' }),
    };
    const logIn = (client: MessengerClient, clientId: string) =>
      client.login({ email: me!.email, password: PASSWORD, clientId });
    for (const name of NAMES) await logIn(clients[name], `race-${name}`);
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    onCleanup(() => db.end());

    const latencies = mapNames((): number[] => []);
    const made = mapNames((): number[] => []);
    const paced = mapNames((): number[] => []);
    /** Requests each client sent in the measured runs of one load, and the sends they made. */
    const cost = {
      closed: mapNames(noCost),
      paced: mapNames(noCost),
    };
    /** One send; unless a warm-up, its latency goes `into` and its message id into `made`. */
    const sendOne = async (name: Name, into?: number[]) => {
      const t0 = performance.now();
      const m: Message = await clients[name].sendToUser(peer!.userId, `${name} ${Math.random()}`);
      if (into) {
        into.push(performance.now() - t0);
        made[name].push(m.id);
      }
    };
    /** Runs `body` (`count` sends of `name`), adding what they cost to `into`. */
    const costed = async (name: Name, count: number, into: Cost, body: () => Promise<void>) => {
      const before = clients[name].stats;
      await body();
      add(into, before, clients[name].stats, count);
    };
    const run = async (name: Name, count: number, keep: boolean) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next++ < count) await sendOne(name, keep ? latencies[name] : undefined);
        }),
      );
    };
    for (const name of NAMES) await run(name, warmup, false);
    for (const name of [...NAMES, ...NAMES]) {
      ctx.log(`race: ${name}`);
      await costed(name, sends / 2, cost.closed[name], () => run(name, sends / 2, true));
    }
    const pacedSends = ctx.quick ? 80 : 200;
    for (const name of [...NAMES, ...NAMES]) {
      ctx.log(`race: ${name} at ${PACED_PER_SECOND}/s`);
      await costed(name, pacedSends / 2, cost.paced[name], () =>
        atRate(pacedSends / 2, () => sendOne(name, paced[name])),
      );
    }
    const rowsPerSend = async (name: Name) => {
      const ids = made[name];
      const texts = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM messages WHERE chat_id = (SELECT chat_id FROM messages WHERE id = $1) AND text LIKE $2`,
        [ids[0], `${name} %`],
      );
      // Every message this strategy made, warm-up included, over the sends it answered.
      return texts.rows[0]!.n / (ids.length + warmup);
    };
    const closed = mapNames((name) => summarise(latencies[name]));
    const atFixedRate = mapNames((name) => summarise(paced[name]));
    const rows: Record<Name, number> = {
      single: await rowsPerSend('single'),
      race: await rowsPerSend('race'),
      hedge: await rowsPerSend('hedge'),
    };

    // --- one host stalls: the one the client prefers, at the fixed rate ---
    const stalled = servers[0]!;
    /**
     * A fresh client warmed up by 30 sends. Unless racing, it surely prefers `hosts[0]`: no
     * hedge, no retry, so no other host answered (a login and 30 sends in 31 requests).
     */
    const warmed = async (options: ConstructorParameters<typeof MessengerClient>[0]) => {
      for (let tries = 0; ; tries++) {
        const client = new MessengerClient({ hosts, ...options });
        await logIn(client, `race-stall-${tries}`);
        for (let i = 0; i < 30; i++) await client.sendToUser(peer!.userId, `warm ${i}`);
        const { requests, hedged } = client.stats;
        const isOnFirst = requests === 31 && hedged === 0;
        if (options?.strategy === 'race' || isOnFirst) return client;
        if (tries === 4) {
          ctx.note(
            `race: a ${options?.strategy ?? 'failover'} client never kept to host 0 in 5 warm-ups`,
          );
          return client;
        }
      }
    };
    const stallSends = pacedSends;
    const whenStalled = { hedge: [] as number[], race: [] as number[] };
    let hedgedInStall = 0;
    for (const name of ['hedge', 'race'] as const) {
      const client = await warmed({ strategy: name });
      const before = client.stats;
      ctx.log(`race: ${name} at ${PACED_PER_SECOND}/s, the preferred instance stalled`);
      await whileStopped(stalled, () =>
        atRate(stallSends, () => timed(client, peer!.userId, `${name}-stall`, whenStalled[name])),
      );
      if (name === 'hedge') hedgedInStall = client.stats.hedged - before.hedged;
    }
    const failoverStalled: number[] = [];
    const failoverSends = ctx.quick ? 40 : 80;
    let failoverErrors = 0;
    const failoverClient = await warmed({ timeoutMs: STALL_FAILOVER_TIMEOUT_MS });
    ctx.log(`race: failover at ${PACED_PER_SECOND}/s, the preferred instance stalled`);
    await whileStopped(stalled, () =>
      atRate(failoverSends, () =>
        timed(failoverClient, peer!.userId, 'failover-stall', failoverStalled).catch(() => {
          failoverErrors++;
        }),
      ),
    );
    const stall = {
      hedge: summarise(whenStalled.hedge),
      race: summarise(whenStalled.race),
      failover: summarise(failoverStalled),
    };

    const baselineLabel = 'single host';
    for (const name of ['race', 'hedge'] as const) {
      ctx.row({
        case: `3 hosts, ${name}`,
        metric: 'rows per send',
        value: rows[name],
        unit: '',
        baseline: rows.single,
        baselineLabel,
        aim: aim('value', '==', 1),
      });
    }
    /** First-answer p50 (with the aim) and p99 of one load, a strategy against single host. */
    const latencyRows = (
      name: Name,
      load: string,
      r: Latencies,
      base: Latencies,
      label: string,
    ) => {
      for (const q of ['p50', 'p99'] as const) {
        ctx.row({
          case: `3 hosts, ${name}, ${load}`,
          metric: `first answer ${q}`,
          value: r[q],
          unit: 'ms',
          baseline: base[q],
          baselineLabel: label,
          aim: q === 'p50' ? aim('ratio', '<=', 1.2) : undefined,
        });
      }
    };
    const closedLoad = `${CONCURRENCY} in a closed loop`;
    const pacedLoad = `${PACED_PER_SECOND}/s`;
    for (const name of ['race', 'hedge'] as const) {
      latencyRows(name, closedLoad, closed[name], closed.single, baselineLabel);
      latencyRows(
        name,
        pacedLoad,
        atFixedRate[name],
        atFixedRate.single,
        `single host, ${pacedLoad}`,
      );
    }
    for (const [load, spent] of [
      [closedLoad, cost.closed],
      [pacedLoad, cost.paced],
    ] as const) {
      ctx.row({
        case: `3 hosts, hedge, ${load}`,
        metric: 'extra requests per send',
        value: extraPerSend(spent.hedge),
        unit: '',
        baseline: extraPerSend(spent.race),
        baselineLabel: 'race',
        aim: aim('value', '<=', 0.1),
      });
    }
    for (const name of ['hedge', 'race'] as const) {
      ctx.row({
        case: `3 hosts, ${name}, ${pacedLoad}, the preferred one stalled`,
        metric: 'first answer p99',
        value: stall[name].p99,
        unit: 'ms',
        baseline: atFixedRate[name].p99,
        baselineLabel: `${name}, ${pacedLoad}, healthy`,
        aim: name === 'hedge' ? aim('ratio', '<=', 2) : undefined,
      });
    }
    ctx.row({
      case: `3 hosts, failover (timeout ${STALL_FAILOVER_TIMEOUT_MS} ms), ${pacedLoad}, the preferred one stalled`,
      metric: 'first answer p99',
      value: stall.failover.p99,
      unit: 'ms',
      baseline: atFixedRate.hedge.p99,
      baselineLabel: `hedge, ${pacedLoad}, healthy`,
    });

    const ms = (x: number) => `${x.toFixed(2)} ms`;
    const pq = (l: Latencies) => `p50 ${ms(l.p50)} p99 ${ms(l.p99)}`;
    ctx.note(
      `race: ${sends} measured sends per strategy (${CONCURRENCY} concurrent, ${warmup} warm-up), ` +
        `3 instances as processes; single ${pq(closed.single)}, race ${pq(closed.race)}, hedge ` +
        `${pq(closed.hedge)}; rows per send: single ${rows.single.toFixed(3)}, race ` +
        `${rows.race.toFixed(3)}, hedge ${rows.hedge.toFixed(3)}; at ${PACED_PER_SECOND}/s ` +
        `(${pacedSends} sends per strategy) single ${pq(atFixedRate.single)}, race ` +
        `${pq(atFixedRate.race)}, hedge ${pq(atFixedRate.hedge)}`,
    );
    ctx.note(
      `race: extra requests per send (beyond one): closed loop race ` +
        `${extraPerSend(cost.closed.race).toFixed(3)}, hedge ${extraPerSend(cost.closed.hedge).toFixed(3)} ` +
        `(${cost.closed.hedge.hedged} of ${cost.closed.hedge.sends}); at ${PACED_PER_SECOND}/s race ` +
        `${extraPerSend(cost.paced.race).toFixed(3)}, hedge ${extraPerSend(cost.paced.hedge).toFixed(3)} ` +
        `(${cost.paced.hedge.hedged} of ${cost.paced.hedge.sends})`,
    );
    ctx.note(
      `race: instance 0 stopped (SIGSTOP) while a client that prefers it sends at ` +
        `${PACED_PER_SECOND}/s (${stallSends} sends): hedge ${pq(stall.hedge)} max ` +
        `${ms(stall.hedge.max)}, ${hedgedInStall} hedged (healthy: ${pq(atFixedRate.hedge)}); ` +
        `race ${pq(stall.race)} (healthy: ${pq(atFixedRate.race)}); failover with timeoutMs ` +
        `${STALL_FAILOVER_TIMEOUT_MS} (${failoverSends} sends, ${failoverErrors} failed) ` +
        `${pq(stall.failover)}`,
    );
  },
};

interface Cost {
  sends: number;
  requests: number;
  hedged: number;
}

const noCost = (): Cost => ({ sends: 0, requests: 0, hedged: 0 });

/** Adds what `sends` sends cost between two snapshots of a client's stats; returns `into`. */
function add(into: Cost, before: TransportStats, after: TransportStats, sends: number): Cost {
  into.sends += sends;
  into.requests += after.requests - before.requests;
  into.hedged += after.hedged - before.hedged;
  return into;
}

/** Requests beyond one per send: a race's copies, a hedge's extra ones (and any retries). */
const extraPerSend = (c: Cost) => (c.requests - c.sends) / c.sends;

function mapNames<T>(f: (name: Name) => T): Record<Name, T> {
  return { single: f('single'), race: f('race'), hedge: f('hedge') };
}

/** `count` calls of `op` at PACED_PER_SECOND, each on time whether the one before answered or not. */
async function atRate(count: number, op: () => Promise<void>): Promise<void> {
  const start = performance.now();
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      await sleep(Math.max(0, start + (i * 1000) / PACED_PER_SECOND - performance.now()));
      await op();
    }),
  );
}

/** One send of `client`, its latency into `into`. */
async function timed(
  client: MessengerClient,
  peerId: number,
  label: string,
  into: number[],
): Promise<void> {
  const t0 = performance.now();
  await client.sendToUser(peerId, `${label} ${Math.random()}`);
  into.push(performance.now() - t0);
}

/**
 * Runs `body` while `child` is stopped (SIGSTOP: its port still accepts connections, nothing
 * answers), then lets it go on (SIGCONT), also when `body` throws or the run is interrupted.
 * Stopped between runs, not inside one: a send stopped halfway would hold its locks.
 */
async function whileStopped(child: Child, body: () => Promise<void>): Promise<void> {
  const resume = onCleanup(() => process.kill(child.pid, 'SIGCONT'));
  process.kill(child.pid, 'SIGSTOP');
  try {
    await body();
  } finally {
    await resume();
  }
}
