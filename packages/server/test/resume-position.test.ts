/**
 * Exact resume across chats (contract: "Limits, abuse and exact resume"). Ids of different
 * chats do not commit in id order, so `/ws` resumes from a position — the highest stream
 * `mark` received plus the ids above it received — instead of "the highest id I saw".
 */
import { expect } from 'chai';
import pg from 'pg';
import { startCluster, type Cluster, type Session } from './support/harness.js';
import { rawRequest, upgradeHead } from './support/raw-http.js';
import { positionOf } from './support/positions.js';
import { openSocket, type TestSocket } from './support/sockets.js';

const HOLD_LOCK = 424_242;

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

describe('resume from a position on /ws', function () {
  this.timeout(30_000);
  let c: Cluster;
  let db: pg.Client;
  before(async () => {
    c = await startCluster({ instances: 3 });
    db = await connect(c.databaseUrl);
    // Test only: a message whose text is HOLD waits, after taking its id, for HOLD_LOCK.
    await db.query(`
      CREATE FUNCTION test_hold() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.text = 'HOLD' THEN PERFORM pg_advisory_xact_lock_shared(${HOLD_LOCK}); END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER test_hold AFTER INSERT ON messages FOR EACH ROW EXECUTE FUNCTION test_hold();
    `);
  });
  after(async () => {
    await db.end();
    await c.close();
  });

  /** A fresh /ws socket whose start mark covers every message sent so far. */
  async function settledSocket(url: string, token: string): Promise<TestSocket> {
    const { rows } = await db.query('SELECT coalesce(max(id), 0)::int AS last FROM messages');
    const deadline = Date.now() + 10_000;
    for (;;) {
      const s = await openSocket(url, '/ws', token);
      const subscribed = await s.next((f) => f.type === 'Subscribed');
      if (subscribed.mark >= rows[0].last) return s;
      await s.close();
      if (Date.now() > deadline) throw new Error('marks do not advance');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async function twoChats(): Promise<{ alice: Session; bob: Session; carol: Session }> {
    const [alice, bob, carol] = await Promise.all([
      c.api.newUser('alice'),
      c.api.newUser('bob'),
      c.api.newUser('carol'),
    ]);
    // Two direct chats of bob's: with alice and with carol.
    expect((await c.api.send({ user: bob.userId }, 'hi', 1, alice.token)).status).to.equal(201);
    expect((await c.api.send({ user: bob.userId }, 'hi', 1, carol.token)).status).to.equal(201);
    return { alice, bob, carol };
  }

  /** Sends HOLD from alice to bob, and resolves once it has its id and waits for the lock. */
  async function holdASend(alice: Session, bob: Session) {
    await db.query('SELECT pg_advisory_lock($1)', [HOLD_LOCK]);
    const held = c.apis[0]!.send({ user: bob.userId }, 'HOLD', 99, alice.token);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { rows } = await db.query(
        `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND NOT granted`,
        [HOLD_LOCK],
      );
      if (rows.length > 0) break;
      if (Date.now() > deadline) throw new Error('the held send never reached its lock');
      await new Promise((r) => setTimeout(r, 10));
    }
    return {
      held,
      release: () => db.query('SELECT pg_advisory_unlock($1)', [HOLD_LOCK]),
    };
  }

  it('when a send holds a lower id while a later message of another chat is delivered, the cut, then the commit: the resumed socket gets the held message once', async () => {
    const { alice, bob, carol } = await twoChats();
    const first = await settledSocket(c.servers[1]!.url, bob.token);
    const { held, release } = await holdASend(alice, bob);
    const later = await c.apis[2]!.send({ user: bob.userId }, 'later', 2, carol.token);
    expect(later.status).to.equal(201);
    await first.next((f) => f.type === 'Message' && f.message.id === later.body.id);
    const position = positionOf(first.frames);
    // The held message has the lower id, and the mark cannot pass it while it is in flight.
    expect(position.mark).to.be.below(later.body.id);
    expect(position.seen.has(later.body.id)).to.be.true;
    await first.close();
    await release();
    const heldMessage = (await held).body;
    expect(heldMessage.id).to.be.below(later.body.id);

    const resumed = await openSocket(c.servers[2]!.url, `/ws?position=${position.text}`, bob.token);
    await resumed.next((f) => f.type === 'Message' && f.message.id === heldMessage.id);
    await resumed.next((f) => f.type === 'Subscribed');
    const ids = resumed.frames.filter((f) => f.type === 'Message').map((f) => f.message.id);
    expect(ids).to.deep.equal([heldMessage.id]);
    await resumed.close();
  });

  it('when resuming from "the highest id I saw" instead (after=) then that held message is skipped: why a position is needed', async () => {
    const { alice, bob, carol } = await twoChats();
    const { held, release } = await holdASend(alice, bob);
    const later = await c.apis[2]!.send({ user: bob.userId }, 'later', 3, carol.token);
    // Another of bob's sockets on the same instance: once it has the held message live, that
    // instance is past it (an engine bus relays a few milliseconds after the commit).
    const watcher = await openSocket(c.servers[0]!.url, '/ws', bob.token);
    await release();
    const heldMessage = (await held).body;
    await watcher.next((f) => f.type === 'Message' && f.message.id === heldMessage.id);
    await watcher.close();
    const resumed = await openSocket(c.servers[0]!.url, `/ws?after=${later.body.id}`, bob.token);
    resumed.send({ type: 'Ping' });
    await resumed.next((f) => f.type === 'Pong');
    expect(resumed.frames.some((f) => f.message?.id === heldMessage.id)).to.be.false;
    await resumed.close();
  });

  it('when messages flow then marks follow them: a Message frame soon carries a mark at or past its id', async () => {
    const { alice, bob } = await twoChats();
    const s = await settledSocket(c.servers[0]!.url, bob.token);
    let last = 0;
    for (let i = 0; i < 20; i++) {
      last = (await c.apis[i % 3]!.send({ user: bob.userId }, `m${i}`, 10 + i, alice.token)).body
        .id;
    }
    // Marks trail by a tick: one more message carries a mark covering the earlier ones.
    await new Promise((r) => setTimeout(r, 200));
    const one = (await c.api.send({ user: bob.userId }, 'one more', 40, alice.token)).body.id;
    const frame = await s.next((f) => f.type === 'Message' && f.message.id === one);
    expect(frame.mark).to.be.at.least(last);
    await s.close();
  });

  it('when the position is malformed, too long, from the future, or both after and position are given then the upgrade is refused with 422', async () => {
    const { bob } = await twoChats();
    const [chat] = (await c.api.get('/chats', bob.token)).body;
    for (const path of [
      '/ws?position=abc',
      '/ws?position=1..2',
      '/ws?position=-1',
      `/ws?position=${Array.from({ length: 600 }, (_, i) => i + 1).join('.')}`,
      '/ws?position=1&after=1',
      `/ws/${chat.chat_id}?position=1.x`,
      // Never handed out: a mark past the last one published, a seq never drawn.
      '/ws?position=900000000000',
      `/ws/${chat.chat_id}?position=0.900000000000`,
    ]) {
      const refused = await openSocket(c.api.baseUrl, path, bob.token).then(
        () => 0,
        (err: { status: number }) => err.status,
      );
      expect(refused, path).to.be.oneOf([414, 422, 431]);
    }
    const refusal = await rawRequest(
      c.api.baseUrl,
      upgradeHead('/ws?position=abc', [`Authorization: Bearer ${bob.token}`]),
    );
    expect(refusal.status).to.equal(422);
    expect(refusal.headers['content-type']).to.match(/^application\/problem\+json/);
    expect(JSON.parse(refusal.body).code).to.equal('position_invalid');
  });

  it('with 16 writers in 8 chats over two instances and a subscriber cut 15 times, every message arrives exactly once', async () => {
    const reader = await c.api.newUser('reader');
    const writers = await Promise.all(Array.from({ length: 16 }, (_, i) => c.api.newUser(`w${i}`)));
    const group = async (k: number) =>
      (
        await c.api.post(
          '/group',
          {
            name: `g${k}`,
            participant_user_ids: [
              reader.userId,
              ...writers.filter((_, i) => i % 4 === k % 4).map((w) => w.userId),
            ],
          },
          writers[k % 4]!.token,
        )
      ).body;
    const groups = await Promise.all(Array.from({ length: 4 }, (_, k) => group(k)));
    const received = new Map<number, number>();
    const sent = new Set<number>();
    let position: ReturnType<typeof positionOf> | undefined;
    let socket: TestSocket | undefined;
    let isDone = false;
    let subscribed!: () => void;
    const isSubscribed = new Promise<void>((r) => (subscribed = r));
    // Cut and resume until the writers are done; it ends with a socket open (resumed from the
    // last position), never right after a cut: that one would miss what the cut was behind on.
    const cuts = (async () => {
      for (let cut = 0; ; cut++) {
        const path = position ? `/ws?position=${position.text}` : '/ws';
        const s = await openSocket(c.servers[cut % 2]!.url, path, reader.token, {
          onFrame: (f) => {
            if (f.type === 'Message')
              received.set(f.message.id, (received.get(f.message.id) ?? 0) + 1);
          },
        });
        socket = s;
        if (cut === 0) {
          await s.next((f) => f.type === 'Subscribed');
          subscribed();
        }
        await new Promise((r) => setTimeout(r, 30 + Math.random() * 60));
        if (isDone) return;
        s.ws.terminate();
        await s.closed;
        position = positionOf(s.frames, position);
        if (cut > 15) await new Promise((r) => setTimeout(r, 50));
      }
    })();
    // A subscription promises what commits after it starts.
    await isSubscribed;
    await Promise.all(
      writers.map(async (w, i) => {
        for (let n = 0; n < 20; n++) {
          // Half into direct chats with the reader, half into the writer's group.
          const target = n % 2 === 0 ? { user: reader.userId } : { group: groups[i % 4].group_id };
          const res = await c.apis[(i + n) % 2]!.send(target, `${i}:${n}`, n, w.token);
          expect(res.status).to.equal(201);
          sent.add(res.body.id);
        }
      }),
    );
    isDone = true;
    await cuts;
    // Drain: the last socket, resumed after the last cut, gets whatever is left.
    const deadline = Date.now() + 10_000;
    while ([...sent].some((id) => !received.has(id))) {
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await socket?.close();
    const missing = [...sent].filter((id) => !received.has(id));
    const doubled = [...received].filter(([, n]) => n > 1).map(([id]) => id);
    expect({ missing, doubled }).to.deep.equal({ missing: [], doubled: [] });
  });
});
