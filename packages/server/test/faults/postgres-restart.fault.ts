/**
 * PostgreSQL restarted under load: the postmaster gets SIGINT (fast shutdown: every backend is
 * terminated, open transactions roll back) and is started again on the same data folder and
 * port. Promised: every instance says so on /readyz (503) and recovers by itself (200 again,
 * with no restart of its own); clients retry, no 5xx is taken for a success, nothing
 * acknowledged is lost; subscribers get `Resync` (their instance's listener reconnected) and
 * the SDK resumes without loss.
 */
import { testBusKind } from '../support/engines.js';
import { Audit, Checks, finishScenario } from '../support/fault-scenario.js';
import { sleep, startFaultCluster, waitFor, type FaultCluster } from '../support/fault-cluster.js';
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
import { startChangers, standardChangers } from '../support/fault-changes.js';

const NAME = 'PostgreSQL restarted under load';
const DOWN_MS = 2000;

describe('faults: PostgreSQL restart', function () {
  this.timeout(120_000);
  let cluster: FaultCluster;
  let subscribers: RunningSubscriber[] = [];

  before(async () => {
    cluster = await startFaultCluster('postgres-restart');
  });
  after(async () => {
    await Promise.all(subscribers.map((s) => s.close()));
    await cluster?.close();
  });

  it(`${NAME}: instances go not-ready and recover by themselves, clients retry, subscribers resync`, async () => {
    const startedAt = Date.now();
    const audit = new Audit('pgrestart');
    const checks = new Checks();
    const opIds = new OperationIdPool();
    const { urls, instances } = cluster;
    const world = await standardWorld(audit, new Api(urls[0]!), opIds);
    subscribers = await standardSubscribers(audit, world, urls);
    const senders = await startSenders(audit, world, standardSenders(world, urls), opIds);
    const changers = await startChangers(
      audit,
      world,
      standardChangers(world, urls),
      opIds,
      new Api(urls[0]!),
    );
    try {
      await senders.untilMore(scaled(80), 'before the restart');
      const t0 = Date.now();
      await cluster.postgres.stop();
      checks.observe('postgres_stop_ms', Date.now() - t0);
      const notReady = await Promise.all(
        instances.map((i) =>
          waitFor(
            `instance ${i.index}'s /readyz to answer 503`,
            async () => ((await i.readyz(3000)) === 503 ? Date.now() - t0 : undefined),
            { timeoutMs: 10_000 },
          ).catch(() => -1),
        ),
      );
      checks.observe('readyz_503_after_ms', notReady);
      notReady.forEach((ms, i) =>
        checks.expect(ms >= 0, `instance ${i}'s /readyz never answered 503 with PostgreSQL down`),
      );
      await sleep(Math.max(0, DOWN_MS - (Date.now() - t0)));
      const t1 = Date.now();
      await cluster.postgres.start();
      checks.observe('postgres_start_ms', Date.now() - t1);
      const ready = await Promise.all(
        instances.map((i) =>
          waitFor(
            `instance ${i.index}'s /readyz to answer 200 again`,
            async () => ((await i.readyz(3000)) === 200 ? Date.now() - t1 : undefined),
            { timeoutMs: 30_000 },
          ).catch(() => -1),
        ),
      );
      checks.observe('readyz_200_again_after_ms', ready);
      ready.forEach((ms, i) =>
        checks.expect(ms >= 0, `instance ${i} never became ready again (30 s) on its own`),
      );
      await senders
        .untilMore(scaled(80), 'after the restart', 40_000)
        .catch((err: Error) => checks.expect(false, err.message));
      // Changes of every kind went on through the fault, and go on after it.
      await changers
        .untilMore(scaled(10), 'after the fault', 40_000)
        .catch((err: Error) => checks.expect(false, err.message));
    } finally {
      await Promise.all([senders.stop(), changers.stop()]);
    }
    // On PostgreSQL's bus the LISTEN connection died with the database: every socket resyncs.
    // An engine's subscription does not (the outbox waits in the database for the relay).
    if (testBusKind() === undefined) {
      for (const s of subscribers) {
        checks.expect(
          s.stats.resyncs >= 1,
          `${s.label} got no Resync although its instance's listener reconnected`,
        );
      }
    }
    checks.observe(
      'resyncs',
      subscribers.map((s) => s.stats.resyncs),
    );
    checks.observe(
      'listener_reconnects',
      await Promise.all(instances.map((i) => i.metric('msgr_listener_reconnects_total'))),
    );
    await finishScenario({
      audit,
      databaseUrl: cluster.databaseUrl,
      name: NAME,
      grep: NAME,
      startedAt,
      checks,
      subscribers,
    });
  });
});
