/**
 * The relay leader dies between commit and publish. The instance that leads the stream (marks,
 * and on Redis or NATS the outbox relay; `msgr_stream_leader`) is frozen with SIGSTOP while the
 * other instances go on committing sends into the outbox — committed, never published — and
 * then killed (SIGKILL). Promised: another instance takes the lead and relays those rows, in
 * order, once; no subscriber misses or repeats a message (at-least-once relay, duplicates
 * dropped by outbox id). Run by `npm run test:faults:redis` / `test:faults:nats`.
 */
import { testBusKind } from '../support/engines.js';
import { Audit, Checks, finishScenario } from '../support/fault-scenario.js';
import {
  sleep,
  startFaultCluster,
  waitFor,
  withPg,
  type FaultCluster,
  type Instance,
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

const NAME = 'relay leader killed between commit and publish';
const FROZEN_MS = 1500;

describe('faults: relay leader killed', function () {
  this.timeout(120_000);
  let cluster: FaultCluster;
  let subscribers: RunningSubscriber[] = [];

  before(async function () {
    if (!testBusKind()) {
      console.log('      (skipped: needs MSGR_TEST_BUS=redis|nats, npm run test:faults:redis)');
      this.skip();
    }
    cluster = await startFaultCluster('relay-leader');
  });
  after(async () => {
    await Promise.all(subscribers.map((s) => s.close()));
    await cluster?.close();
  });

  const leaderOf = (instances: Instance[], except?: Instance) =>
    waitFor('a stream leader', async () => {
      for (const i of instances) {
        if (i === except || !i.isRunning) continue;
        if ((await i.metric('msgr_stream_leader')) === 1) return i;
      }
      return undefined;
    });

  it(`${NAME}: the next leader relays the committed rows, nothing missed or doubled`, async () => {
    const startedAt = Date.now();
    const audit = new Audit('relay');
    const checks = new Checks();
    const opIds = new OperationIdPool();
    const { urls, instances, databaseUrl } = cluster;
    const world = await standardWorld(audit, new Api(urls[0]!), opIds);
    subscribers = await standardSubscribers(audit, world, urls);
    const senders = await startSenders(audit, world, standardSenders(world, urls), opIds);
    /** The committed rows not relayed yet, the highest of them, and how far the relay got. */
    const outbox = () =>
      withPg(databaseUrl, async (c) => {
        const { rows } = await c.query<{ n: number; last: number; up_to: number }>(
          `SELECT count(*)::int AS n, coalesce(max(id), 0)::int AS last,
             (SELECT up_to::int FROM bus_relay) AS up_to FROM bus_outbox`,
        );
        return rows[0]!;
      });
    try {
      await senders.untilMore(scaled(60), 'before the freeze');
      const victim = await leaderOf(instances);
      checks.observe('leader', victim.index);
      process.kill(victim.pid!, 'SIGSTOP');
      const acked = senders.acknowledged;
      await sleep(FROZEN_MS);
      const pending = await outbox();
      checks.observe('acknowledged_while_frozen', senders.acknowledged - acked);
      checks.observe('outbox_rows_unrelayed_at_kill', pending.n);
      checks.expect(pending.n > 0, 'the frozen leader should have left committed rows unrelayed');
      const t0 = Date.now();
      await victim.kill('SIGKILL');
      const next = await leaderOf(instances, victim);
      checks.observe('next_leader', next.index);
      checks.observe('next_leader_after_ms', Date.now() - t0);
      // Sends go on, so the outbox is never empty for long: wait for the relay to pass the rows
      // the dead leader left behind.
      await waitFor('the rows left behind to be relayed', async () =>
        (await outbox()).up_to >= pending.last ? true : undefined,
      );
      checks.observe('relayed_by_next_leader_after_ms', Date.now() - t0);
      checks.expect(
        ((await next.metric('msgr_outbox_relayed_total')) ?? 0) > 0,
        `instance ${next.index} leads but relayed nothing`,
      );
      await senders.untilMore(scaled(60), 'after the new leader took over');
      await victim.start();
      await senders.untilMore(scaled(40), 'after the old leader came back');
    } finally {
      await senders.stop();
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
