/**
 * Read receipts in a 100-member group: the sender holds a socket on instance 1; per round it
 * sends a message, 98 members mark it read (POST /messages/read/{id} on instance 2; the first 10
 * one at a time, timed: the baseline, mark-read alone; the others 8 at a time), then the last
 * member's read makes it read by everyone and a `Read` frame goes to the sender. Measured: from
 * that read's request to the sender's `Read` frame.
 */
import type { RawData } from 'ws';
import { expectStatus, newAgent, request } from '../lib/http.js';
import { startInstances } from '../lib/processes.js';
import { inParallel, onCleanup, waitFor } from '../lib/run.js';
import type { Scenario } from '../lib/scenario.js';
import { closeAll, connectAll } from '../lib/sockets.js';
import { summarise } from '../lib/stats.js';
import { createGroup, devices, send } from '../lib/users.js';

const MEMBERS = 100;

export const receiptsScenario: Scenario = {
  name: 'receipts',
  title: 'Read receipts in a 100-member group',
  async run(ctx) {
    const rounds = ctx.quick ? 15 : 60;
    const databaseUrl = await ctx.pg.database('receipts');
    const [one, two] = await startInstances(2, databaseUrl);
    const agent = newAgent(16);
    onCleanup(() => agent.destroy());
    const [sender, ...readers] = await devices(agent, one!.port, 'rcpt', MEMBERS);
    const { groupId } = await createGroup(
      agent,
      one!.port,
      sender!,
      readers.map((r) => r.userId),
    );
    const waiting = new Map<number, (at: number) => void>();
    const sockets = await connectAll(
      1,
      () => ({ url: `ws://127.0.0.1:${one!.port}/ws`, token: sender!.token }),
      (_i: number, data: RawData, at: number) => {
        const frame = JSON.parse((data as Buffer).toString('utf8')) as {
          type: string;
          message_id?: number;
        };
        if (frame.type === 'Read') waiting.get(frame.message_id!)?.(at);
      },
    );
    onCleanup(() => closeAll(sockets));
    await waitFor('sender socket registered', async () => (await one!.stats()).sockets === 1);
    const markRead = async (reader: (typeof readers)[number], id: number) => {
      const t0 = performance.now();
      const res = await request(agent, two!.port, `/messages/read/${id}`, {}, reader.token);
      expectStatus(res, 200, 'mark read');
      return performance.now() - t0;
    };
    const alone: number[] = [];
    const read: number[] = [];
    const lastPost: number[] = [];
    for (let r = 0; r < rounds + 2; r++) {
      const { id } = await send(agent, one!.port, sender!, { group: groupId }, `receipt ${r}`);
      const times = await inParallel(10, 1, (i) => markRead(readers[i]!, id));
      await inParallel(readers.length - 11, 8, (i) => markRead(readers[10 + i]!, id));
      const arrived = new Promise<number>((resolve) => waiting.set(id, resolve));
      const t0 = performance.timeOrigin + performance.now();
      const post = await markRead(readers.at(-1)!, id);
      let timer: NodeJS.Timeout | undefined;
      const at = await Promise.race([
        arrived,
        new Promise<number>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no Read for ${id} in 10 s`)), 10_000);
        }),
      ]).finally(() => clearTimeout(timer));
      waiting.delete(id);
      if (r < 2) continue; // warm-up
      alone.push(...times);
      read.push(at - t0);
      lastPost.push(post);
    }
    const [a, rd, lp] = [summarise(alone), summarise(read), summarise(lastPost)];
    const baselineLabel = 'mark-read alone';
    ctx.row({
      case: `${MEMBERS} members, 2 instances`,
      metric: 'Read p99',
      value: rd.p99,
      unit: 'ms',
      baseline: a.p99,
      baselineLabel,
    });
    ctx.row({
      case: `${MEMBERS} members, 2 instances`,
      metric: 'Read p50',
      value: rd.p50,
      unit: 'ms',
      baseline: a.p50,
      baselineLabel,
    });
    ctx.note(
      `receipts: ${rounds} rounds${ctx.quick ? ' (quick; full: 60)' : ''} of ${MEMBERS - 1} reads; ` +
        `mark-read alone (one at a time) p50 ${a.p50.toFixed(2)} ms p99 ${a.p99.toFixed(2)} ms (${a.count} reads); ` +
        `the completing read's answer p50 ${lp.p50.toFixed(2)} ms; its Read frame p50 ` +
        `${rd.p50.toFixed(2)} ms p99 ${rd.p99.toFixed(2)} ms after its request (reads on ` +
        `instance 2, sender's socket on instance 1)`,
    );
  },
};
