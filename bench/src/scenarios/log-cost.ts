/**
 * The log's cost on a send (v1.2): today's msgr_send, which appends the message's event in the
 * same transaction, against the v1.1 send without it (lib/unlogged-send.ts: derived from today's
 * text, step 6 replaced by v1.1's NOTIFY, installed in this scenario's own database as
 * `msgr_send_unlogged`). At the statement level through pg — the server's own named statement
 * and values (lib/sends.ts), 16 and 64 senders in a closed loop, each on a connection of its own
 * (a pool as large as the concurrency), direct chats in a ring as in the send scenario — in
 * turns (ABBA), after a warm-up of each. No instance runs meanwhile: nothing reads the NOTIFYs.
 *
 * Also the HTTP send both ways at 1 instance and 16 senders: the instance's msgr_send is
 * replaced by the unlogged text before each of its "unlogged" turns and put back before each
 * "logged" one (CREATE OR REPLACE keeps the function's identity; the server's prepared
 * statement re-plans), so the instance is the same process throughout; every turn is checked
 * (the logged ones append events, the unlogged ones none).
 *
 * Beside throughput and latency, PostgreSQL's CPU per send (lib/pg-cpu.ts, every process of the
 * cluster during each turn): what the log costs the database, which moves much less with the
 * neighbours' load than throughput.
 */
import pg from 'pg';
import { newAgent } from '../lib/http.js';
import { pgCpuBetween, pgCpuSnapshot } from '../lib/pg-cpu.js';
import { cpuOf, startInstances } from '../lib/processes.js';
import { onCleanup } from '../lib/run.js';
import { aim, type Context, type Scenario } from '../lib/scenario.js';
import {
  httpSend,
  LIMITS_OFF,
  newSend,
  pgSend,
  type Send,
  type SendStatement,
} from '../lib/sends.js';
import { closedLoop, interleaved, type LoadResult } from '../lib/stats.js';
import { devices } from '../lib/users.js';
import { loggedSendSql, sendStatementFor, unloggedSendSql } from '../lib/unlogged-send.js';

const UNLOGGED = 'msgr_send_unlogged';
/** Throughput logged / unlogged at least 1 / 1.1 (the log costs at most 10 %). */
const THROUGHPUT_AIM = 0.91;

type Way = 'logged' | 'unlogged';

