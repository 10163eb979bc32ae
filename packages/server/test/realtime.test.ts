/**
 * WebSockets across instances: delivery, exclusions, receipts, typing, resume, listener loss,
 * refusals and limits. Real sockets, several instances on one database.
 */
import { expect } from 'chai';
import WebSocket from 'ws';
import { severBus } from './support/engines.js';
import { startCluster, type Api, type Cluster } from './support/harness.js';
import { openSocket, type TestSocket, unplaced } from './support/sockets.js';

const isMessage = (f: any) => f.type === 'Message';

describe('realtime delivery across instances', () => {
  let c: Cluster;
  let a: Api, b: Api, third: Api;
  before(async () => {
    c = await startCluster({ instances: 3 });
    [a, b, third] = c.apis as [Api, Api, Api];
  });
  after(() => c.close());

  it('when a message is written through A then sockets on B and C get it, but not the sending device', async () => {
    const alice = await a.newUser('alice');
    const aliceOtherDevice = await a.login(alice.email, 'password123', 'tablet');
    const bob = await a.newUser('bob');
    const first = await a.send({ user: bob.userId }, 'first', 1, alice.token);
    const chatId = first.body.chat_id;
    const bobSocket = await openSocket(b.baseUrl, `/ws/${chatId}`, bob.token);
    const aliceTablet = await openSocket(third.baseUrl, `/ws/${chatId}`, aliceOtherDevice.token);
    const aliceSameDevice = await openSocket(b.baseUrl, `/ws/${chatId}`, alice.token);
    try {
      const sent = await a.send({ user: bob.userId }, 'over the bus', 2, alice.token);
      // (`first` may arrive too: its notification can still be queued when the socket opens.)
      const isSent = (f: any) => isMessage(f) && f.message.id === sent.body.id;
      const got = await bobSocket.next(isSent);
      expect(got.message).to.deep.equal(sent.body);
      await aliceTablet.next(isSent);
      // Ping is answered after any Message already queued: the same device got nothing.
      aliceSameDevice.send({ type: 'Ping' });
      await aliceSameDevice.next((f) => f.type === 'Pong');
      expect(aliceSameDevice.frames.filter(isMessage)).to.deep.equal([]);
    } finally {
      await Promise.all([bobSocket.close(), aliceTablet.close(), aliceSameDevice.close()]);
    }
  });

  it('when /ws is open then messages of a chat created afterwards arrive', async () => {
    const alice = await a.newUser('alice');
    const bob = await a.newUser('bob');
    const carol = await a.newUser('carol');
    const bobAll = await openSocket(c.apis[1]!.baseUrl, '/ws', bob.token);
    try {
      const direct = await a.send({ user: bob.userId }, 'new direct chat', 1, alice.token);
      expect((await bobAll.next((f) => f.message?.id === direct.body.id)).message.text).to.equal(
        'new direct chat',
      );
      const group = (
        await a.post('/group', { name: 'later', participant_user_ids: [bob.userId] }, carol.token)
      ).body;
      const inGroup = await a.send({ group: group.group_id }, 'group hello', 1, carol.token);
      expect(
        (await bobAll.next((f) => f.message?.id === inGroup.body.id)).message.chat_id,
      ).to.equal(group.chat_id);
    } finally {
      await bobAll.close();
    }
  });

  it('when the last reader reads then only the sender gets Read, with the reader', async () => {
    const alice = await a.newUser('alice');
    const bob = await a.newUser('bob');
    const m = await a.send({ user: bob.userId }, 'read me', 1, alice.token);
    const aliceSocket = await openSocket(b.baseUrl, '/ws', alice.token);
    const bobSocket = await openSocket(third.baseUrl, '/ws', bob.token);
    try {
      await third.post(`/messages/read/${m.body.id}`, undefined, bob.token);
      const read = await aliceSocket.next((f) => f.type === 'Read');
      expect(unplaced(read)).to.deep.equal({
        type: 'Read',
        chat_id: m.body.chat_id,
        message_id: m.body.id,
        reader_ids: [bob.userId],
      });
      bobSocket.send({ type: 'Ping' });
      await bobSocket.next((f) => f.type === 'Pong');
      expect(bobSocket.frames.filter((f) => f.type === 'Read')).to.deep.equal([]);
    } finally {
      await Promise.all([aliceSocket.close(), bobSocket.close()]);
    }
  });

  it('when readers on two instances race then the sender gets exactly one Read per message (20 rounds)', async () => {
    const sender = await a.newUser('sender');
    const r1 = await a.newUser('r1');
    const r2 = await a.newUser('r2');
    const group = (
      await a.post(
        '/group',
        { name: 'race', participant_user_ids: [r1.userId, r2.userId] },
        sender.token,
      )
    ).body;
    const senderSocket = await openSocket(third.baseUrl, `/ws/${group.chat_id}`, sender.token);
    try {
      const ids: number[] = [];
      for (let round = 0; round < 20; round++) {
        const m = await a.send({ group: group.group_id }, `m${round}`, round, sender.token);
        ids.push(m.body.id);
        await Promise.all([
          a.post(`/messages/read/${m.body.id}`, undefined, r1.token),
          b.post(`/messages/read/${m.body.id}`, undefined, r2.token),
        ]);
      }
      const reads = await senderSocket.collect((f) => f.type === 'Read', ids.length);
      // One more round trip: any duplicate Read would have arrived before this Pong.
      senderSocket.send({ type: 'Ping' });
      await senderSocket.next((f) => f.type === 'Pong');
      const all = senderSocket.frames.filter((f) => f.type === 'Read').map((f) => f.message_id);
      expect(all).to.deep.equal(ids);
      expect(reads).to.have.length(20);
    } finally {
      await senderSocket.close();
    }
  });

  it('when a member types then the other members see Typing, and a non-member gets an Error', async () => {
    const alice = await a.newUser('alice');
    const bob = await a.newUser('bob');
    const eve = await a.newUser('eve');
    const m = await a.send({ user: bob.userId }, 'hi', 1, alice.token);
    const aliceSocket = await openSocket(a.baseUrl, `/ws/${m.body.chat_id}`, alice.token);
    const bobSocket = await openSocket(b.baseUrl, '/ws', bob.token);
    const eveSocket = await openSocket(third.baseUrl, '/ws', eve.token);
    try {
      // Typing is never replayed: bob's socket must be registered (Subscribed) before it is sent
      // (on an engine bus it arrives within a millisecond, with no database round trip).
      await bobSocket.next((f) => f.type === 'Subscribed');
      aliceSocket.send({ type: 'Typing' });
      expect(await bobSocket.next((f) => f.type === 'Typing')).to.deep.equal({
        type: 'Typing',
        chat_id: m.body.chat_id,
        user_id: alice.userId,
      });
      eveSocket.send({ type: 'Typing', chat_id: m.body.chat_id });
      expect((await eveSocket.next((f) => f.type === 'Error')).code).to.equal('chat_forbidden');
      aliceSocket.send({ type: 'Ping' });
      await aliceSocket.next((f) => f.type === 'Pong');
      expect(aliceSocket.frames.filter((f) => f.type === 'Typing')).to.deep.equal([]);
    } finally {
      await Promise.all([aliceSocket.close(), bobSocket.close(), eveSocket.close()]);
    }
  });
});

