/**
 * What the limits cost a send (issue 11's note): two instances on one database, one with
 * RATE_LIMIT_SENDS_PER_MINUTE=0 and the IP and login limits off, one with every limit at its
 * default; 16 senders in a closed loop against each in turn (off, defaults, off, defaults), 64
 * users between them so the default budget (600 a minute each) is never reached. A send under
 * the defaults takes a token of its sender's bucket inside msgr_send.
 */
import { newAgent } from '../lib/http.js';
import { startInstances } from '../lib/processes.js';
import { onCleanup } from '../lib/run.js';
import type { Scenario } from '../lib/scenario.js';
import { httpSend, newSend } from '../lib/sends.js';
import { closedLoop, mergeRuns, type LoadResult } from '../lib/stats.js';
import { devices } from '../lib/users.js';

const SENDERS = 16;
const USERS = 64;

export const limitsScenario: Scenario = {
  name: 'limits',
  title: 'What the limits cost a send',
  async run(ctx) {
    const runMs = ctx.quick ? 1500 : 5000;
    const databaseUrl = await ctx.pg.database('limits');
    const [off] = await startInstances(1, databaseUrl, { label: 'limits off' });
    const [on] = await startInstances(1, databaseUrl, {
      label: 'limits on',
      env: {
        RATE_LIMIT_SENDS_PER_MINUTE: undefined,
        RATE_LIMIT_GROUPS_PER_MINUTE: undefined,
        RATE_LIMIT_IP_PER_MINUTE: undefined,
        LOGIN_MAX_FAILURES: undefined,
      },
    });
    const agent = newAgent(SENDERS * 2);
    onCleanup(() => agent.destroy());
    const users = await devices(agent, off!.port, 'lim', USERS);
    const turn = users.map(() => 0);
    const op = (port: number) => (w: number) => {
      // Worker w speaks for users w, w+16, w+32, w+48 in turn.
      const u = w + SENDERS * (turn[w]!++ % (USERS / SENDERS));
      return httpSend(agent, port, newSend(users[u]!, 'user', users[(u + 1) % USERS]!.userId));
    };
    const runs: { off: LoadResult[]; on: LoadResult[] } = { off: [], on: [] };
    for (const server of [off, on]) {
      await closedLoop(SENDERS, 400, op(server!.port));
    }
    for (const name of ['off', 'on', 'off', 'on'] as const) {
      ctx.log(`limits: ${name}`);
      runs[name].push(await closedLoop(SENDERS, runMs, op((name === 'off' ? off : on)!.port)));
    }
    const [a, b] = [mergeRuns(...runs.off), mergeRuns(...runs.on)];
    const label = `${SENDERS} senders, defaults vs off`;
    const baselineLabel = 'limits off';
    ctx.row({
      case: label,
      metric: 'send p50',
      value: b.p50,
      unit: 'ms',
      baseline: a.p50,
      baselineLabel,
    });
    ctx.row({
      case: label,
      metric: 'send p99',
      value: b.p99,
      unit: 'ms',
      baseline: a.p99,
      baselineLabel,
    });
    ctx.row({
      case: label,
      metric: 'throughput',
      value: b.throughput,
      unit: 'ops/s',
      baseline: a.throughput,
      baselineLabel,
    });
    ctx.note(
      `limits: ${runMs / 1000} s × 2 per setting, alternating; off p50 ${a.p50.toFixed(2)} ms p99 ` +
        `${a.p99.toFixed(2)} ms, defaults p50 ${b.p50.toFixed(2)} ms p99 ${b.p99.toFixed(2)} ms` +
        (a.errors + b.errors
          ? `; ${a.errors + b.errors} errors: ${b.firstError ?? a.firstError}`
          : ''),
    );
  },
};
