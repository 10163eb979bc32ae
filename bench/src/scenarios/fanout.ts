/**
 * Fan-out: N subscriber sockets (`/ws/{chat_id}` of one group) spread evenly over 2 instances;
 * the sender POSTs to instance 1, so every frame crosses LISTEN/NOTIFY and half of them cross to
 * the other instance. Baseline: the same topology without msgr, two bare `ws` servers (processes,
 * no database, no auth) each holding half of N sockets; a "post" asks both to serialise a Message
 * frame of the same shape once and send it to all their sockets. Open loop at a fixed rate
 * (lower for larger N, the same for both), latency = frame received minus send start.
 */
import type { RawData } from 'ws';
import { Phase, runPhase } from '../lib/fanout.js';
import { expectStatus, newAgent, request } from '../lib/http.js';
import {
  cpuOf,
  spawnChild,
  startInstances,
  type Child,
  type SpawnOptions,
} from '../lib/processes.js';
import { onCleanup, waitFor } from '../lib/run.js';
import { aim, type Context, type Scenario } from '../lib/scenario.js';
import { closeAll, connectAll } from '../lib/sockets.js';
import { createGroup, devices, nextOperationId, type Device } from '../lib/users.js';

export const USERS = 50;

export interface FanoutSetup {
  databaseUrl: string;
  instances: Child[];
  sender: Device;
  subscribers: Device[];
  groupId: number;
  chatId: number;
}

/** `k` instances on a new database, a sender and USERS subscribers in one group. */
export async function fanoutSetup(
  ctx: Context,
  label: string,
  k: number,
  /** Options of every instance, or of instance `i`. */
  o: SpawnOptions | ((i: number) => SpawnOptions) = {},
): Promise<FanoutSetup> {
  const databaseUrl = await ctx.pg.database(label);
  const options = typeof o === 'function' ? o : () => o;
  const instances = await Promise.all(
    Array.from({ length: k }, (_, i) => startInstances(1, databaseUrl, options(i))),
  ).then((x) => x.flat());
  const agent = newAgent(16);
  onCleanup(() => agent.destroy());
  const [sender, ...subscribers] = await devices(agent, instances[0]!.port, label, USERS + 1);
  const { groupId, chatId } = await createGroup(
    agent,
    instances[0]!.port,
    sender!,
    subscribers.map((d) => d.userId),
  );
  return { databaseUrl, instances, sender: sender!, subscribers, groupId, chatId };
}

/** A msgr send of `phase`'s message `seq` to the group through instance `port`. */
export function poster(setup: FanoutSetup, port: number) {
  const agent = newAgent(64);
  onCleanup(() => agent.destroy());
  return async (phase: Phase, seq: number, sentAt: number) => {
    const res = await request(
      agent,
      port,
      `/messages/group/${setup.groupId}`,
      { text: phase.text(seq, sentAt), operation_id: nextOperationId(setup.sender) },
      setup.sender.token,
    );
    expectStatus(res, 201, 'fan-out send');
  };
}

export interface FanoutRun {
  p50: number;
  p99: number;
  deliveredRatio: number;
  duplicates: number;
  closed: number;
  lateMs: number;
  /** CPU time of `cpuOf`'s processes per delivered frame (µs) while measuring. */
  cpuPerFrame: number;
}

/**
 * Connects `n` sockets (`url(i)`), waits until `registered()` holds, warms up, measures
 * `count` messages at `rate`, disconnects.
 */
export async function measureFanout(o: {
  tag: string;
  n: number;
  count: number;
  warmup: number;
  rate: number;
  drainMs: number;
  target: (i: number) => { url: string; token?: string };
  registered: () => Promise<boolean>;
  post: (phase: Phase, seq: number, sentAt: number) => Promise<unknown>;
  /** Called right before and after the measured phase (profiles crop to it). */
  onMeasure?: (at: 'start' | 'end') => Promise<void>;
  /** The processes that serve the sockets (their CPU per delivered frame is reported). */
  cpuOf?: Child[];
}): Promise<FanoutRun> {
  let phase: Phase | undefined;
  let closed = 0;
  const sockets = await connectAll(
    o.n,
    o.target,
    (socket: number, data: RawData, at: number) => phase?.onFrame(socket, data, at),
    () => closed++,
  );
  try {
    await waitFor(`${o.tag}: ${o.n} sockets registered`, o.registered, 30_000);
    const warm = new Phase(`${o.tag}w`, o.n, o.warmup);
    phase = warm;
    await runPhase(warm, o.rate, (seq, at) => o.post(warm, seq, at), o.drainMs);
    const measured = new Phase(o.tag, o.n, o.count);
    phase = measured;
    await o.onMeasure?.('start');
    const cpu0 = o.cpuOf ? await cpuOf(o.cpuOf) : NaN;
    const { lateMs } = await runPhase(
      measured,
      o.rate,
      (seq, at) => o.post(measured, seq, at),
      o.drainMs,
    );
    await o.onMeasure?.('end');
    const cpu = o.cpuOf ? (await cpuOf(o.cpuOf)) - cpu0 : NaN;
    const s = measured.summary();
    return {
      p50: s.p50,
      p99: s.p99,
      deliveredRatio: s.deliveredRatio,
      duplicates: measured.duplicates,
      closed,
      lateMs,
      cpuPerFrame: cpu / measured.delivered,
    };
  } finally {
    await closeAll(sockets);
  }
}

