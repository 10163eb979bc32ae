/**
 * v1.1 membership under concurrency: changes racing on two instances, a send racing its
 * sender's removal, the owner leaving while adding; and search on a C-locale database.
 */
import { expect } from 'chai';
import pg from 'pg';
import { withDatabase } from '../src/db/embedded.js';
import { startServer } from '../src/server.js';
import { Api, startCluster, testConfig, type Cluster, type Session } from './support/harness.js';
import { openSocket } from './support/sockets.js';

describe('v1.1 membership races over two instances', function () {
  this.timeout(60_000);
  let c: Cluster;
  let a: Api;
  let b: Api;
  before(async () => {
    c = await startCluster({ instances: 2 });
    [a, b] = c.apis as [Api, Api];
  });
  after(() => c.close());

  async function people(n: number): Promise<Session[]> {
    return Promise.all(Array.from({ length: n }, (_, i) => a.newUser(`r${i}`)));
  }

  it('when an add and a remove race on two instances then both apply and each is announced once (10 rounds)', async () => {
    for (let round = 0; round < 10; round++) {
      const [owner, leaving, joining, watcher] = await people(4);
      const g = (
        await a.post(
          '/group',
          { name: 'G', participant_user_ids: [leaving!.userId, watcher!.userId] },
          owner!.token,
        )
      ).body;
      const socket = await openSocket(a.baseUrl, '/ws', watcher!.token);
      await socket.next((f) => f.type === 'Subscribed');
      const [added, removed] = await Promise.all([
        a.post(`/groups/${g.group_id}/members`, { user_ids: [joining!.userId] }, owner!.token),
        b.request('DELETE', `/groups/${g.group_id}/members/${leaving!.userId}`, {
          token: owner!.token,
        }),
      ]);
      expect([added.status, removed.status]).to.deep.equal([200, 204]);
      const now = (await b.get(`/groups/${g.group_id}`, owner!.token)).body;
      expect(now.member_ids).to.deep.equal(
        [owner!.userId, joining!.userId, watcher!.userId].sort((x, y) => x - y),
      );
      // (The group's creation is a MembersChanged too: on an engine bus its relay may reach
      // the socket after it opened. Only the two changes under test are looked at.)
      const events = await socket.collect(
        (f) => f.type === 'MembersChanged' && !f.added.includes(watcher!.userId),
        2,
      );
      expect(events.flatMap((e) => e.added)).to.deep.equal([joining!.userId]);
      expect(events.flatMap((e) => e.removed)).to.deep.equal([leaving!.userId]);
      await socket.close();
    }
  });

  it('when a message is sent while its sender is being removed then it is refused, or created and delivered to the rest (20 rounds)', async () => {
    const outcomes = { created: 0, refused: 0 };
    for (let round = 0; round < 20; round++) {
      const [owner, sender, reader] = await people(3);
      const g = (
        await a.post(
          '/group',
          { name: 'G', participant_user_ids: [sender!.userId, reader!.userId] },
          owner!.token,
        )
      ).body;
      const socket = await openSocket(b.baseUrl, '/ws', reader!.token);
      await socket.next((f) => f.type === 'Subscribed');
      const [sent, removed] = await Promise.all([
        a.send({ group: g.group_id }, `last words ${round}`, round, sender!.token),
        b.request('DELETE', `/groups/${g.group_id}/members/${sender!.userId}`, {
          token: owner!.token,
        }),
      ]);
      expect(removed.status).to.equal(204);
      const history = (await a.get(`/history/${g.chat_id}`, reader!.token)).body;
      if (sent.status === 201) {
        outcomes.created++;
        // Created while a member: in the history, and live for the members who remain.
        expect(history.map((m: any) => m.id)).to.deep.equal([sent.body.id]);
        await socket.next((f) => f.type === 'Message' && f.message.id === sent.body.id);
      } else {
        outcomes.refused++;
        expect(sent.status).to.equal(403);
        expect(history).to.deep.equal([]);
      }
      await socket.close();
    }
    expect(outcomes.created + outcomes.refused).to.equal(20);
  });

  it('when the owner leaves while adding someone then the group ends up with one owner who is a member (10 rounds)', async () => {
    for (let round = 0; round < 10; round++) {
      const [owner, member, newcomer] = await people(3);
      const g = (
        await a.post('/group', { name: 'G', participant_user_ids: [member!.userId] }, owner!.token)
      ).body;
      const [added, left] = await Promise.all([
        a.post(`/groups/${g.group_id}/members`, { user_ids: [newcomer!.userId] }, owner!.token),
        b.request('DELETE', `/groups/${g.group_id}/members/${owner!.userId}`, {
          token: owner!.token,
        }),
      ]);
      expect(left.status).to.equal(204);
      // The add either came first (200) or found the owner gone (403): never half of both.
      expect(added.status).to.be.oneOf([200, 403]);
      const now = (await a.get(`/groups/${g.group_id}`, member!.token)).body;
      expect(now.owner_id).to.equal(member!.userId);
      expect(now.member_ids).to.include(now.owner_id);
      expect(now.member_ids.includes(newcomer!.userId)).to.equal(added.status === 200);
      expect(now.member_ids).to.not.include(owner!.userId);
    }
  });
});

describe('v1.1 search on a database created with the C locale', function () {
  this.timeout(30_000);

  it('when the database folds only ASCII then search is still case-insensitive in every script', async () => {
    const name = `msgr_c_locale_${process.pid}`;
    const admin = new pg.Client({ connectionString: process.env.MSGR_TEST_ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(
      `CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER libc LC_COLLATE 'C' LC_CTYPE 'C'`,
    );
    const url = withDatabase(process.env.MSGR_TEST_ADMIN_URL!, name);
    const server = await startServer(testConfig(url));
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      // The premise: here PostgreSQL's own lower() leaves Cyrillic alone.
      const { rows } = await db.query(`SELECT lower('ПРИВЕТ') AS l`);
      expect(rows[0].l).to.equal('ПРИВЕТ');
      const api = new Api(server.url);
      const [alice, bob] = [await api.newUser('alice'), await api.newUser('bob')];
      const m = (await api.send({ user: bob.userId }, 'ПРИВЕТ Мир', 1, alice.token)).body;
      for (const q of ['привет', 'ПРИВ', 'мир', 'МИР привет']) {
        const found = (await api.get(`/search?q=${encodeURIComponent(q)}`, bob.token)).body;
        expect(
          found.map((x: any) => x.id),
          q,
        ).to.deep.equal([m.id]);
      }
      // And the index serves it (forced, since a tiny table would rather be scanned).
      await db.query('SET enable_seqscan = off');
      const plan = await db.query(
        `EXPLAIN SELECT id FROM messages WHERE search_words @@ '''привет'':*'::tsquery`,
      );
      expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).to.contain('messages_search_words');
    } finally {
      await db.end();
      await server.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.end();
    }
  });
});
