/**
 * The bus engine (Redis or NATS: `MSGR_TEST_BUS`) is killed (SIGKILL: what it held is gone,
 * it restarts empty) while messages flow, and started again on its port a second later, twice.
 * Sends never depend on the engine: they commit into the outbox. Promised: every instance's
 * subscription comes back by itself and says `Resync`, its sockets resume from their positions,
 * the relay publishes what committed while the engine was away, and no subscriber misses or
 * repeats a message. Run by `npm run test:faults:redis` / `test:faults:nats`; skipped otherwise.
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

const NAME = 'bus engine killed and restarted';
const ROUNDS = 2;

describe('faults: bus engine killed', function () {
  this.timeout(120_000);
  let cluster: FaultCluster;
  let subscribers: RunningSubscriber[] = [];

  before(async function () {
    if (!testBusKind()) {
      console.log('      (skipped: needs MSGR_TEST_BUS=redis|nats, npm run test:faults:redis)');
      this.skip();
    }
    cluster = await startFaultCluster('bus-engine-restart');
  });
  after(async () => {
    await Promise.all(subscribers.map((s) => s.close()));
    await cluster?.close();
  });

  it(`${NAME}: under load, subscriptions come back, sockets resync, nothing is missed`, async () => {
    const startedAt = Date.now();
    const audit = new Audit('engine');
    const checks = new Checks();
    const opIds = new OperationIdPool();
    const { urls, instances, databaseUrl } = cluster;
    const engine = cluster.engine!;
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
    const reconnectedAfterMs: number[][] = [];
    const sentWhileDown: number[] = [];
    try {
      await senders.untilMore(scaled(60), 'before the first kill');
      for (let round = 1; round <= ROUNDS; round++) {
        const t0 = Date.now();
        await engine.kill();
        const acked = senders.acknowledged;
        await sleep(1000);
        sentWhileDown.push(senders.acknowledged - acked);
        await engine.start();
        reconnectedAfterMs.push(
          await Promise.all(
            instances.map((i) =>
              waitFor(
                `instance ${i.index}'s bus to reconnect (round ${round})`,
                async () =>
                  ((await i.metric('msgr_listener_reconnects_total')) ?? 0) >= round &&
                  (await i.readyz()) === 200
                    ? Date.now() - t0
                    : undefined,
                { timeoutMs: 15_000 },
              ).catch(() => -1),
            ),
          ),
        );
        await senders.untilMore(scaled(60), `after restart ${round}`);
      }
      // Changes of every kind went on through the fault, and go on after it.
      await changers
        .untilMore(scaled(10), 'after the fault', 40_000)
        .catch((err: Error) => checks.expect(false, err.message));
    } finally {
      await Promise.all([senders.stop(), changers.stop()]);
    }
    checks.observe('acknowledged_while_engine_down', sentWhileDown);
    checks.observe('bus_reconnected_after_ms', reconnectedAfterMs);
    checks.expect(
      sentWhileDown.every((n) => n > 0),
      `sends must go on while the engine is down (acknowledged: ${sentWhileDown.join('/')})`,
    );
    checks.expect(
      reconnectedAfterMs.flat().every((ms) => ms >= 0),
      `a bus did not reconnect within 15 s: ${JSON.stringify(reconnectedAfterMs)}`,
    );
    for (const s of subscribers) {
      checks.expect(
        s.stats.resyncs >= ROUNDS,
        `${s.label} got ${s.stats.resyncs} Resync for ${ROUNDS} engine restarts`,
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
