/**
 * Exact resume, statistically: many chats, many concurrent writers over two instances, and one
 * `/ws` subscriber per user whose connection is cut (proxy resets) at random moments, many
 * times. Each cut is a resume; concurrent writers commit ids of different chats out of id
 * order, so every cut is a chance for the held-commit race (see held-commit.fault.ts) to lose a
 * message (main c8a7b58 lost 1–2 messages a run here; the stream position fixed it).
 * Promised: no subscriber ever misses or repeats a message. `FAULTS_SEED` repeats a
 * run's cut schedule; `FAULTS_SCALE` multiplies writers and length.
 */
import { Audit, Checks, finishScenario } from '../support/fault-scenario.js';
import { DURABLE, sleep, startFaultCluster, type FaultCluster } from '../support/fault-cluster.js';
import {
  Api,
  buildWorld,
  OperationIdPool,
  random,
  rotate,
  SCALE,
  scaled,
  SEED,
  standardSenders,
  startSenders,
  startSubscriber,
  type RunningSubscriber,
} from '../support/fault-workload.js';
import { listen, type NetProxy } from '../support/net-proxy.js';

const NAME = 'resume under random connection cuts';
/** Gaps between two cuts of one subscriber, ms. */
const MIN_GAP_MS = 20;
const MAX_GAP_MS = 300;
/** Four writers per user (32 over 8 users; scaled). */
const WRITERS_PER_USER = 4;
/** How long the cutting goes on (scaled). */
const CUT_FOR_MS = 20_000 * SCALE;

describe('faults: random connection cuts', function () {
  this.timeout(150_000);
  let cluster: FaultCluster;
  const proxies: NetProxy[] = [];
  const subscribers: RunningSubscriber[] = [];

  before(async () => {
    // Durable commits, as in production: a commit waits for its WAL flush, which widens the
    // moment between a send taking its id and becoming visible.
    cluster = await startFaultCluster('random-cuts', { instances: 2, postgresSettings: DURABLE });
  });
  after(async () => {
    await Promise.all(subscribers.map((s) => s.close()));
    await Promise.all(proxies.map((p) => p.close()));
    await cluster?.close();
  });

  it(`${NAME}: 8 chats, 32 writers, every user's /ws cut again and again, nothing missed`, async () => {
    const startedAt = Date.now();
    const audit = new Audit('cuts');
    const checks = new Checks();
    const opIds = new OperationIdPool();
    const rand = random(SEED);
    checks.observe('seed', SEED);
    const { urls } = cluster;
    // Four groups in a ring and four direct chats: 8 chats, each user in three.
    const world = await buildWorld(audit, new Api(urls[0]!), opIds, {
      people: ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7'],
      groups: [
        [0, 1, 2, 3],
        [2, 3, 4, 5],
        [4, 5, 6, 7],
        [6, 7, 0, 1],
      ],
      directs: [
        [0, 4],
        [1, 5],
        [2, 6],
        [3, 7],
      ],
    });
    // Each user's subscriber reaches both instances through proxies of its own. A cut is armed
    // after a random pause and fires as the next message arrives: the moment its cursor has
    // just moved past whatever other chats still have in flight.
    let cuts = 0;
    const armed: boolean[] = [];
    const cut = (i: number) => {
      armed[i] = false;
      for (const p of proxies.slice(i * urls.length, (i + 1) * urls.length)) cuts += p.reset();
    };
    for (const [i, person] of world.people.entries()) {
      const own = await Promise.all(cluster.instances.map((inst) => listen(inst.port)));
      proxies.push(...own);
      armed.push(false);
      subscribers.push(
        await startSubscriber(audit, {
          label: `${person.label}/all`,
          person,
          hosts: rotate(
            own.map((p) => p.url),
            i,
          ),
          onMessage: () => {
            if (armed[i]) cut(i);
          },
        }),
      );
    }
    const senders = await startSenders(
      audit,
      world,
      standardSenders(world, urls, WRITERS_PER_USER),
      opIds,
    );
    let isCutting = true;
    // Each cut hits an open connection: wait until the resume has opened, a random while, arm.
    const cutters = subscribers.map(async (subscriber, i) => {
      while (isCutting) {
        const opens = subscriber.stats.opens;
        await sleep(MIN_GAP_MS + rand() * (MAX_GAP_MS - MIN_GAP_MS));
        armed[i] = isCutting;
        while (isCutting && subscriber.stats.opens === opens) await sleep(5);
      }
      armed[i] = false;
    });
    try {
      await senders.untilMore(scaled(200), 'before cutting');
      await sleep(CUT_FOR_MS);
    } finally {
      isCutting = false;
      await Promise.all(cutters);
      await senders.stop();
    }
    checks.observe('cuts', cuts);
    checks.observe(
      'reconnects',
      subscribers.reduce((n, s) => n + s.stats.opens - 1, 0),
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
