/**
 * Memory per idle WebSocket: one instance (a process, --expose-gc), its RSS after a GC with no
 * socket (the baseline; a few sockets were opened and closed first, so the code is loaded), then
 * with N idle `/ws` sockets of 50 users, after a GC again. Per socket: the RSS difference / N.
 */
import { newAgent } from '../lib/http.js';
import { startInstances } from '../lib/processes.js';
import { onCleanup, sleep, waitFor } from '../lib/run.js';
import { aim, type Scenario } from '../lib/scenario.js';
import { closeAll, connectAll } from '../lib/sockets.js';
import { devices } from '../lib/users.js';

const USERS = 50;

export const memoryScenario: Scenario = {
  name: 'memory',
  title: 'Memory per idle WebSocket',
  async run(ctx) {
    const n = ctx.quick ? 1000 : 5000;
    const databaseUrl = await ctx.pg.database('memory');
    const [server] = await startInstances(1, databaseUrl, { execArgv: ['--expose-gc'] });
    const agent = newAgent(8);
    onCleanup(() => agent.destroy());
    const users = await devices(agent, server!.port, 'mem', USERS);
    const target = (i: number) => ({
      url: `ws://127.0.0.1:${server!.port}/ws`,
      token: users[i % USERS]!.token,
    });
    const registered = (k: number) => async () => (await server!.stats()).sockets === k;
    const warm = await connectAll(20, target, () => undefined);
    await waitFor('warm-up sockets', registered(20));
    await closeAll(warm);
    await waitFor('warm-up sockets gone', registered(0));
    await sleep(500);
    const settled = async () => {
      await server!.call('gc');
      await sleep(300);
      await server!.call('gc');
      return server!.stats();
    };
    const before = await settled();
    ctx.log(`memory: opening ${n} sockets`);
    const sockets = await connectAll(n, target, () => undefined);
    await waitFor(`${n} sockets registered`, registered(n), 60_000);
    await sleep(1000);
    const after = await settled();
    await closeAll(sockets);
    const kb = (bytes: number) => bytes / 1024;
    const perSocket = kb(after.rss - before.rss) / n;
    ctx.row({
      case: `${n} idle sockets`,
      metric: 'RSS per socket',
      value: perSocket,
      unit: 'KiB',
      baseline: kb(before.rss),
      baselineLabel: 'process RSS with none',
      ratio: after.rss / before.rss,
      aim: aim('value', '<=', 30),
    });
    ctx.note(
      `memory: ${n} sockets${ctx.quick ? ' (quick; full: 5000)' : ''} on /ws, ${USERS} users; ` +
        `RSS ${(before.rss / 2 ** 20).toFixed(1)} → ${(after.rss / 2 ** 20).toFixed(1)} MiB, ` +
        `JS heap ${(before.heapUsed / 2 ** 20).toFixed(1)} → ${(after.heapUsed / 2 ** 20).toFixed(1)} MiB ` +
        `(${(kb(after.heapUsed - before.heapUsed) / n).toFixed(1)} KiB per socket), external + ` +
        `buffers ${(kb(after.external - before.external) / n).toFixed(1)} KiB per socket; ` +
        `ratio = RSS with the sockets / RSS with none`,
    );
  },
};