/** Sum of the children's registered sockets equals `n`, and each holds its share. */
export async function registeredOn(children: Child[], n: number): Promise<boolean> {
  const counts = await Promise.all(children.map(async (c) => (await c.stats()).sockets));
  return counts.every((c, i) => c === share(n, children.length, i));
}

/** Sockets of instance `i` of `k` when `n` are dealt round-robin. */
export const share = (n: number, k: number, i: number) => Math.floor(n / k) + (i < n % k ? 1 : 0);

export const fanoutScenario: Scenario = {
  name: 'fanout',
  title: 'Fan-out over 2 instances vs a bare ws broadcast',
  async run(ctx) {
    const counts = ctx.quick ? [100, 1000] : [100, 1000, 5000];
    const count = ctx.quick ? 40 : 100;
    const warmup = ctx.quick ? 5 : 10;
    // Frames per second stay near 20,000 whatever N: the clients are one process.
    const rateOf = (n: number) => Math.min(20, 20_000 / n);
    const drainMs = 10_000;
    const setup = await fanoutSetup(ctx, 'fanout', 2);
    const bare = await Promise.all([0, 1].map(() => spawnChild('bare-ws', { label: 'bare ws' })));
    const postMsgr = poster(setup, setup.instances[0]!.port);
    const postBare = async (phase: Phase, seq: number, sentAt: number) => {
      const message = {
        id: 1 + seq,
        chat_id: setup.chatId,
        sender_id: setup.sender.userId,
        text: phase.text(seq, sentAt),
        timestamp: new Date().toISOString(),
        is_read: false,
        edited_at: null,
        deleted: false,
        reply_to: null,
        reactions: [],
      };
      await Promise.all(bare.map((b) => b.call('broadcast', { message })));
    };
    ctx.note(
      `fanout: N = ${counts.join(', ')}${ctx.quick ? ' (quick; full: 100, 1000, 5000)' : ''}; ` +
        `${warmup} warm-up then ${count} messages at min(20, 20000/N) per second; ` +
        `${USERS} subscriber users, sockets dealt round-robin`,
    );
    for (const n of counts) {
      const rate = rateOf(n);
      ctx.log(`fanout: N=${n}, bare ws`);
      const b = await measureFanout({
        tag: `bare${n}`,
        n,
        count,
        warmup,
        rate,
        drainMs,
        target: (i) => ({ url: `ws://127.0.0.1:${bare[i % 2]!.port}/` }),
        registered: () => registeredOn(bare, n),
        post: postBare,
        cpuOf: bare,
      });
      ctx.log(`fanout: N=${n}, msgr`);
      const m = await measureFanout({
        tag: `msgr${n}`,
        n,
        count,
        warmup,
        rate,
        drainMs,
        target: (i) => ({
          url: `ws://127.0.0.1:${setup.instances[i % 2]!.port}/ws/${setup.chatId}`,
          token: setup.subscribers[i % USERS]!.token,
        }),
        registered: () => registeredOn(setup.instances, n),
        post: postMsgr,
        cpuOf: setup.instances,
      });
      const label = `N=${n}`;
      const baselineLabel = 'bare ws, same payloads';
      ctx.row({
        case: label,
        metric: 'p99',
        value: m.p99,
        unit: 'ms',
        baseline: b.p99,
        baselineLabel,
        aim: aim('ratio', '<=', 1.5),
      });
      ctx.row({
        case: label,
        metric: 'p50',
        value: m.p50,
        unit: 'ms',
        baseline: b.p50,
        baselineLabel,
      });
      ctx.row({
        case: label,
        metric: 'delivered',
        value: m.deliveredRatio,
        unit: '',
        baseline: b.deliveredRatio,
        baselineLabel,
        aim: aim('value', '==', 1),
      });
      ctx.row({
        case: label,
        metric: 'CPU per frame',
        value: m.cpuPerFrame,
        unit: 'µs',
        baseline: b.cpuPerFrame,
        baselineLabel,
      });
      ctx.note(
        `fanout ${label} at ${rate.toFixed(1)}/s: msgr p50 ${m.p50.toFixed(2)} ms, p99 ` +
          `${m.p99.toFixed(2)} ms, delivered ${m.deliveredRatio.toFixed(3)}; bare p50 ` +
          `${b.p50.toFixed(2)} ms, p99 ${b.p99.toFixed(2)} ms; sends ≤${m.lateMs.toFixed(0)} ms ` +
          `late` +
          (m.duplicates ? `; ${m.duplicates} duplicates` : '') +
          (m.closed ? `; ${m.closed} sockets closed by the server` : ''),
      );
    }
  },
};
