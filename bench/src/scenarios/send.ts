/**
 * Send throughput and latency: POST /messages/… at 1 and 2 instances (processes), 16 and 64
 * senders in a closed loop, each with its own user, token and operation ids; against the same
 * statement the server runs (`SELECT * FROM msgr_send(…)`, named, the server's own values)
 * through a pg.Pool as large as the instances' pools together, at the same concurrency, no HTTP,
 * measured right before it. Direct chats in a ring (no shared rows); at 1 instance also replays
 * (200 + Idempotent-Replayed, nothing created), and at 16 senders a hot group (one chat row lock
 * serialises every send). All of it twice, once per PostgreSQL configuration:
 * `fast` (fsync off, as the tests run) and `durable` (fsync, synchronous_commit and
 * full_page_writes on, as production runs), each against its own baseline on the same server.
 * In each, coalesced sends (the default) are also measured against the same server sending one
 * statement per send (SEND_BATCH_MAX=1), in turns, at 16 senders: direct and hot group.
 */
import pg from 'pg';
import { newAgent } from '../lib/http.js';
import { inTurns, startInstances, turnSpread, type Child } from '../lib/processes.js';
import { onCleanup } from '../lib/run.js';
import type { BenchPostgres, PgConfiguration } from '../lib/postgres.js';
import { aim, type Context, type Scenario } from '../lib/scenario.js';
import { httpSend, LIMITS_OFF, newSend, pgSend, type Send } from '../lib/sends.js';
import type { LoadResult } from '../lib/stats.js';
import { createGroup, devices } from '../lib/users.js';

const POOL_PER_INSTANCE = 10;

/**
 * Throughput aims, as ratios to the same SQL through pg: where every commit waits for its WAL
 * flush, the database's share of a send is larger and HTTP's overhead weighs less.
 */
const THROUGHPUT_AIM: Record<PgConfiguration, number> = { durable: 0.8, fast: 0.6 };

export const sendScenario: Scenario = {
  name: 'send',
  title: 'Send throughput, 1 and 2 instances',
  async run(ctx: Context) {
    for (const configuration of ctx.configurations) {
      await measureSends(ctx, configuration, await ctx.pgOf(configuration));
    }
  },
};

async function measureSends(
  ctx: Context,
  configuration: PgConfiguration,
  postgres: BenchPostgres,
): Promise<void> {
  const runMs = ctx.quick ? 1500 : 8000;
  const warmMs = ctx.quick ? 400 : 1500;
  const concurrencies = [16, 64];
  const maxC = Math.max(...concurrencies);
  const databaseUrl = await postgres.database('send');
  const agent = newAgent(maxC * 2);
  onCleanup(() => agent.destroy());
  const instances: Child[] = await startInstances(1, databaseUrl);
  const senders = await devices(agent, instances[0]!.port, 'send', maxC);
  const { groupId } = await createGroup(
    agent,
    instances[0]!.port,
    senders[0]!,
    senders.slice(0, 16).map((d) => d.userId),
  );
  ctx.note(
    `send, ${configuration} (${postgres.where}): ${runMs / 1000} s per path, in turns with the baseline, after ${warmMs / 1000} s warm-up; server pools ` +
      `${POOL_PER_INSTANCE} each, baseline pool ${POOL_PER_INSTANCE} × instances; limits off`,
  );

  const created: Send[][] = senders.map(() => []);
  const direct = (c: number) => (w: number) => {
    const s = newSend(senders[w]!, 'user', senders[(w + 1) % c]!.userId);
    created[w]!.push(s);
    return s;
  };
  const hot = (w: number) => newSend(senders[w]!, 'group', groupId);
  const replayed = senders.map(() => 0);
  const again = (w: number) => created[w]![replayed[w]!++ % created[w]!.length]!;

  const turns = { warmMs, totalMs: runMs, rounds: ctx.quick ? 2 : 4 };

  const measure = async (
    label: string,
    c: number,
    k: number,
    next: (w: number) => Send,
    replay: boolean,
  ) => {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: POOL_PER_INSTANCE * k });
    try {
      const { r, perOp } = await inTurns(
        c,
        {
          base: { op: (w) => pgSend(pool, LIMITS_OFF, next(w), replay) },
          // The instances' CPU while the HTTP path runs (they also hear the baseline's NOTIFYs).
          http: {
            op: (w) => httpSend(agent, instances[w % k]!.port, next(w), replay),
            serving: instances.slice(0, k),
          },
        },
        turns,
      );
      report(ctx, `${configuration}, ${label}`, configuration, r.http, r.base, perOp('http'));
    } finally {
      await pool.end();
    }
  };

  for (const k of [1, 2]) {
    if (k === 2) instances.push(...(await startInstances(1, databaseUrl)));
    for (const c of concurrencies) {
      ctx.log(`send, ${configuration}: ${k} instance(s), ${c} senders`);
      await measure(`${k} inst, c=${c}, direct`, c, k, direct(c), false);
      if (k === 1 && c === 16) await measure(`1 inst, c=16, hot group`, c, k, hot, false);
      // Replays at both concurrencies: at 16 the instance waits between its batches (the
      // machine is a third idle in its turns), at 64 it is busy (docs/performance.md).
      if (k === 1) await measure(`1 inst, c=${c}, replay`, c, k, again, true);
    }
  }
  // Coalesced sends against one statement per send: the same server with SEND_BATCH_MAX=1.
  const alone = (await startInstances(1, databaseUrl, { env: { SEND_BATCH_MAX: '1' } }))[0]!;
  instances.push(alone);
  for (const [label, next] of [
    ['direct', direct(16)],
    ['hot group', hot],
  ] as const) {
    ctx.log(`send, ${configuration}: coalesced vs one statement per send, ${label}`);
    const on = (server: Child) => ({
      op: (w: number) => httpSend(agent, server.port, next(w)),
      serving: [server],
    });
    const { r, perOp } = await inTurns(
      16,
      { coalesced: on(instances[0]!), alone: on(alone) },
      turns,
    );
    reportCoalescing(ctx, `${configuration}, 1 inst, c=16, ${label}`, configuration, r, {
      coalesced: perOp('coalesced'),
      alone: perOp('alone'),
    });
  }
  await Promise.all(instances.map((i) => i.stop()));
}

