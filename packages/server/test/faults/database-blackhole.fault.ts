/**
 * The path to PostgreSQL goes dead for ~10 s: every instance reaches the database through the
 * fault proxy, which then drops every byte both ways and keeps the connections open (no FIN, no
 * RST, as when a route or a firewall silently drops packets), and passes again.
 *
 * Promised: /readyz turns 503 within seconds on every instance (a load balancer must stop
 * sending there; the database and the listener are unreachable), and once the path is back
 * everything recovers by itself: /readyz 200, sends succeed, subscribers get every message —
 * no 5xx taken for a success, nothing acknowledged lost.
 */
import { Audit, Checks, finishScenario } from '../support/fault-scenario.js';
import {
  sleep,
  startFaultCluster,
  viaPort,
  waitFor,
  type FaultCluster,
} from '../support/fault-cluster.js';
import {
  Api,
  OperationIdPool,
  scaled,
  standardSenders,
  standardSubscribers,
  standardWorld,
  startSenders,
  type RunningSubscriber,
} from '../support/fault-workload.js';
import { listen, type NetProxy } from '../support/net-proxy.js';

const NAME = 'database path blackholed';
const BLACKHOLE_MS = 10_000;
/** "Within seconds". */
const NOT_READY_WITHIN_MS = 5000;
const RECOVER_WITHIN_MS = 20_000;

describe('faults: database path blackholed', function () {
  this.timeout(150_000);
  let cluster: FaultCluster;
  let dbPath: NetProxy | undefined;
  let subscribers: RunningSubscriber[] = [];

  before(async () => {
    cluster = await startFaultCluster('database-blackhole', {
      databaseVia: async (url) => {
        dbPath = await listen(Number(new URL(url).port));
        return viaPort(url, dbPath.port);
      },
    });
  });
  after(async () => {
    await Promise.all(subscribers.map((s) => s.close()));
    await cluster?.close();
    await dbPath?.close();
  });

  it(`${NAME}: /readyz turns 503 within seconds, then everything recovers by itself`, async () => {
    const startedAt = Date.now();
    const audit = new Audit('dbblackhole');
    const checks = new Checks();
    const opIds = new OperationIdPool();
    const { urls, instances } = cluster;
    const world = await standardWorld(audit, new Api(urls[0]!), opIds);
    subscribers = await standardSubscribers(audit, world, urls);
    const senders = await startSenders(audit, world, standardSenders(world, urls), opIds, {
      settleMs: 10_000,
    });
    try {
      await senders.untilMore(scaled(60), 'before the blackhole');
      const t0 = Date.now();
      dbPath!.blackhole();
      // Each instance is polled on its own; a poll that gets no answer in 2 s counts as "not
      // 503" (a load balancer's health check would time out as well, but the contract says 503).
      const notReady = await Promise.all(
        instances.map((i) =>
          waitFor(
            `instance ${i.index}'s /readyz to answer 503`,
            async () => ((await i.readyz(2000)) === 503 ? Date.now() - t0 : undefined),
            { timeoutMs: BLACKHOLE_MS - 1000, everyMs: 200 },
          ).catch(() => -1),
        ),
      );
      checks.observe('readyz_503_after_ms', notReady);
      notReady.forEach((ms, i) =>
        checks.expect(
          ms >= 0 && ms <= NOT_READY_WITHIN_MS,
          ms < 0
            ? `instance ${i}'s /readyz never answered 503 in ${BLACKHOLE_MS / 1000} s of a dead database path`
            : `instance ${i}'s /readyz took ${ms} ms to answer 503 (over ${NOT_READY_WITHIN_MS} ms)`,
        ),
      );
      await sleep(Math.max(0, BLACKHOLE_MS - (Date.now() - t0)));
      checks.observe('dropped_bytes', dbPath!.stats.droppedBytes);
      const t1 = Date.now();
      dbPath!.pass();
      const ready = await Promise.all(
        instances.map((i) =>
          waitFor(
            `instance ${i.index}'s /readyz to answer 200 again`,
            async () => ((await i.readyz(2000)) === 200 ? Date.now() - t1 : undefined),
            { timeoutMs: RECOVER_WITHIN_MS },
          ).catch(() => -1),
        ),
      );
      checks.observe('readyz_200_again_after_ms', ready);
      ready.forEach((ms, i) =>
        checks.expect(
          ms >= 0,
          `instance ${i} was not ready again ${RECOVER_WITHIN_MS / 1000} s after the path came back`,
        ),
      );
      const t2 = Date.now();
      await senders
        .untilMore(scaled(60), 'after the path came back', RECOVER_WITHIN_MS)
        .then(() => checks.observe('sends_flowing_again_after_ms', Date.now() - t2))
        .catch((err: Error) => checks.expect(false, err.message));
    } finally {
      await senders.stop();
    }
    await finishScenario({
      audit,
      databaseUrl: cluster.databaseUrl,
      name: NAME,
      grep: NAME,
      startedAt,
      checks,
      subscribers,
      drainMs: 10_000,
    });
  });
});
