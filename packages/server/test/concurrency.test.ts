/**
 * The concurrency claims, with real concurrency: several server instances (each its own HTTP
 * listener and pool) on one database, requests fired at the same moment.
 */
import { expect } from 'chai';
import pg from 'pg';
import { startCluster, type Cluster, type Session } from './support/harness.js';

const ROUNDS = 50;

/**
 * The `Read` events the log holds for chat `chatId` (the reads that wrote them have committed:
 * their requests were answered), with their recipient and the device that caused them.
 */
async function readEvents(databaseUrl: string, chatId: number) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ frame: string; recipient_id: number }>(
      `SELECT frame, recipient_id FROM events WHERE chat_id = $1 AND type = 'Read' ORDER BY id`,
      [chatId],
    );
    return rows.map((r) => ({ ...JSON.parse(r.frame), recipient_id: Number(r.recipient_id) }));
  } finally {
    await client.end();
  }
}

describe('exactly-once sends across instances', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ instances: 3 });
  });
  after(() => c.close());

  it(`when the same send hits 3 instances at once then one message exists (${ROUNDS} rounds)`, async () => {
    const alice = await c.api.newUser('alice');
    const bob = await c.api.newUser('bob');
    const ids = new Set<number>();
    for (let round = 0; round < ROUNDS; round++) {
      const operationId = round - 25;
      // Two copies per instance: duplicates also meet inside one instance's pool.
      const answers = await Promise.all(
        [...c.apis, ...c.apis].map((api) =>
          api.send({ user: bob.userId }, `round ${round}`, operationId, alice.token),
        ),
      );
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses, `round ${round}`).to.deep.equal([200, 200, 200, 200, 200, 201]);
      const roundIds = new Set(answers.map((a) => a.body.id as number));
      expect(roundIds.size, `round ${round}: every answer carries the same id`).to.equal(1);
      for (const a of answers.filter((x) => x.status === 200)) {
        expect(a.headers.get('idempotent-replayed')).to.equal('true');
      }
      ids.add([...roundIds][0]!);
    }
    expect(ids.size).to.equal(ROUNDS);
    const chatId = (await c.api.get('/chats', alice.token)).body[0].chat_id;
    const page = await c.api.get(`/history/${chatId}?limit=100`, alice.token);
    expect(page.body).to.have.length(ROUNDS);
  });

  it('when the same send to a group hits 3 instances at once while others write to it then one message exists (20 rounds)', async () => {
    const alice = await c.api.newUser('alice');
    const others = await Promise.all([c.api.newUser('bob'), c.api.newUser('carol')]);
    const group = await c.api.newGroup(alice, others);
    for (let round = 0; round < 20; round++) {
      const [answers] = await Promise.all([
        Promise.all(
          [...c.apis, ...c.apis].map((api) =>
            api.send({ group: group.group_id }, `round ${round}`, round, alice.token),
          ),
        ),
        ...others.map((o, i) =>
          c.apis[i]!.send({ group: group.group_id }, `beside ${round}`, round, o.token),
        ),
      ]);
      expect(answers.map((a) => a.status).sort(), `round ${round}`).to.deep.equal([
        200, 200, 200, 200, 200, 201,
      ]);
      expect(new Set(answers.map((a) => a.body.id)).size, `round ${round}`).to.equal(1);
    }
    const page = await c.api.get(`/history/${group.chat_id}?limit=100`, alice.token);
    const mine = page.body.filter((m: { sender_id: number }) => m.sender_id === alice.userId);
    expect(mine).to.have.length(20);
    expect(page.body).to.have.length(60);
  });

  it('when duplicates with another text race the original then the rest answer 422 and one message exists', async () => {
    const alice = await c.api.newUser('alice');
    const bob = await c.api.newUser('bob');
    const answers = await Promise.all(
      c.apis.map((api, i) => api.send({ user: bob.userId }, `text ${i}`, 7, alice.token)),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).to.deep.equal([201, 422, 422]);
    for (const a of answers.filter((x) => x.status === 422)) {
      expect(a.body.code).to.equal('operation_id_conflict');
    }
    const chatId = answers.find((a) => a.status === 201)!.body.chat_id;
    expect((await c.api.get(`/history/${chatId}`, alice.token)).body).to.have.length(1);
  });

  it('when an expired key is sent again on 3 instances at once then one new message takes it over, and every answer names it (20 rounds)', async () => {
    const alice = await c.api.newUser('alice');
    const bob = await c.api.newUser('bob');
    const db = new pg.Client({ connectionString: c.databaseUrl });
    await db.connect();
    /** Ends the window of alice's keys: the key's row stays, as a sweep has not taken it yet. */
    const expire = (operationId: number, key: string) =>
      db.query(
        `WITH o AS (UPDATE message_operations SET expires_at = now() - interval '1 second'
                      WHERE sender_id = $1 AND operation_id = $2)
         UPDATE idempotency_keys SET expires_at = now() - interval '1 second'
           WHERE user_id = $1 AND key = $3`,
        [alice.userId, operationId, key],
      );
    const byKey = (api: (typeof c.apis)[number], key: string, text: string) =>
      api.request('POST', `/messages/user/${bob.userId}`, {
        body: { text },
        token: alice.token,
        headers: { 'idempotency-key': key },
      });
    try {
      for (let round = 0; round < 20; round++) {
        const key = `expiring-${round}`;
        const before = [
          await c.api.send({ user: bob.userId }, `old ${round}`, round, alice.token),
          await byKey(c.api, key, `old ${round}`),
        ];
        expect(before.map((a) => a.status)).to.deep.equal([201, 201]);
        await expire(round, key);
        // Two copies per instance, and another text: a taken-over key binds the new request.
        const answers = await Promise.all(
          [...c.apis, ...c.apis].flatMap((api) => [
            api.send({ user: bob.userId }, `new ${round}`, round, alice.token),
            byKey(api, key, `new ${round}`),
          ]),
        );
        for (const [kind, mine] of [
          ['operation id', answers.filter((_, i) => i % 2 === 0)],
          ['Idempotency-Key', answers.filter((_, i) => i % 2 === 1)],
        ] as const) {
          const label = `round ${round}, ${kind}`;
          expect(mine.map((a) => a.status).sort(), label).to.deep.equal([
            200, 200, 200, 200, 200, 201,
          ]);
          const ids = new Set(mine.map((a) => a.body.id as number));
          expect(ids.size, `${label}: every answer names one message`).to.equal(1);
          expect(
            before.map((a) => a.body.id),
            label,
          ).to.not.include([...ids][0]);
        }
      }
      const chatId = (await c.api.get('/chats', alice.token)).body[0].chat_id;
      const page = await c.api.get(`/history/${chatId}?limit=100`, alice.token);
      expect(page.body.filter((m: { text: string }) => m.text.startsWith('new '))).to.have.length(
        40,
      );
      expect(page.body).to.have.length(80);
    } finally {
      await db.end();
    }
  });

  it('when two users write to each other first at the same moment then one direct chat exists (20 rounds)', async () => {
    for (let round = 0; round < 20; round++) {
      const a = await c.apis[0]!.newUser('a');
      const b = await c.apis[1]!.newUser('b');
      const [ab, ba] = await Promise.all([
        c.apis[0]!.send({ user: b.userId }, 'hi b', 1, a.token),
        c.apis[1]!.send({ user: a.userId }, 'hi a', 1, b.token),
      ]);
      expect([ab.status, ba.status]).to.deep.equal([201, 201]);
      expect(ab.body.chat_id).to.equal(ba.body.chat_id);
      const chats = (await c.api.get('/chats', a.token)).body;
      expect(chats).to.have.length(1);
      expect(chats[0].member_ids).to.have.members([a.userId, b.userId]);
    }
  });
});

