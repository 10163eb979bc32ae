/**
 * Coalesced sends (db/send-batcher.ts, db/sql/msgr_send_batch.sql): sends given to a batcher in
 * the same turn go to PostgreSQL as one statement, and each keeps the outcome it has alone. The
 * batchers here are the server's own class over real pools of a migrated database; sends are
 * handed to them in one turn, so the batch is certain rather than hoped for.
 */
import { expect } from 'chai';
import pg from 'pg';
import { openDatabase, type Database } from '../src/db/database.js';
import type { SendRow } from '../src/db/messages-queries.js';
import { BatchedSendError, SendBatcher } from '../src/db/send-batcher.js';
import { chatKeyOf, sendValues, type SendInput, type SendTarget } from '../src/domain/messages.js';
import { startCluster, type Cluster, type Session } from './support/harness.js';
import { functionBody, installedFunctions } from './support/sql-functions.js';

const FILE = new URL('../src/db/sql/msgr_send_batch.sql', import.meta.url);
const LIMITS = { idempotencyWindowSeconds: 300, rateLimitSendsPerMinute: 0 };

interface Send {
  from: Session;
  target: SendTarget;
  input: SendInput;
  sendsPerMinute?: number;
}

/** What a batcher's `send` takes for `s`: msgr_send's values and the chat's key. */
const values = (s: Send): [unknown[], string] => [
  sendValues(
    { ...LIMITS, rateLimitSendsPerMinute: s.sendsPerMinute ?? 0 },
    { userId: s.from.userId, clientId: 'test' },
    s.target,
    s.input,
  ),
  chatKeyOf(s.from, s.target),
];

/** Every send's outcome: its row, or the error it was rejected with. */
function settleAll(batcher: SendBatcher, sends: Send[]) {
  return Promise.all(
    sends.map((s) =>
      batcher.send(...values(s)).then(
        (row) => ({ row, error: undefined }),
        (error: unknown) => ({ row: undefined as SendRow | undefined, error }),
      ),
    ),
  );
}

