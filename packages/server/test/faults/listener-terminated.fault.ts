/**
 * The LISTEN connection of every instance is terminated by PostgreSQL
 * (`pg_terminate_backend` on `application_name = 'msgr-listener'`) while messages flow, twice.
 * Notifications sent while an instance is not listening are gone for good; promised: the
 * listener reconnects by itself, its sockets get `Resync`, and the SDK resumes so that no
 * subscriber misses a message. Sends are not affected at all.
 */
import { Audit, Checks, finishScenario } from '../support/fault-scenario.js';
import { startFaultCluster, waitFor, withPg, type FaultCluster } from '../support/fault-cluster.js';
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

const NAME = 'LISTEN connection terminated';
const ROUNDS = 2;

describe('faults: listener terminated', function () {
  this.timeout(120_000);
  let cluster: FaultCluster;
  let subscribers: RunningSubscriber[] = [];

  before(async () => {
    cluster = await startFaultCluster('listener-terminated');
  });
  after(async () => {
    await Promise.all(subscribers.map((s) => s.close()));
    await cluster?.close();
  });

  it(`${NAME}: while messages flow, the listener reconnects, sockets resync, nothing is missed`, async () => {
    const startedAt = Date.now();
    const audit = new Audit('listener');
    const checks = new Checks();
    const opIds = new OperationIdPool();
    const { urls, instances, databaseUrl } = cluster;
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
    const terminated: number[] = [];
    const reconnectedAfterMs: number[][] = [];
    try {
      await senders.untilMore(scaled(60), 'before the first termination');
      for (let round = 1; round <= ROUNDS; round++) {
        const t0 = Date.now();
        const { rows } = await withPg(databaseUrl, (c) =>
          c.query<{ ok: boolean }>(
            `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
             WHERE application_name = 'msgr-listener'`,
          ),
        );
        terminated.push(rows.filter((r) => r.ok).length);
        reconnectedAfterMs.push(
          await Promise.all(
            instances.map((i) =>
              waitFor(
                `instance ${i.index}'s listener to reconnect (round ${round})`,
                async () =>
                  ((await i.metric('msgr_listener_reconnects_total')) ?? 0) >= round
                    ? Date.now() - t0
                    : undefined,
                { timeoutMs: 15_000 },
              ).catch(() => -1),
            ),
          ),
        );
        await senders.untilMore(scaled(60), `after termination ${round}`);
      }
      // Changes of every kind went on through the fault, and go on after it.
      await changers
        .untilMore(scaled(10), 'after the fault', 40_000)
        .catch((err: Error) => checks.expect(false, err.message));
    } finally {
      await Promise.all([senders.stop(), changers.stop()]);
    }
    checks.observe('listeners_terminated', terminated);
    checks.observe('listener_reconnected_after_ms', reconnectedAfterMs);
    checks.expect(
      terminated.every((n) => n === instances.length),
      `expected ${instances.length} listener backends to terminate each round, got ${terminated.join('/')}`,
    );
    checks.expect(
      reconnectedAfterMs.flat().every((ms) => ms >= 0),
      `a listener did not reconnect within 15 s: ${JSON.stringify(reconnectedAfterMs)}`,
    );
    for (const s of subscribers) {
      checks.expect(
        s.stats.resyncs >= ROUNDS,
        `${s.label} got ${s.stats.resyncs} Resync for ${ROUNDS} listener reconnects of its instance`,
      );
    }
    await finishScenario({
      audit,
      databaseUrl,
      name: NAME,
      grep: NAME,
      startedAt,
      checks,
      subscribers,
    });
  });
});