/** A sender and two readers in a new group. */
async function groupOfThree(c: Cluster) {
  const [sender, r1, r2] = await Promise.all(['sender', 'r1', 'r2'].map((l) => c.api.newUser(l)));
  const group = (
    await c.api.post(
      '/group',
      { name: 'readers', participant_user_ids: [r1!.userId, r2!.userId] },
      sender!.token,
    )
  ).body;
  return { sender: sender!, r1: r1!, r2: r2!, group };
}

describe('read receipts under concurrent readers', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ instances: 2 });
  });
  after(() => c.close());

  it('when the last two readers read at the same moment on two instances then each message is announced once (20 rounds)', async () => {
    const { sender, r1, r2, group } = await groupOfThree(c);
    const sent: number[] = [];
    for (let round = 0; round < 20; round++) {
      const m = await c.api.send({ group: group.group_id }, `m${round}`, round, sender.token);
      sent.push(m.body.id);
      const reads = await Promise.all([
        c.apis[0]!.post(`/messages/read/${m.body.id}`, undefined, r1.token),
        c.apis[1]!.post(`/messages/read/${m.body.id}`, undefined, r2.token),
      ]);
      expect(reads.map((r) => r.status)).to.deep.equal([200, 200]);
    }
    const reads = await readEvents(c.databaseUrl, group.chat_id);
    expect(reads.map((e) => e.message_id)).to.have.members(sent); // each exactly once
    for (const e of reads) {
      expect(e.recipient_id).to.equal(sender.userId);
      expect(e.reader_ids).to.have.length(1);
      expect([r1.userId, r2.userId]).to.include(e.reader_ids[0]);
    }
    const history = (await c.api.get(`/history/${group.chat_id}`, sender.token)).body;
    expect(history.every((m: any) => m.is_read)).to.be.true;
  });

  it('when one reader of two reads then nothing is announced, and the second read announces', async () => {
    const { sender, r1, r2, group } = await groupOfThree(c);
    const m1 = (await c.api.send({ group: group.group_id }, 'one', 1, sender.token)).body;
    const m2 = (await c.api.send({ group: group.group_id }, 'two', 2, sender.token)).body;
    await c.api.post(`/messages/read/${m2.id}`, undefined, r1.token);
    let page = (await c.api.get(`/history/${group.chat_id}`, sender.token)).body;
    expect(page.map((m: any) => m.is_read)).to.deep.equal([false, false]);
    expect(await readEvents(c.databaseUrl, group.chat_id)).to.deep.equal([]);
    await c.api.post(`/messages/read/${m1.id}`, undefined, r2.token);
    page = (await c.api.get(`/history/${group.chat_id}`, sender.token)).body;
    expect(page.map((m: any) => m.is_read)).to.deep.equal([true, false]);
    const reads = await readEvents(c.databaseUrl, group.chat_id);
    expect(reads).to.have.length(1);
    expect(reads[0]).to.deep.include({ message_id: m1.id, reader_ids: [r2.userId] });
  });
});