describe('coalesced sends', function () {
  let cluster: Cluster;
  let ann: Session;
  let bob: Session;
  let eve: Session;
  let groupId: number;
  const dbs: Database[] = [];
  let raw: pg.Client;

  before(async () => {
    cluster = await startCluster();
    ann = await cluster.api.newUser('ann');
    bob = await cluster.api.newUser('bob');
    eve = await cluster.api.newUser('eve');
    groupId = (await cluster.api.newGroup(ann!, [bob!])).group_id as number;
    for (let i = 0; i < 3; i++) dbs.push(openDatabase(cluster.databaseUrl, { poolMax: 4 }));
    raw = new pg.Client({ connectionString: cluster.databaseUrl });
    await raw.connect();
  });

  after(async () => {
    await raw?.end();
    await Promise.all(dbs.map((db) => db.close()));
    await cluster?.close();
  });

  const batcherOn = (db: Database) => new SendBatcher(db, { maxBatch: 32, maxInFlight: 2 });
  const count = async (sender: number, text: string) =>
    (
      await raw.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM messages WHERE sender_id = $1 AND text = $2',
        [sender, text],
      )
    ).rows[0]!.n;

  /** A transaction of its own holding `chatId`'s row until its `COMMIT`; `end()` it after. */
  const holdChat = async (chatId: number) => {
    const holder = new pg.Client({ connectionString: cluster.databaseUrl });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM chats WHERE id = $1 FOR UPDATE', [chatId]);
    return holder;
  };

  it('when a database is migrated then its msgr_send_batch is the file, word for word', async () => {
    const body = functionBody(FILE);
    expect(body, 'the file holds one $$-quoted body').to.be.a('string');
    const rows = await installedFunctions('msgr_send_batch');
    expect(rows).to.have.length(1);
    expect(rows[0]!.prosrc).to.equal(body);
  });

  it('when a batch holds a new send, a replay, a conflict, a forbidden target, a rate-limited send and one that raises then each gets its own outcome and the good ones commit', async () => {
    const batcher = batcherOn(dbs[0]!);
    const tag = `mixed-${Date.now()}`;
    const toBob: SendTarget = { kind: 'user', id: bob.userId };
    // Before the batch: the send to replay, the one to conflict with, the budget spent.
    const earlier = await batcher.send(
      ...values({ from: ann, target: toBob, input: { text: `${tag} replay`, operationId: 2 } }),
    );
    await batcher.send(
      ...values({ from: ann, target: toBob, input: { text: `${tag} first`, operationId: 3 } }),
    );
    await batcher.send(
      ...values({
        from: bob,
        target: { kind: 'user', id: ann.userId },
        input: { text: `${tag} budget`, operationId: 1 },
        sendsPerMinute: 1,
      }),
    );
    const before = { ...batcher.stats };
    const nobody: Session = { ...eve, userId: 2 ** 40 };
    const outcomes = await settleAll(batcher, [
      { from: ann, target: toBob, input: { text: `${tag} new`, operationId: 1 } },
      { from: ann, target: toBob, input: { text: `${tag} replay`, operationId: 2 } },
      { from: ann, target: toBob, input: { text: `${tag} other`, operationId: 3 } },
      { from: eve, target: { kind: 'group', id: groupId }, input: { text: tag, operationId: 1 } },
      {
        from: bob,
        target: { kind: 'user', id: ann.userId },
        input: { text: `${tag} over`, operationId: 2 },
        sendsPerMinute: 1,
      },
      { from: nobody, target: toBob, input: { text: `${tag} ghost`, operationId: 1 } },
      {
        from: bob,
        target: { kind: 'group', id: groupId },
        input: { text: `${tag} g`, operationId: 9 },
      },
      // The first send again, in the same batch (a client's quick retry): the same message.
      { from: ann, target: toBob, input: { text: `${tag} new`, operationId: 1 } },
    ]);
    expect(batcher.stats.statements - before.statements, 'one statement').to.equal(1);
    expect(batcher.stats.batched - before.batched).to.equal(8);
    const statuses = outcomes.map((o) => o.row?.status ?? 'error');
    expect(statuses).to.deep.equal([
      'created',
      'replayed',
      'operation_id_conflict',
      'chat_forbidden',
      'rate_limited',
      'error',
      'created',
      'replayed',
    ]);
    expect(outcomes[7]!.row!.message_id).to.equal(outcomes[0]!.row!.message_id);
    expect(outcomes[1]!.row!.message_id).to.equal(earlier.message_id);
    expect(outcomes[4]!.row!.retry_after).to.be.greaterThan(0);
    const raised = outcomes[5]!.error;
    expect(raised).to.be.instanceOf(BatchedSendError);
    expect((raised as BatchedSendError).code).to.equal('23503');
    // Committed: the two new ones; nothing of the refused or the one that raised.
    expect(await count(ann.userId, `${tag} new`)).to.equal(1);
    expect(await count(bob.userId, `${tag} g`)).to.equal(1);
    expect(await count(ann.userId, `${tag} replay`)).to.equal(1);
    expect(await count(ann.userId, `${tag} other`)).to.equal(0);
    expect(await count(bob.userId, `${tag} over`)).to.equal(0);
    expect(await count(eve.userId, tag)).to.equal(0);
  });

  it('when a batch creates no message then it commits without waiting for its WAL flush, and when it creates one it commits as configured', async () => {
    const batcher = batcherOn(dbs[0]!);
    const tag = `unflushed-${Date.now()}`;
    const toBob: SendTarget = { kind: 'user', id: bob.userId };
    const first: Send = { from: ann, target: toBob, input: { text: `${tag} 1`, operationId: 31 } };
    const earlier = await batcher.send(...values(first));
    const nobody: Session = { ...eve, userId: 2 ** 40 };
    const nothingNew: Send[] = [
      first,
      { from: ann, target: toBob, input: { text: `${tag} other`, operationId: 31 } },
      { from: eve, target: { kind: 'group', id: groupId }, input: { text: tag, operationId: 31 } },
      { from: nobody, target: toBob, input: { text: `${tag} ghost`, operationId: 31 } },
    ];
    const oneNew: Send = { from: ann, target: toBob, input: { text: `${tag} 2`, operationId: 32 } };
    /** The batch in a transaction that asks for flushed commits: its rows, and the setting after. */
    const batchIn = async (sends: Send[]) => {
      await raw.query('BEGIN');
      try {
        await raw.query('SET LOCAL synchronous_commit = on');
        const { rows } = await raw.query<{ status: string; message_id: string | null }>(
          'SELECT * FROM msgr_send_batch($1)',
          [JSON.stringify(sends.map((s) => values(s)[0]))],
        );
        const setting = (
          await raw.query<{ v: string }>('SELECT current_setting($1) AS v', ['synchronous_commit'])
        ).rows[0]!.v;
        await raw.query('COMMIT');
        return { statuses: rows.map((r) => r.status), rows, setting };
      } catch (err) {
        await raw.query('ROLLBACK');
        throw err;
      }
    };

    const replays = await batchIn(nothingNew);
    expect(replays.statuses).to.deep.equal([
      'replayed',
      'operation_id_conflict',
      'chat_forbidden',
      'error',
    ]);
    expect(Number(replays.rows[0]!.message_id)).to.equal(earlier.message_id);
    expect(replays.setting, 'nothing new: the commit does not wait for the flush').to.equal('off');

    const mixed = await batchIn([...nothingNew, oneNew]);
    expect(mixed.statuses).to.deep.equal([
      'replayed',
      'operation_id_conflict',
      'chat_forbidden',
      'error',
      'created',
    ]);
    expect(mixed.setting, 'a new message: the commit waits for the flush').to.equal('on');
    expect(await count(ann.userId, `${tag} 2`)).to.equal(1);
    expect(await count(ann.userId, `${tag} 1`)).to.equal(1);
  });

  it('when a send of a batch holds a character PostgreSQL cannot read then it fails alone and its neighbours commit', async () => {
    // The API refuses NUL before a send is made (contract/schemas.ts); the batch must not rely
    // on that: each send is read on its own, inside its own subtransaction.
    const batcher = batcherOn(dbs[0]!);
    const tag = `unreadable-${Date.now()}`;
    const toBob: SendTarget = { kind: 'user', id: bob.userId };
    const outcomes = await settleAll(batcher, [
      { from: ann, target: toBob, input: { text: `${tag} before`, operationId: 21 } },
      { from: ann, target: toBob, input: { text: `${tag} \u0000`, operationId: 22 } },
      { from: ann, target: toBob, input: { text: `${tag} after`, operationId: 23 } },
    ]);
    expect(outcomes.map((o) => o.row?.status ?? 'error')).to.deep.equal([
      'created',
      'error',
      'created',
    ]);
    expect(outcomes[1]!.error).to.be.instanceOf(BatchedSendError);
    expect(await count(ann.userId, `${tag} before`)).to.equal(1);
    expect(await count(ann.userId, `${tag} after`)).to.equal(1);
  });

  it('when the same batch is raced on three instances at once then each send makes one message and every answer names it', async () => {
    const tag = `race-${Date.now()}`;
    const sends: Send[] = Array.from({ length: 24 }, (_, i) => ({
      from: i % 2 ? ann : bob,
      target:
        i % 3
          ? { kind: 'group', id: groupId }
          : { kind: 'user', id: i % 2 ? bob.userId : ann.userId },
      input: { text: `${tag} ${i}`, operationId: 100 + i },
    }));
    const batchers = dbs.map(batcherOn);
    const answers = await Promise.all(batchers.map((b) => settleAll(b, sends)));
    for (const b of batchers) expect(b.stats.statements, 'one batch each').to.equal(1);
    for (let i = 0; i < sends.length; i++) {
      const rows = answers.map((a) => a[i]!.row);
      expect(rows.every(Boolean), `send ${i} answered everywhere`).to.equal(true);
      expect(
        rows.filter((r) => r!.status === 'created'),
        `send ${i} created once`,
      ).to.have.length(1);
      expect(rows.filter((r) => r!.status === 'replayed')).to.have.length(2);
      expect(new Set(rows.map((r) => r!.message_id)).size).to.equal(1);
      expect(await count(sends[i]!.from.userId, sends[i]!.input.text)).to.equal(1);
    }
  });

  it('when a send of a batch waits too long for a lock another transaction holds then it is undone alone, the rest commit, and it is sent again on its own once the lock is free', async () => {
    const tag = `lock-${Date.now()}`;
    const batcher = batcherOn(dbs[1]!);
    // A direct chat of ann and eve exists first, so that its row can be held.
    const first = await batcher.send(
      ...values({
        from: ann,
        target: { kind: 'user', id: eve.userId },
        input: { text: `${tag} 0`, operationId: 200 },
      }),
    );
    const holder = await holdChat(first.chat_id!);
    try {
      const pending = settleAll(batcher, [
        {
          from: ann,
          target: { kind: 'user', id: eve.userId },
          input: { text: `${tag} held`, operationId: 201 },
        },
        {
          from: bob,
          target: { kind: 'group', id: groupId },
          input: { text: `${tag} free`, operationId: 202 },
        },
      ]);
      // The free one commits while the lock is still held: its batch did not wait for it.
      const deadline = Date.now() + 10_000;
      while ((await count(bob.userId, `${tag} free`)) === 0 || batcher.stats.sentAgain === 0) {
        expect(Date.now(), 'the free send committed while the lock was held').to.be.lessThan(
          deadline,
        );
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(batcher.stats.sentAgain).to.equal(1);
      expect(await count(ann.userId, `${tag} held`), 'the held one waits').to.equal(0);
      await holder.query('COMMIT');
      const [held, free] = await pending;
      expect(held!.row?.status).to.equal('created');
      expect(free!.row?.status).to.equal('created');
      expect(await count(ann.userId, `${tag} held`)).to.equal(1);
    } finally {
      await holder.end();
    }
  });

  it('when lone sends to chats other transactions hold fill every slot then sends to other chats still go through, and the held ones follow once they are free', async () => {
    const tag = `slots-${Date.now()}`;
    // Two slots, and two lone sends (one per turn) that will wait for the held chats.
    const batcher = batcherOn(dbs[2]!);
    const toEve = (from: Session, operationId: number, text: string) =>
      batcher.send(
        ...values({ from, target: { kind: 'user', id: eve.userId }, input: { text, operationId } }),
      );
    const firsts = [await toEve(ann, 300, `${tag} 0`), await toEve(bob, 300, `${tag} 0`)];
    const holders = await Promise.all(firsts.map((f) => holdChat(f.chat_id!)));
    try {
      const before = batcher.stats.statements;
      // One per turn: each goes out as a lone statement and waits for the lock in its slot.
      const held: Promise<SendRow>[] = [];
      for (const from of [ann, bob]) {
        held.push(toEve(from, 301, `${tag} held`));
        await new Promise((r) => setTimeout(r, 30));
      }
      expect(batcher.stats.statements - before, 'two lone statements').to.equal(2);
      const started = Date.now();
      const free = await Promise.race([
        batcher.send(
          ...values({
            from: bob,
            target: { kind: 'group', id: groupId },
            input: { text: `${tag} free`, operationId: 303 },
          }),
        ),
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 3000)),
      ]);
      expect(free, 'the free send was answered while the lock was held').to.not.equal(undefined);
      expect(free!.status).to.equal('created');
      expect(
        Date.now() - started,
        'the free send waited for a slot no longer than 200 ms and its own statement',
      ).to.be.lessThan(2000);
      expect(await count(ann.userId, `${tag} held`), 'the held ones still wait').to.equal(0);
      await Promise.all(holders.map((h) => h.query('COMMIT')));
      const rows = await Promise.all(held);
      expect(rows.map((r) => r.status)).to.deep.equal(['created', 'created']);
    } finally {
      await Promise.all(holders.map((h) => h.end()));
    }
  });

  it('when sends come for a chat a batch at PostgreSQL holds then they wait for it and go on together, while sends to other chats take the free slot', async () => {
    const tag = `same-chat-${Date.now()}`;
    const batcher = batcherOn(dbs[0]!);
    const toGroup = (operationId: number) =>
      batcher.send(
        ...values({
          from: ann,
          target: { kind: 'group', id: groupId },
          input: { text: `${tag} ${operationId}`, operationId },
        }),
      );
    const holder = await holdChat((await toGroup(400)).chat_id!);
    try {
      const before = { ...batcher.stats };
      const first = toGroup(401); // out alone, waiting for the lock
      await new Promise((r) => setTimeout(r, 30));
      const later = [402, 403, 404].map(toGroup); // the same chat: they wait for 401
      const other = await batcher.send(
        ...values({
          from: bob,
          target: { kind: 'user', id: eve.userId },
          input: { text: `${tag} other`, operationId: 405 },
        }),
      );
      expect(other.status, 'a send to another chat took the free slot').to.equal('created');
      expect(batcher.stats.statements - before.statements, '401 and the other').to.equal(2);
      expect(batcher.stats.waiting, 'msgr_sends_waiting: 402–404').to.equal(3);
      await holder.query('COMMIT');
      const rows = await Promise.all([first, ...later]);
      expect(rows.map((r) => r.status)).to.deep.equal(Array(4).fill('created'));
      expect(batcher.stats.statements - before.statements, 'then 402–404 as one batch').to.equal(3);
      expect(batcher.stats.batched - before.batched).to.equal(3);
      expect(batcher.stats.waiting).to.equal(0);
      const ids = rows.map((r) => r.message_id!);
      expect(ids, 'in the order they came').to.deep.equal([...ids].sort((a, b) => a - b));
    } finally {
      await holder.end();
    }
  });

  it('when 3 instances get the same 30 sends at once over HTTP then each makes one message, every answer names it, and the instances coalesced them', async () => {
    const three = await startCluster({ instances: 3 });
    try {
      const [x, y] = await Promise.all([three.api.newUser('x'), three.api.newUser('y')]);
      const tag = `http-${Date.now()}`;
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          Promise.all(
            three.apis.map((api) => api.send({ user: y.userId }, `${tag} ${i}`, 300 + i, x.token)),
          ),
        ),
      );
      for (const [i, perInstance] of answers.entries()) {
        const statuses = perInstance.map((a) => a.status).sort();
        expect(statuses, `send ${i}`).to.deep.equal([200, 200, 201]);
        expect(new Set(perInstance.map((a) => a.body.id as number)).size).to.equal(1);
      }
      const db = new pg.Client({ connectionString: three.databaseUrl });
      await db.connect();
      try {
        const { rows } = await db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM messages WHERE sender_id = $1 AND text LIKE $2',
          [x.userId, `${tag} %`],
        );
        expect(rows[0]!.n).to.equal(30);
      } finally {
        await db.end();
      }
      let coalesced = 0;
      for (const api of three.apis) {
        const text = (await api.get('/metrics')).body as string;
        coalesced += Number(/^msgr_sends_coalesced_total (\d+)/m.exec(text)?.[1] ?? NaN);
      }
      expect(coalesced, 'sends that went in batches').to.be.greaterThan(0);
    } finally {
      await three.close();
    }
  });
});