/** The server's CPU per send over a case's run, and in each of its turns (µs). */
interface ServerCpu {
  cpu: number;
  turns: number[];
}

/** `164 µs CPU (turns 150–181 µs)`: the figure, and how far it moved from turn to turn. */
function cpuText({ cpu, turns }: ServerCpu): string {
  return `${cpu.toFixed(0)} µs CPU (turns ${turnSpread(turns)} µs)`;
}

/** The rows of coalesced sends against the same server sending one statement per send. */
function reportCoalescing(
  ctx: Context,
  label: string,
  configuration: PgConfiguration,
  r: Record<'coalesced' | 'alone', LoadResult>,
  cpu: Record<'coalesced' | 'alone', ServerCpu>,
): void {
  const baselineLabel = `one statement per send, ${configuration}`;
  ctx.row({
    case: `${label}, coalesced`,
    metric: 'throughput',
    value: r.coalesced.throughput,
    unit: 'ops/s',
    baseline: r.alone.throughput,
    baselineLabel,
    aim: aim('ratio', '>=', 1),
  });
  ctx.row({
    case: `${label}, coalesced`,
    metric: 'p50',
    value: r.coalesced.p50,
    unit: 'ms',
    baseline: r.alone.p50,
    baselineLabel,
  });
  ctx.row({
    case: `${label}, coalesced`,
    metric: 'server CPU per send',
    value: cpu.coalesced.cpu,
    unit: 'µs',
    baseline: cpu.alone.cpu,
    baselineLabel,
    aim: aim('value', '<=', 200),
  });
  ctx.note(
    `send ${label}: coalesced ${r.coalesced.count} sends, p50 ${r.coalesced.p50.toFixed(2)} ms, p99 ` +
      `${r.coalesced.p99.toFixed(2)} ms, ${cpuText(cpu.coalesced)} each; one statement per ` +
      `send ${r.alone.count}, p50 ${r.alone.p50.toFixed(2)} ms, p99 ${r.alone.p99.toFixed(2)} ms, ` +
      `${cpuText(cpu.alone)} each` +
      (r.coalesced.errors + r.alone.errors
        ? `; ${r.coalesced.errors + r.alone.errors} errors: ${r.coalesced.firstError ?? r.alone.firstError}`
        : ''),
  );
}

function report(
  ctx: Context,
  label: string,
  configuration: PgConfiguration,
  http: LoadResult,
  base: LoadResult,
  cpu: ServerCpu,
): void {
  const baselineLabel = `same SQL via pg, ${configuration}`;
  ctx.row({
    case: label,
    metric: 'throughput',
    value: http.throughput,
    unit: 'ops/s',
    baseline: base.throughput,
    baselineLabel,
    aim: aim('ratio', '>=', THROUGHPUT_AIM[configuration]),
  });
  ctx.row({
    case: label,
    metric: 'p50',
    value: http.p50,
    unit: 'ms',
    baseline: base.p50,
    baselineLabel,
  });
  ctx.row({
    case: label,
    metric: 'p99 / p50',
    value: http.p99,
    unit: 'ms',
    baseline: http.p50,
    baselineLabel: 'http p50, same run',
    aim: aim('ratio', '<=', 5),
  });
  const errors = http.errors + base.errors;
  ctx.note(
    `send ${label}: http ${http.count} sends, p50 ${http.p50.toFixed(2)} ms, p99 ` +
      `${http.p99.toFixed(2)} ms; pg ${base.count}, p50 ${base.p50.toFixed(2)} ms, p99 ` +
      `${base.p99.toFixed(2)} ms; server ${cpuText(cpu)} per send` +
      (errors ? `; ${errors} errors: ${http.firstError ?? base.firstError}` : ''),
  );
}
