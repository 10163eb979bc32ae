/**
 * The log under concurrency (contract v1.2): writers on three instances make messages, edits,
 * reactions, reads, renames and membership changes in several chats while one reader catches
 * up by /sync (each returned position, on alternating instances, small pages) and another by
 * sockets cut at random and resumed on another instance. Each gets every event it should, once,
 * the same as the log answers in the end, and the events of each chat in seq order.
 */
import { expect } from 'chai';
import pg from 'pg';
import { startCluster, type Cluster, type Session } from './support/harness.js';
import { parsedPosition, positionOf, type TestPosition } from './support/positions.js';
import { openSocket, unplaced, type TestSocket } from './support/sockets.js';

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

describe('v1.2: the log under concurrency', function () {
  this.timeout(90_000);
  let c: Cluster;
  before(async () => {
    c = await startCluster({ instances: 3 });
  });
  after(() => c.close());

  it('with 4 writers and an owner on 3 instances making every kind of change, a /sync reader and a socket reader cut at random each get every event once', async () => {
    const [owner, floater, syncer, watcher, ...writers] = await Promise.all(
      ['owner', 'floater', 'syncer', 'watcher', 'w0', 'w1', 'w2', 'w3'].map((l) =>
        c.api.newUser(l),
      ),
    );
    const readers = [syncer!, watcher!];
    const now = async (who: Session) => (await c.api.get('/sync', who.token)).body.position;
    const start = { syncer: await now(syncer!), watcher: await now(watcher!) };
    const groups: { group_id: number; chat_id: number }[] = [];
    for (let k = 0; k < 3; k++) {
      const members = [...writers, ...readers].map((u) => u.userId);
      const res = await c.api.post(
        '/group',
        { name: `g${k}`, participant_user_ids: members },
        owner!.token,
      );
      expect(res.status).to.equal(201);
      groups.push(res.body);
    }
    const api = (i: number) => c.apis[i % c.apis.length]!;
    let isDone = false;
    /** Once the writers are done: every event each reader should get, from the log itself. */
    let truth: Map<number, any[]> | undefined = undefined;
    const hasAll = (who: Session, got: any[]) => {
      const want = truth?.get(who.userId);
      if (!want) return false;
      const seqs = new Set(got.map((e) => e.seq));
      return want.every((e) => seqs.has(e.seq));
    };

    // Reader 1: /sync with each returned position, small pages, on alternating instances.
    const bySync: any[] = [];
    const syncing = (async () => {
      let position = start.syncer;
      for (let n = 0; ; n++) {
        const res = await api(n).get(`/sync?position=${position}&limit=7&timeout=1`, syncer!.token);
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        bySync.push(...res.body.events);
        position = res.body.position;
        if (res.body.events.length === 0 && hasAll(syncer!, bySync)) return;
      }
    })();

    // Reader 2: a socket cut after a random while and resumed on the next instance.
    const bySocket: any[] = [];
    const watching = (async () => {
      let position: TestPosition = parsedPosition(start.watcher);
      for (let cut = 0; ; cut++) {
        const s: TestSocket = await openSocket(
          c.servers[cut % 3]!.url,
          `/ws?position=${position.text}`,
          watcher!.token,
          { onFrame: (f) => typeof f.seq === 'number' && bySocket.push(f) },
        );
        await s.next((f) => f.type === 'Subscribed', 15_000);
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 120));
        if (isDone) {
          // The last socket stays until it has had everything (or what it lacks is clear).
          const deadline = Date.now() + 20_000;
          while (!hasAll(watcher!, bySocket) && Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 50));
          }
          await s.close();
          return;
        }
        s.ws.terminate();
        await s.closed;
        position = positionOf(s.frames, position);
      }
    })();

    // The writers: messages, edits of their own, reactions, reads; the owner: members, renames.
    const mine = new Map<number, number[]>();
    const writing = Promise.all(
      writers.map(async (w, i) => {
        const own: number[] = [];
        mine.set(w.userId, own);
        for (let n = 0; n < 40; n++) {
          const g = pick(groups);
          const roll = Math.random();
          const via = api(i + n);
          if (roll < 0.55 || own.length === 0) {
            const res = await via.send({ group: g.group_id }, `${i}:${n}`, n, w.token);
            expect(res.status).to.equal(201);
            own.push(res.body.id);
          } else if (roll < 0.7) {
            const res = await via.request('PATCH', `/messages/${pick(own)}`, {
              body: { text: `${i}:${n} edited` },
              token: w.token,
            });
            expect(res.status).to.equal(200);
          } else if (roll < 0.85) {
            const target = pick([...mine.values()].flat());
            const method = Math.random() < 0.6 ? 'PUT' : 'DELETE';
            const res = await via.request(
              method,
              `/messages/${target}/reactions/${pick(['a', 'b'])}`,
              {
                token: w.token,
              },
            );
            expect(res.status).to.equal(200);
          } else {
            const res = await via.post(
              `/messages/read/${pick([...mine.values()].flat())}`,
              undefined,
              w.token,
            );
            expect(res.status).to.equal(200);
          }
        }
      }),
    );
    const managing = (async () => {
      for (let n = 0; n < 12; n++) {
        const g = pick(groups);
        const via = api(n);
        if (n % 3 === 0) {
          await via.request('PATCH', `/groups/${g.group_id}`, {
            body: { name: `g ${n}` },
            token: owner!.token,
          });
        } else if (n % 3 === 1) {
          await via.post(
            `/groups/${g.group_id}/members`,
            { user_ids: [floater!.userId] },
            owner!.token,
          );
        } else {
          await via.request('DELETE', `/groups/${g.group_id}/members/${floater!.userId}`, {
            token: owner!.token,
          });
        }
      }
    })();
    await Promise.all([writing, managing]);
    await settled();
    truth = new Map([
      [syncer!.userId, await everything(syncer!, start.syncer)],
      [watcher!.userId, await everything(watcher!, start.watcher)],
    ]);
    isDone = true;
    await Promise.all([syncing, watching]);

    // What the log answers in the end, for each reader, from where each started.
    for (const [who, got] of [
      [syncer!, bySync],
      [watcher!, bySocket],
    ] as const) {
      const want = truth.get(who.userId)!;
      const seqs = got.map((e) => e.seq);
      expect(seqs.length, 'no event twice').to.equal(new Set(seqs).size);
      expect([...seqs].sort((a, b) => a - b)).to.deep.equal(want.map((e) => e.seq));
      const bySeq = new Map(want.map((e) => [e.seq, unplaced(e)]));
      for (const e of got) expect(unplaced(e)).to.deep.equal(bySeq.get(e.seq));
      // Inside each chat, in seq order: commit order, the order changes were made in.
      const perChat = new Map<number, number[]>();
      for (const e of got) {
        const chat = e.chat_id ?? e.message.chat_id;
        perChat.set(chat, [...(perChat.get(chat) ?? []), e.seq]);
      }
      for (const [chat, list] of perChat) {
        expect(list, `chat ${chat}`).to.deep.equal([...list].sort((a, b) => a - b));
      }
      expect(want.length).to.be.above(100);
    }
  });

  /** Resolves once the published mark covers every event there is (no write is in flight). */
  async function settled(): Promise<void> {
    const db = new pg.Client({ connectionString: c.databaseUrl });
    await db.connect();
    try {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const { rows } = await db.query(
          `SELECT (SELECT up_to FROM stream_marks) >= (SELECT coalesce(max(id), 0) FROM events) AS ok`,
        );
        if (rows[0].ok) return;
        if (Date.now() > deadline) throw new Error('the marks never covered the log');
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await db.end();
    }
  }

  async function everything(who: Session, from: string): Promise<any[]> {
    const events: any[] = [];
    let position = from;
    for (;;) {
      const res = await c.api.get(`/sync?position=${position}&limit=1000`, who.token);
      events.push(...res.body.events);
      position = res.body.position;
      if (res.body.events.length < 1000) return events.sort((a, b) => a.seq - b.seq);
    }
  }
});
