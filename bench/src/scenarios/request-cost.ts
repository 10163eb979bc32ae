/**
 * What a request costs the server before it does anything, and what a send adds: CPU (and time
 * in young-generation garbage collection) per request of bare `node:http`, of a bare Express app
 * made as msgr makes its own (child/bare-http.ts), of msgr's `GET /healthz` and of a send, each a
 * process of its own under 16 clients in a closed loop, in turns (ABCD, DCBA…). The baseline is
 * the bare Express app of the same run: msgr's own share of a request is what it adds to that.
 * A promoted request (docs/performance.md, "a getter that kept every request") shows here as
 * garbage-collection time per request far above the bare app's.
 */
import { expectStatus, newAgent, request } from '../lib/http.js';
import { inTurns, spawnChild, startInstances, turnSpread, type Child } from '../lib/processes.js';
import { onCleanup } from '../lib/run.js';
import { aim, type Scenario } from '../lib/scenario.js';
import { httpSend, newSend } from '../lib/sends.js';
import { devices } from '../lib/users.js';

const CLIENTS = 16;
const CASES = ['node:http', 'Express', 'msgr GET /healthz', 'msgr send'] as const;
type Case = (typeof CASES)[number];

export const requestCostScenario: Scenario = {
  name: 'request-cost',
  title:
    "What a request costs the server: bare node:http, bare Express, msgr's /healthz and a send",
  async run(ctx) {
    const [totalMs, rounds, warmMs] = ctx.quick ? [3000, 2, 800] : [16_000, 4, 3000];
    const databaseUrl = await ctx.pg.database('request_cost');
    const [msgr] = await startInstances(1, databaseUrl);
    const [node, express] = await Promise.all(
      (['node', 'express'] as const).map((kind) =>
        spawnChild('bare-http', { env: { BARE_HTTP: kind }, label: `bare ${kind}` }),
      ),
    );
    const agent = newAgent(CLIENTS * 2);
    onCleanup(() => agent.destroy());
    const senders = await devices(agent, msgr!.port, 'rc', CLIENTS);
    const bare = (child: Child) => async () =>
      expectStatus(
        await request(agent, child.port, '/m/5', { text: 'bench', operation_id: 1 }),
        201,
        `bare ${child.pid}`,
      );
    const on = (serving: Child, op: (w: number) => Promise<unknown>) => ({
      op,
      serving: [serving],
    });
    const { r: results, perOp: per } = await inTurns(
      CLIENTS,
      {
        'node:http': on(node!, bare(node!)),
        Express: on(express!, bare(express!)),
        'msgr GET /healthz': on(msgr!, async () =>
          expectStatus(await request(agent, msgr!.port, '/healthz'), 200, 'healthz'),
        ),
        'msgr send': on(msgr!, (w) =>
          httpSend(
            agent,
            msgr!.port,
            newSend(senders[w]!, 'user', senders[(w + 1) % CLIENTS]!.userId),
          ),
        ),
      } satisfies Record<Case, unknown>,
      { warmMs, totalMs, rounds },
    );
    const base = per('Express');
    for (const name of CASES) {
      const { cpu, gc, turns } = per(name);
      ctx.row({
        case: name,
        metric: 'server CPU per request',
        value: cpu,
        unit: 'µs',
        baseline: base.cpu,
        baselineLabel: 'bare Express app, same run',
        // The aim for a send; for any request, this page's: msgr's middlewares, router
        // and problem handling cost at most half again what Express alone does.
        ...(name === 'msgr send' ? { aim: aim('value', '<=', 200) } : {}),
        ...(name === 'msgr GET /healthz' ? { aim: aim('ratio', '<=', 1.5) } : {}),
      });
      ctx.row({
        case: name,
        metric: 'young-gen GC per request',
        value: gc,
        unit: 'µs',
        baseline: base.gc,
        baselineLabel: 'bare Express app, same run',
      });
      ctx.note(
        `request-cost ${name}: ${results[name].count} requests, ${results[name].throughput.toFixed(0)}/s, p50 ${results[name].p50.toFixed(2)} ms; ${cpu.toFixed(0)} µs CPU (turns ${turnSpread(turns)} µs) and ${gc.toFixed(1)} µs of young-generation GC pauses per request`,
      );
    }
    ctx.note(
      `request-cost: ${CLIENTS} clients in a closed loop, ${totalMs / 1000} s per case in ${rounds} turns after ${warmMs / 1000} s of warm-up each; each server a process of its own`,
    );
  },
};
