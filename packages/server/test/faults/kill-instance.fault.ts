/**
 * An instance dies without a goodbye (SIGKILL) amid a stream of racing and failover sends, and
 * comes back. Promised: every acknowledged send is stored exactly once, no 5xx is taken for a
 * success, and every subscriber — those on the dead instance included, which reconnect
 * elsewhere and resume — gets every message of its chats once.
 */
import { Audit, finishScenario, Checks } from '../support/fault-scenario.js';
import { startFaultCluster, type FaultCluster } from '../support/fault-cluster.js';
import {
  Api,
  buildWorld,
  OperationIdPool,
  rotate,
  scaled,
  startSenders,
  startSubscriber,
  type RunningSubscriber,
  type SenderSpec,
} from '../support/fault-workload.js';
import { startChangers, standardChangers } from '../support/fault-changes.js';

const NAME = 'kill -9 an instance';

describe('faults: instance killed', function () {
  this.timeout(120_000);
  let cluster: FaultCluster;
  const subscribers: RunningSubscriber[] = [];

  before(async () => {
    cluster = await startFaultCluster('kill-9');
  });
  after(async () => {
    await Promise.all(subscribers.map((s) => s.close()));
    await cluster?.close();
  });

  it(`${NAME}: amid racing and failover sends, nothing acknowledged is lost or doubled`, async () => {
    const startedAt = Date.now();
    const audit = new Audit('kill9');
    const checks = new Checks();
    const opIds = new OperationIdPool();
    const urls = cluster.urls;
    const world = await buildWorld(audit, new Api(urls[1]!), opIds, {
      people: ['ana', 'ben', 'cy', 'dee', 'eve', 'fay'],
      groups: [
        [0, 1, 2, 3],
        [2, 3, 4, 5],
      ],
      directs: [
        [0, 1],
        [2, 4],
        [3, 5],
      ],
    });
    const [ana, , cy, dee, , fay] = world.people;
    // Three subscribers start on the victim (instance 0), one elsewhere.
    subscribers.push(
      await startSubscriber(audit, { label: 'ana/all', person: ana!, hosts: rotate(urls, 0) }),
      await startSubscriber(audit, { label: 'cy/all', person: cy!, hosts: rotate(urls, 0) }),
      await startSubscriber(audit, {
        label: 'dee/group-0',
        person: dee!,
        hosts: rotate(urls, 0),
        chatId: world.chats[0]!.chatId,
      }),
      await startSubscriber(audit, { label: 'fay/all', person: fay!, hosts: rotate(urls, 1) }),
    );
    const specs: SenderSpec[] = [];
    for (let k = 0; k < scaled(2); k++) {
      for (const [i, person] of world.people.entries()) {
        const strategy = (i + k) % 2 === 0 ? 'race' : 'failover';
        specs.push({
          label: `${person.label}/${strategy}-${k}`,
          person,
          strategy,
          hosts: rotate(urls, (i + k) % urls.length),
        });
      }
    }
    const senders = await startSenders(audit, world, specs, opIds);
    const changers = await startChangers(
      audit,
      world,
      standardChangers(world, urls),
      opIds,
      new Api(urls[1]!),
    );
    const victim = cluster.instances[0]!;
    try {
      await senders.untilMore(scaled(80), 'before the kill');
      checks.observe('killed_at_acknowledged', senders.acknowledged);
      const code = await victim.kill('SIGKILL');
      checks.observe('exit_code_after_sigkill', code);
      await senders.untilMore(scaled(80), 'while instance 0 is dead');
      const t0 = Date.now();
      await victim.start();
      checks.observe('restart_ms', Date.now() - t0);
      await senders.untilMore(scaled(80), 'after instance 0 came back');
      // Changes of every kind went on through the fault, and go on after it.
      await changers
        .untilMore(scaled(10), 'after the fault', 40_000)
        .catch((err: Error) => checks.expect(false, err.message));
    } finally {
      await Promise.all([senders.stop(), changers.stop()]);
    }
    for (const s of subscribers.slice(0, 3)) {
      checks.expect(
        s.stats.opens >= 2,
        `${s.label} was on the killed instance and should have reconnected (opens: ${s.stats.opens})`,
      );
    }
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