describe('resume', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ instances: 2 });
  });
  after(() => c.close());

  it('when a client was away then ?after= replays what it missed in order, then goes live, each once', async () => {
    const [a, b] = c.apis as [Api, Api];
    const alice = await a.newUser('alice');
    const bob = await a.newUser('bob');
    const first = await a.send({ user: bob.userId }, 'm0', 0, alice.token);
    const chatId = first.body.chat_id;
    const missed: number[] = [];
    for (let i = 1; i <= 30; i++)
      missed.push((await a.send({ user: bob.userId }, `m${i}`, i, alice.token)).body.id);
    // Writes keep flowing while the client resumes: none may fall in the seam.
    const writer = (async () => {
      const ids: number[] = [];
      for (let i = 31; i <= 60; i++)
        ids.push((await a.send({ user: bob.userId }, `m${i}`, i, alice.token)).body.id);
      return ids;
    })();
    const socket = await openSocket(b.baseUrl, `/ws/${chatId}?after=${first.body.id}`, bob.token);
    try {
      const live = await writer;
      const got = await socket.collect(isMessage, 60);
      const ids = got.map((f) => f.message.id);
      expect(ids).to.deep.equal([...missed, ...live]);
    } finally {
      await socket.close();
    }
  });

  it('when the listener connection is killed while messages flow then every client still ends with every message once', async function () {
    this.timeout(30_000);
    const [a, b] = c.apis as [Api, Api];
    const alice = await a.newUser('alice');
    const bob = await a.newUser('bob');
    const chatId = (await a.send({ user: bob.userId }, 'start', 0, alice.token)).body.chat_id;
    const received: number[] = [];
    let lastId = 0;
    let socket: TestSocket | undefined;
    let resyncs = 0;
    // A minimal client: on Resync it reconnects with ?after= the last id it has.
    const connect = (): Promise<TestSocket> => {
      let isCurrent = true;
      return openSocket(b.baseUrl, `/ws/${chatId}?after=${lastId}`, bob.token, {
        onFrame: (f, s) => {
          // After Resync this socket is done: what it still brings may sit past a gap.
          if (!isCurrent) return;
          if (f.type === 'Message') {
            received.push(f.message.id);
            lastId = Math.max(lastId, f.message.id);
          } else if (f.type === 'Resync') {
            resyncs++;
            isCurrent = false;
            s.ws.close();
            void connect().then((next) => (socket = next));
          }
        },
      });
    };
    socket = await connect();
    const sent: number[] = [];
    try {
      for (let i = 1; i <= 40; i++) {
        sent.push((await a.send({ user: bob.userId }, `m${i}`, i, alice.token)).body.id);
        // PostgreSQL: the LISTEN connections; MSGR_TEST_BUS: the engine, killed and restarted.
        if (i === 15 || i === 30) {
          await severBus(c.databaseUrl);
          // Two losses, two Resyncs: the second only once the bus is back from the first.
          const round = i / 15;
          const until = Date.now() + 10_000;
          while (resyncs < round && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
        }
      }
      const deadline = Date.now() + 15_000;
      while (new Set(received).size < sent.length + 1 || resyncs < 2) {
        if (Date.now() > deadline) {
          throw new Error(`got ${received.length} of ${sent.length + 1}, ${resyncs} resyncs`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      const unique = [...new Set(received)];
      expect(received.length, 'no duplicates').to.equal(unique.length);
      expect(unique).to.include.members(sent);
      expect((await b.get('/readyz')).status).to.equal(200);
    } finally {
      await socket?.close();
    }
  });
});

describe('refusals and limits', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ wsMaxSocketsPerUser: 2 });
  });
  after(() => c.close());

  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => {
        throw new Error('the upgrade was accepted');
      },
      (err: { status?: number }) => err.status,
    );

  it('when the token is missing, garbage or the chat foreign then the upgrade is refused with no event', async () => {
    const alice = await c.api.newUser('alice');
    const bob = await c.api.newUser('bob');
    const eve = await c.api.newUser('eve');
    const chatId = (await c.api.send({ user: bob.userId }, 'x', 1, alice.token)).body.chat_id;
    expect(await refusal(openSocket(c.api.baseUrl, '/ws', undefined))).to.equal(401);
    expect(await refusal(openSocket(c.api.baseUrl, '/ws', 'garbage'))).to.equal(401);
    expect(await refusal(openSocket(c.api.baseUrl, `/ws/${chatId}`, eve.token))).to.equal(403);
    expect(await refusal(openSocket(c.api.baseUrl, '/ws/999999', alice.token))).to.equal(404);
    expect(await refusal(openSocket(c.api.baseUrl, '/ws?after=-1', alice.token))).to.equal(422);
    expect((await c.api.get('/healthz')).status).to.equal(200);
  });

  it('when a client sends a frame in the same tick as open, during a replay, then it is answered', async () => {
    const alice = await c.api.newUser('alice');
    const bob = await c.api.newUser('bob');
    for (let i = 0; i < 20; i++) await c.api.send({ user: bob.userId }, `m${i}`, i, alice.token);
    const url = `${c.api.baseUrl.replace(/^http/, 'ws')}/ws?after=0`;
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${bob.token}` } });
    const frames: any[] = [];
    ws.on('open', () => ws.send(JSON.stringify({ type: 'Ping' })));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no Pong: ${JSON.stringify(frames)}`)), 5000);
      ws.on('message', (data) => {
        frames.push(JSON.parse((data as Buffer).toString()));
        if (frames.some((f) => f.type === 'Pong') && frames.filter(isMessage).length === 20) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    ws.close();
  });

  it('when a browser authenticates with the bearer subprotocol then the server selects it', async () => {
    const alice = await c.api.newUser('alice');
    const s = await openSocket(c.api.baseUrl, '/ws/', alice.token, { viaSubprotocol: true });
    expect(s.ws.protocol).to.equal('bearer');
    await s.close();
  });

  it('when frames are garbage then Error frames, and over 64 KiB the socket closes with 1009', async () => {
    const alice = await c.api.newUser('alice');
    const s = await openSocket(c.api.baseUrl, '/ws', alice.token);
    s.send('not json');
    expect((await s.next((f) => f.type === 'Error')).code).to.equal('malformed_frame');
    s.send({ type: 'Launch' });
    expect(await s.collect((f) => f.type === 'Error', 2)).to.have.length(2);
    s.ws.send(Buffer.from([1, 2, 3]));
    await s.collect((f) => f.type === 'Error', 3);
    s.send('x'.repeat(64 * 1024 + 1));
    expect((await s.closed).code).to.equal(1009);
    const again = await openSocket(c.api.baseUrl, '/ws', alice.token);
    again.send({ type: 'Ping' });
    expect(await again.next((f) => f.type === 'Pong')).to.deep.equal({ type: 'Pong' });
    await again.close();
  });

  it('when a user opens more sockets than the cap then the extra one closes with 4429', async () => {
    const alice = await c.api.newUser('alice');
    const s1 = await openSocket(c.api.baseUrl, '/ws', alice.token);
    const s2 = await openSocket(c.api.baseUrl, '/ws', alice.token);
    const s3 = await openSocket(c.api.baseUrl, '/ws', alice.token);
    expect((await s3.closed).code).to.equal(4429);
    await Promise.all([s1.close(), s2.close()]);
  });

  it('when the server shuts down then sockets close with 1001', async () => {
    const own = await startCluster();
    const alice = await own.api.newUser('alice');
    const s = await openSocket(own.api.baseUrl, '/ws', alice.token);
    await own.close();
    expect((await s.closed).code).to.equal(1001);
  });

  it('when the access token expires then the socket closes with 4401', async () => {
    const own = await startCluster({ accessTokenTtlSeconds: 10 });
    try {
      const alice = await own.api.newUser('alice');
      const s = await openSocket(own.api.baseUrl, '/ws', alice.token);
      const { code } = await Promise.race([
        s.closed,
        new Promise<{ code: number }>((_, reject) =>
          setTimeout(() => reject(new Error('no close')), 15_000),
        ),
      ]);
      expect(code).to.equal(4401);
    } finally {
      await own.close();
    }
  }).timeout(20_000);

  it('when a client stops answering pings then the server drops it', async () => {
    const own = await startCluster({ wsHeartbeatMs: 200 });
    try {
      const alice = await own.api.newUser('alice');
      const s = await openSocket(own.api.baseUrl, '/ws', alice.token);
      // Stop the client's automatic pong replies by pausing its socket's reads.
      (s.ws as any)._socket.pause();
      const deadline = Date.now() + 5000;
      while (own.servers[0]!.hub.socketCount > 0) {
        if (Date.now() > deadline) throw new Error('the silent socket was never dropped');
        await new Promise((r) => setTimeout(r, 50));
      }
      s.ws.terminate();
    } finally {
      await own.close();
    }
  });
});