export const logCostScenario: Scenario = {
  name: 'log-cost',
  title: "The log's cost on a send: msgr_send with its event vs the v1.1 send",
  async run(ctx) {
    const runMs = ctx.quick ? 2000 : 8000;
    const warmMs = ctx.quick ? 400 : 1500;
    const rounds = ctx.quick ? 2 : 4;
    const concurrencies = [16, 64];
    const maxC = Math.max(...concurrencies);
    const databaseUrl = await ctx.pg.database('log_cost');
    const agent = newAgent(maxC * 2);
    onCleanup(() => agent.destroy());
    const [server] = await startInstances(1, databaseUrl);
    const senders = await devices(agent, server!.port, 'logc', maxC);
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    onCleanup(() => db.end());
    const eventCount = async () =>
      (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM events')).rows[0]!.n;

    await db.query(unloggedSendSql(UNLOGGED));
    const unlogged = sendStatementFor(UNLOGGED);
    {
      // The derived send works, and logs nothing.
      const before = await eventCount();
      const s: Send = newSend(senders[0]!, 'user', senders[1]!.userId);
      const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
      await pgSend(pool, LIMITS_OFF, s, false, unlogged).finally(() => pool.end());
      const added = (await eventCount()) - before;
      if (added !== 0) throw new Error(`the unlogged send appended ${added} events`);
    }

    /** Around each turn: PostgreSQL's CPU, and `check` (name, events the turn appended). */
    const accounting = (check?: (name: Way, added: number) => void) => {
      const cpu = { logged: 0, unlogged: 0 };
      let snapshot = new Map<number, number>();
      let events = 0;
      return {
        cpu,
        before: async (_name: Way) => {
          if (check) events = await eventCount();
          snapshot = await pgCpuSnapshot(db);
        },
        after: async (name: Way) => {
          cpu[name] += pgCpuBetween(snapshot, await pgCpuSnapshot(db));
          if (check) check(name, (await eventCount()) - events);
        },
      };
    };
    const ring = (c: number) => (w: number) =>
      newSend(senders[w]!, 'user', senders[(w + 1) % c]!.userId);
    ctx.note(
      `log-cost: ${runMs / 1000} s per case in ${rounds} turns (ABBA), after ${warmMs / 1000} s ` +
        `warm-up each; unlogged = today's msgr_send less step 6 (events insert, member_spans, ` +
        `msgr_announce), plus v1.1's NOTIFY {"t":"Message"} instead (checked: it no longer ` +
        `mentions events, and a send through it appends none); limits off; PostgreSQL CPU: ` +
        `every process of the cluster, from /proc`,
    );

    // HTTP, both ways: the instance's msgr_send swapped between turns.
    {
      const c = 16;
      const next = ring(c);
      const logged = loggedSendSql();
      const asMsgrSend = unloggedSendSql('msgr_send');
      const install = async (name: Way) => {
        await db.query(name === 'logged' ? logged : asMsgrSend);
      };
      const viaHttp = (w: number) => httpSend(agent, server!.port, next(w));
      const pgCpu = accounting((name, added) => {
        if ((name === 'unlogged') !== (added === 0)) {
          throw new Error(`an HTTP turn of the ${name} send appended ${added} events`);
        }
      });
      const serverCpu = { logged: 0, unlogged: 0 };
      try {
        ctx.log('log-cost: HTTP, 1 instance, 16 senders');
        await install('logged');
        await closedLoop(c, warmMs, viaHttp);
        await install('unlogged');
        await closedLoop(c, warmMs, viaHttp);
        const r = await interleaved(c, { logged: viaHttp, unlogged: viaHttp }, runMs, rounds, {
          before: async (name) => {
            await install(name);
            await pgCpu.before(name);
            serverCpu[name] -= await cpuOf([server!]);
          },
          after: async (name) => {
            serverCpu[name] += await cpuOf([server!]);
            await pgCpu.after(name);
          },
        });
        report(ctx, `HTTP, 1 inst, c=${c}`, r, pgCpu.cpu, serverCpu);
      } finally {
        await install('logged');
      }
    }
    await server!.stop();

    for (const c of concurrencies) {
      ctx.log(`log-cost: statement level, ${c} senders`);
      const pool = new pg.Pool({ connectionString: databaseUrl, max: c });
      try {
        const next = ring(c);
        const via = (statement?: SendStatement) => (w: number) =>
          pgSend(pool, LIMITS_OFF, next(w), false, statement);
        const cases = { logged: via(), unlogged: via(unlogged) };
        // The logged send first: it makes the ring's new chats with their member spans.
        await closedLoop(c, warmMs, cases.logged);
        await closedLoop(c, warmMs, cases.unlogged);
        const pgCpu = accounting();
        const r = await interleaved(c, cases, runMs, rounds, pgCpu);
        report(ctx, `pg, c=${c}, direct`, r, pgCpu.cpu);
      } finally {
        await pool.end();
      }
    }
  },
};

function report(
  ctx: Context,
  label: string,
  { logged, unlogged }: Record<Way, LoadResult>,
  pgCpu: Record<Way, number>,
  serverCpu?: Record<Way, number>,
): void {
  const baselineLabel = 'v1.1 send, no log';
  ctx.row({
    case: label,
    metric: 'throughput',
    value: logged.throughput,
    unit: 'ops/s',
    baseline: unlogged.throughput,
    baselineLabel,
    aim: aim('ratio', '>=', THROUGHPUT_AIM),
  });
  ctx.row({
    case: label,
    metric: 'p99',
    value: logged.p99,
    unit: 'ms',
    baseline: unlogged.p99,
    baselineLabel,
    aim: aim('ratio', '<=', 1.1),
  });
  ctx.row({
    case: label,
    metric: 'p50',
    value: logged.p50,
    unit: 'ms',
    baseline: unlogged.p50,
    baselineLabel,
  });
  const perSend = (cpu: Record<Way, number>) => ({
    logged: cpu.logged / logged.count,
    unlogged: cpu.unlogged / unlogged.count,
  });
  const db = perSend(pgCpu);
  if (db.logged > 0 && db.unlogged > 0) {
    ctx.row({
      case: label,
      metric: 'PostgreSQL CPU per send',
      value: db.logged,
      unit: 'µs',
      baseline: db.unlogged,
      baselineLabel,
    });
  } else {
    ctx.note(`log-cost ${label}: PostgreSQL's CPU could not be read from /proc`);
  }
  const server = serverCpu && perSend(serverCpu);
  const errors = logged.errors + unlogged.errors;
  ctx.note(
    `log-cost ${label}: logged ${logged.count} sends, ${logged.throughput.toFixed(0)}/s, p50 ` +
      `${logged.p50.toFixed(2)} ms, p99 ${logged.p99.toFixed(2)} ms, PostgreSQL CPU ` +
      `${db.logged.toFixed(0)} µs per send; unlogged ${unlogged.count}, ` +
      `${unlogged.throughput.toFixed(0)}/s, p50 ${unlogged.p50.toFixed(2)} ms, p99 ` +
      `${unlogged.p99.toFixed(2)} ms, PostgreSQL CPU ${db.unlogged.toFixed(0)} µs` +
      (server
        ? `; server CPU per send ${server.logged.toFixed(0)} µs logged, ` +
          `${server.unlogged.toFixed(0)} µs unlogged`
        : '') +
      (errors ? `; ${errors} errors: ${logged.firstError ?? unlogged.firstError}` : ''),
  );
}
