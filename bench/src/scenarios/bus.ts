/**
 * Cross-instance fan-out per bus: S sockets of one group dealt round-robin over k instances
 * (processes) for k = 1, 3, 6, every instance on the same bus (MSGR_BUS); the sender posts to
 * instance 1 at a fixed rate. Baseline: the same bus at 1 instance. The knee: the first k whose
 * p99 is over twice the 1-instance p99, or that loses frames.
 */
import { buses } from '../lib/brokers.js';
import { startInstances } from '../lib/processes.js';
import { aim, type Scenario } from '../lib/scenario.js';
import {
  fanoutSetup,
  measureFanout,
  poster,
  registeredOn,
  USERS,
  type FanoutRun,
} from './fanout.js';

const COUNTS = [1, 3, 6];

export const busScenario: Scenario = {
  name: 'bus',
  title: 'Cross-instance fan-out per bus at 1, 3 and 6 instances',
  async run(ctx) {
    const sockets = ctx.quick ? 120 : 300;
    const rate = ctx.quick ? 25 : 50;
    const count = ctx.quick ? 40 : 150;
    ctx.note(
      `bus: ${sockets} sockets${ctx.quick ? ' (quick; full: 300)' : ''} over k instances, ` +
        `${count} messages at ${rate}/s after 5 warm-up; knee: first k with p99 > 2 × k=1 or ` +
        `delivered < 1`,
    );
    /** Per bus, its runs by instance count: the engines are compared with PostgreSQL too. */
    const byBus = new Map<string, Map<number, FanoutRun>>();
    for (const bus of buses()) {
      if (bus.unavailable) {
        ctx.note(`bus ${bus.name}: skipped: ${bus.unavailable}`);
        continue;
      }
      const env = { MSGR_BUS: await bus.start() };
      const setup = await fanoutSetup(ctx, `bus_${bus.name}`, 1, { env });
      const post = poster(setup, setup.instances[0]!.port);
      const results: [number, FanoutRun][] = [];
      for (const k of COUNTS) {
        const more = k - setup.instances.length;
        if (more > 0) {
          setup.instances.push(...(await startInstances(more, setup.databaseUrl, { env })));
        }
        ctx.log(`bus ${bus.name}: ${k} instance(s)`);
        const instances = setup.instances.slice(0, k);
        results.push([
          k,
          await measureFanout({
            tag: `${bus.name}${k}`,
            n: sockets,
            count,
            warmup: 5,
            rate,
            drainMs: 10_000,
            target: (i) => ({
              url: `ws://127.0.0.1:${instances[i % k]!.port}/ws/${setup.chatId}`,
              token: setup.subscribers[i % USERS]!.token,
            }),
            registered: () => registeredOn(instances, sockets),
            post,
          }),
        ]);
      }
      byBus.set(bus.name, new Map(results));
      const [, one] = results[0]!;
      let knee: number | undefined;
      for (const [k, r] of results) {
        const label = `${bus.name}, ${k} instance${k > 1 ? 's' : ''}`;
        const baselineLabel = `${bus.name}, 1 instance`;
        ctx.row({
          case: label,
          metric: 'p99',
          value: r.p99,
          unit: 'ms',
          baseline: one.p99,
          baselineLabel,
        });
        ctx.row({
          case: label,
          metric: 'delivered',
          value: r.deliveredRatio,
          unit: '',
          baseline: one.deliveredRatio,
          baselineLabel,
          aim: aim('value', '==', 1),
        });
        if (knee === undefined && k > 1 && (r.p99 > 2 * one.p99 || r.deliveredRatio < 1)) knee = k;
        ctx.note(
          `bus ${label}: p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, delivered ` +
            `${r.deliveredRatio.toFixed(3)}, sends ≤${r.lateMs.toFixed(0)} ms late`,
        );
      }
      ctx.note(
        `bus ${bus.name}: knee ${knee === undefined ? `beyond ${COUNTS.at(-1)} instances (none within)` : `at ${knee} instances`}`,
      );
    }
    const pgRuns = byBus.get('postgres');
    for (const [name, runs] of byBus) {
      if (name === 'postgres' || !pgRuns) continue;
      for (const k of [1, COUNTS.at(-1)!]) {
        const label = `${name} vs postgres, ${k} instance${k > 1 ? 's' : ''}`;
        const [r, p] = [runs.get(k)!, pgRuns.get(k)!];
        const baselineLabel = `postgres, ${k} instance${k > 1 ? 's' : ''}`;
        ctx.row({
          case: label,
          metric: 'p50',
          value: r.p50,
          unit: 'ms',
          baseline: p.p50,
          baselineLabel,
        });
        ctx.row({
          case: label,
          metric: 'p99',
          value: r.p99,
          unit: 'ms',
          baseline: p.p99,
          baselineLabel,
        });
      }
    }
  },
};