describe('the idempotency window', () => {
  let c: Cluster;
  const WINDOW_SECONDS = 2;
  before(async () => {
    c = await startCluster({ idempotencyWindowSeconds: WINDOW_SECONDS });
  });
  after(() => c.close());

  it('when a key outlives its own window then it is free again, while a younger key still replays', async () => {
    const alice: Session = await c.api.newUser('alice');
    const bob = await c.api.newUser('bob');
    const t0 = Date.now();
    const first = await c.api.send({ user: bob.userId }, 'same', 100, alice.token);
    expect(first.status).to.equal(201);
    expect((await c.api.send({ user: bob.userId }, 'same', 100, alice.token)).status).to.equal(200);

    await new Promise((r) => setTimeout(r, 1200));
    const younger = await c.api.send({ user: bob.userId }, 'younger', 101, alice.token);
    expect(younger.status).to.equal(201);

    // Poll (bounded) until key 100 is free; another text proves it is a new message, not a 422.
    let again;
    for (;;) {
      again = await c.api.send({ user: bob.userId }, 'different text', 100, alice.token);
      if (again.status !== 422) break;
      if (Date.now() - t0 > WINDOW_SECONDS * 1000 + 5000) throw new Error('key never expired');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(again.status).to.equal(201);
    expect(again.body.id).to.not.equal(first.body.id);
    expect(Date.now() - t0).to.be.at.least(WINDOW_SECONDS * 1000 - 50);

    const replay = await c.api.send({ user: bob.userId }, 'younger', 101, alice.token);
    expect(replay.status).to.equal(200);
    expect(replay.body.id).to.equal(younger.body.id);
  });
});
