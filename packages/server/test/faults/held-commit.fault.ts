/**
 * The held-commit resume race (contract, "Limits, abuse and exact resume": resume is exact
 * across chats even though message ids of different chats do not commit in id order).
 *
 * A test-only trigger on `messages` waits on an advisory lock the test holds, so one send is
 * held between taking its id (H) and committing. Meanwhile a message of another chat commits
 * (X > H) and is delivered to Ana's `/ws` subscriber. Her connection is cut (proxy reset, and
 * reconnecting is refused for a while); the held send is released and commits — its
 * notification reaches nobody. Once she reconnects (`subscribe({})` resumes by itself), H must
 * arrive. Resuming "after the highest id seen" (X) skips H for good: main c8a7b58 failed this
 * way; the stream position of b8738bc/ce55ea6 (mark + ids above it) passes.
 */
import pg from 'pg';
import { Audit, Checks, finishScenario } from '../support/fault-scenario.js';
import { startFaultCluster, waitFor, withPg, type FaultCluster } from '../support/fault-cluster.js';
import {
  Api,
  auditedSend,
  buildWorld,
  clientFor,
  OperationIdPool,
  startSubscriber,
  type RunningSubscriber,
} from '../support/fault-workload.js';
import { listen, type NetProxy } from '../support/net-proxy.js';

const NAME = 'held-commit resume race';
const HOLD_LOCK = 7_236_417_999;

/** Messages whose text ends in `|hold` wait, after taking their id, for HOLD_LOCK. */
const INSTALL_HOLD = `
  CREATE OR REPLACE FUNCTION faults_hold() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_advisory_xact_lock_shared(${HOLD_LOCK});
    RETURN NEW;
  END $$;
  DROP TRIGGER IF EXISTS faults_hold ON messages;
  CREATE TRIGGER faults_hold AFTER INSERT ON messages FOR EACH ROW
    WHEN (NEW.text LIKE '%|hold') EXECUTE FUNCTION faults_hold();`;

describe('faults: held commit', function () {
  this.timeout(120_000);
  let cluster: FaultCluster;
  let path: NetProxy | undefined;
  let holder: pg.Client | undefined;
  const subscribers: RunningSubscriber[] = [];

  before(async () => {
    cluster = await startFaultCluster('held-commit');
    path = await listen(cluster.instances[0]!.port);
  });
  after(async () => {
    await holder?.end().catch(() => undefined);
    await Promise.all(subscribers.map((s) => s.close()));
    await path?.close();
    await cluster?.close();
  });

  it(`${NAME}: a send committed after a later id was delivered still reaches the reconnected subscriber`, async () => {
    const startedAt = Date.now();
    const audit = new Audit('held');
    const checks = new Checks();
    const opIds = new OperationIdPool();
    const { urls, databaseUrl } = cluster;
    const world = await buildWorld(audit, new Api(urls[1]!), opIds, {
      people: ['ana', 'ben', 'cy'],
      directs: [
        [1, 0],
        [2, 0],
      ],
    });
    const [ana, ben, cy] = world.people;
    await withPg(databaseUrl, (c) => c.query(INSTALL_HOLD));
    holder = new pg.Client({ connectionString: databaseUrl });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock($1)', [HOLD_LOCK]);

    const nowId = await withPg(databaseUrl, async (c) => {
      const { rows } = await c.query('SELECT max(id)::int AS id FROM messages');
      return rows[0].id as number;
    });
    const victim = await startSubscriber(audit, {
      label: 'ana/all (through the proxy)',
      person: ana!,
      hosts: [path!.url],
      after: 'now',
      nowId,
    });
    subscribers.push(victim);
    const benClient = await clientFor(ben!, urls, 'ben/sender', {
      fetch: audit.fetchFor('ben/sender'),
    });
    const cyClient = await clientFor(cy!, urls, 'cy/sender', {
      fetch: audit.fetchFor('cy/sender'),
    });
    const toAna = { user: ana!.userId };

    // 1. Ben's send takes its id and waits before committing.
    const held = auditedSend(
      audit,
      benClient,
      'ben/sender',
      ben!,
      toAna,
      audit.text('ben', 1, 'hold'),
      opIds,
    );
    await waitFor('the held send to wait on its advisory lock', () =>
      withPg(databaseUrl, async (c) => {
        const { rows } = await c.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'`,
        );
        return rows[0].n > 0 ? true : undefined;
      }),
    );
    // 2. A later id of another chat commits and is delivered.
    const later = await auditedSend(
      audit,
      cyClient,
      'cy/sender',
      cy!,
      toAna,
      audit.text('cy', 1),
      opIds,
    );
    await waitFor(`the subscriber to get #${later.id}`, () =>
      audit.inboxOf(victim.label).some((m) => m.id === later.id) ? true : undefined,
    );
    // 3. Her connection is cut, and she cannot come back yet.
    path!.refuse();
    path!.reset();
    await waitFor('the subscriber to notice', () =>
      victim.stats.closeCodes.length > 0 ? true : undefined,
    );
    // 4. The held send commits: nobody is listening for Ana.
    await holder.query('SELECT pg_advisory_unlock($1)', [HOLD_LOCK]);
    const heldMessage = await held;
    checks.observe('held_id', heldMessage.id);
    checks.observe('later_id', later.id);
    checks.expect(
      heldMessage.id < later.id,
      `the race needs the held id below the later one (held #${heldMessage.id}, later #${later.id})`,
    );
    // 5. She reconnects; another message proves she is live again.
    path!.pass();
    await waitFor('the subscriber to reconnect', () =>
      victim.stats.opens >= 2 ? true : undefined,
    );
    const after = await auditedSend(
      audit,
      cyClient,
      'cy/sender',
      cy!,
      toAna,
      audit.text('cy', 2),
      opIds,
    );
    await waitFor(`the subscriber to get #${after.id}`, () =>
      audit.inboxOf(victim.label).some((m) => m.id === after.id) ? true : undefined,
    );
    checks.expect(
      audit.inboxOf(victim.label).some((m) => m.id === heldMessage.id),
      `held message #${heldMessage.id} never reached the subscriber, which resumed with ` +
        `${victim.stats.connections.at(-1)?.url.replace(/^.*\?/, '?')} (the highest id it had seen, #${later.id}, ` +
        `is above the held one, committed later)`,
    );
    await finishScenario({
      audit,
      databaseUrl,
      name: NAME,
      grep: NAME,
      startedAt,
      checks,
      subscribers,
      drainMs: 5000,
    });
  });
});
