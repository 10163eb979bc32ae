/**
 * v1.2 — one log of every change: every kind is logged, replayed on resume and answered by
 * /sync exactly once and in order, to whom the rule of live delivery says; /sync long-polls;
 * a deletion redacts; who read a message.
 */
import { expect } from 'chai';
import pg from 'pg';
import { startCluster, type Cluster, type Session } from './support/harness.js';
import { parsedPosition } from './support/positions.js';
import { openSocket, unplaced, type TestSocket } from './support/sockets.js';

const sync = async (c: Cluster, token: string, query: string, api = c.api) => {
  const res = await api.get(`/sync${query}`, token);
  if (res.status !== 200)
    throw new Error(`/sync${query}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { events: any[]; position: string };
};

/** Every event after `position`, page by page (`limit` a page), and the position after them. */
async function syncAll(c: Cluster, token: string, position: string, limit = 1000) {
  const events: any[] = [];
  for (;;) {
    const page = await sync(c, token, `?position=${position}&limit=${limit}`);
    events.push(...page.events);
    position = page.position;
    if (page.events.length < limit) return { events, position };
  }
}

/** Frames of a socket resumed from `position` until its Subscribed (the replay's end). */
async function replayed(c: Cluster, token: string, path: string, position: string) {
  const s = await openSocket(c.api.baseUrl, `${path}?position=${position}`, token);
  await s.next((f) => f.type === 'Subscribed');
  const frames = s.frames.slice(
    0,
    s.frames.findIndex((f) => f.type === 'Subscribed'),
  );
  return { socket: s, frames };
}

const kinds = (events: any[]) => events.map((e) => e.type);

describe('v1.2: one log of every change', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ instances: 2 });
  });
  after(() => c.close());

  async function groupOf(owner: Session, members: Session[], name = 'team') {
    const res = await c.api.post(
      '/group',
      { name, participant_user_ids: members.map((m) => m.userId) },
      owner.token,
    );
    expect(res.status).to.equal(201);
    return res.body as { group_id: number; chat_id: number };
  }

  it('when every kind of change happens while a client is away then /sync and a resumed socket give each once, in log order, as it was sent live', async () => {
    const alice = await c.api.newUser('alice');
    const bob = await c.api.newUser('bob');
    const carol = await c.api.newUser('carol');
    const g = await groupOf(alice, [bob]);
    // Bob's second device, and where Bob's phone is before he goes away.
    const bobLaptop = await c.api.login(bob.email, 'password123', 'laptop');
    const { position: from } = await sync(c, bob.token, '');
    const live = await openSocket(c.api.baseUrl, '/ws', bob.token);
    await live.next((f) => f.type === 'Subscribed');

    const m1 = (await c.api.send({ group: g.group_id }, 'first', 1, alice.token)).body;
    for (const text of ['first, edited', 'first, edited again']) {
      const edit = await c.api.request('PATCH', `/messages/${m1.id}`, {
        body: { text },
        token: alice.token,
      });
      expect(edit.status).to.equal(200);
    }
    const emoji = encodeURIComponent('👍');
    await c.api.request('PUT', `/messages/${m1.id}/reactions/${emoji}`, { token: alice.token });
    await c.api.request('DELETE', `/messages/${m1.id}/reactions/${emoji}`, { token: alice.token });
    await c.api.request('PATCH', `/groups/${g.group_id}`, {
      body: { name: 'renamed' },
      token: alice.token,
    });
    await c.api.post(`/groups/${g.group_id}/members`, { user_ids: [carol.userId] }, alice.token);
    const m2 = (await c.api.send({ group: g.group_id }, 'second', 2, alice.token)).body;
    const mine = (await c.api.send({ group: g.group_id }, 'from bob', 3, bob.token)).body;
    // Bob reads on his laptop: his phone hears of it (ReadMarker); Carol's read completes
    // Bob's message: Bob hears Read.
    await c.apis[1]!.post(`/messages/read/${m2.id}`, undefined, bobLaptop.token);
    await c.apis[1]!.post(`/messages/read/${mine.id}`, undefined, carol.token);
    await c.apis[1]!.post(`/messages/read/${mine.id}`, undefined, alice.token);
    const gone = (await c.api.send({ group: g.group_id }, 'oops', 4, alice.token)).body;
    await c.api.request('DELETE', `/messages/${gone.id}`, { token: alice.token });

    const expected = [
      'Message',
      'MessageEdited',
      'MessageEdited',
      'Reaction',
      'Reaction',
      'ChatUpdated',
      'MembersChanged',
      'Message',
      'ReadMarker',
      'Read',
      'Message',
      'MessageDeleted',
    ];
    // Live, on the phone's socket (its own message is not sent back to it). What `from` covers
    // came before (the group's creation, which an engine bus may relay after the socket opened).
    const before = parsedPosition(from);
    const isAfter = (f: any) =>
      typeof f.seq === 'number' && f.seq > before.mark && !before.seen.has(f.seq);
    await live.collect(isAfter, expected.length);
    const liveFrames = live.frames.filter(isAfter);
    expect(kinds(liveFrames)).to.deep.equal(expected);
    await live.close();

    // /sync, on either instance, pages of 3: the same frames (the deleted text redacted).
    const all = await syncAll(c, bob.token, from, 3);
    expect(kinds(all.events)).to.deep.equal(expected);
    const seqs = all.events.map((e) => e.seq);
    expect(seqs).to.deep.equal([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).to.equal(seqs.length);
    expect(all.events.map(unplaced)).to.deep.equal(
      liveFrames.map((f) => {
        const frame = unplaced(f);
        // What was sent live before the deletion, the log keeps redacted.
        return frame.type === 'Message' && frame.message.id === gone.id
          ? { ...frame, message: { ...frame.message, text: '', deleted: true } }
          : frame;
      }),
    );
    // Two edits while away are two frames, each with the text of that edit.
    expect(
      all.events.filter((e) => e.type === 'MessageEdited').map((e) => e.message.text),
    ).to.deep.equal(['first, edited', 'first, edited again']);
    expect(all.events.find((e) => e.type === 'ReadMarker')).to.deep.include({
      chat_id: g.chat_id,
      message_id: m2.id,
    });
    expect(all.events.find((e) => e.type === 'Read')).to.deep.include({
      message_id: mine.id,
      reader_ids: [alice.userId],
    });
    // Nothing consumed: the same calls answer the same events (marks may have moved on).
    const again = await syncAll(c, bob.token, from, 3);
    expect(again.events.map((e) => [e.seq, unplaced(e)])).to.deep.equal(
      all.events.map((e) => [e.seq, unplaced(e)]),
    );

    // A socket resumed from the same position, on /ws and on /ws/{chat_id}.
    for (const path of ['/ws', `/ws/${g.chat_id}`]) {
      const { socket, frames } = await replayed(c, bob.token, path, from);
      expect(frames.map(unplaced), path).to.deep.equal(all.events.map(unplaced));
      await socket.close();
    }

    // Applying the events holds what history answers: the message's text and state.
    const history = (await c.api.get(`/history/${g.chat_id}`, bob.token)).body;
    const edited = all.events.filter((e) => e.type === 'MessageEdited').at(-1).message;
    expect(history.find((m: any) => m.id === m1.id)).to.deep.include({
      text: edited.text,
      edited_at: edited.edited_at,
    });
    expect(history.find((m: any) => m.id === gone.id)).to.deep.include({ text: '', deleted: true });
  });

  it('when a member is added later then the MembersChanged adding them is their first event of the chat; removed, the one removing them is their last', async () => {
    const alice = await c.api.newUser('alice');
    const bob = await c.api.newUser('bob');
    const dave = await c.api.newUser('dave');
    const g = await groupOf(alice, [bob]);
    const { position: from } = await sync(c, dave.token, '');
    await c.api.send({ group: g.group_id }, 'before dave', 1, alice.token);
    await c.api.post(`/groups/${g.group_id}/members`, { user_ids: [dave.userId] }, alice.token);
    await c.api.send({ group: g.group_id }, 'with dave', 2, alice.token);
    await c.api.request('DELETE', `/groups/${g.group_id}/members/${dave.userId}`, {
      token: alice.token,
    });
    await c.api.send({ group: g.group_id }, 'after dave', 3, alice.token);

    const { events } = await syncAll(c, dave.token, from);
    expect(events.map((e) => [e.type, e.message?.text ?? e.added ?? e.removed])).to.deep.equal([
      ['MembersChanged', [dave.userId]],
      ['Message', 'with dave'],
      ['MembersChanged', []],
    ]);
    expect(events[2].removed).to.deep.equal([dave.userId]);
    const { socket, frames } = await replayed(c, dave.token, '/ws', from);
    expect(frames.map(unplaced)).to.deep.equal(events.map(unplaced));
    await socket.close();
  });

  it('when a group is created then its members learn of it as a MembersChanged adding everyone', async () => {
    const alice = await c.api.newUser('alice');
    const bob = await c.api.newUser('bob');
    const { position } = await sync(c, bob.token, '');
    const g = await groupOf(alice, [bob], 'new');
    const { events } = await syncAll(c, bob.token, position);
    expect(events.map(unplaced)).to.deep.equal([
      {
        type: 'MembersChanged',
        chat_id: g.chat_id,
        group_id: g.group_id,
        added: [alice.userId, bob.userId].sort((a, b) => a - b),
        removed: [],
        owner_id: alice.userId,
      },
    ]);
  });

  it("when /sync is asked then the device rule uses the token's client_id, and others' events are never answered", async () => {
    const alice = await c.api.newUser('alice');
    const bob = await c.api.newUser('bob');
    const eve = await c.api.newUser('eve');
    const aliceTablet = await c.api.login(alice.email, 'password123', 'tablet');
    const before = {
      alice: (await sync(c, alice.token, '')).position,
      tablet: (await sync(c, aliceTablet.token, '')).position,
      eve: (await sync(c, eve.token, '')).position,
    };
    const m = (await c.api.send({ user: bob.userId }, 'hi bob', 1, alice.token)).body;
    expect((await syncAll(c, alice.token, before.alice)).events).to.deep.equal([]);
    const onTablet = (await syncAll(c, aliceTablet.token, before.tablet)).events;
    expect(onTablet.map((e) => e.message?.id)).to.deep.equal([m.id]);
    expect((await syncAll(c, eve.token, before.eve)).events).to.deep.equal([]);
  });

  it('when nothing happened then /sync waits up to timeout without a database connection, and answers as soon as an event arrives', async () => {
    const alice = await c.api.newUser('alice');
    const bob = await c.api.newUser('bob');
    const { position } = await sync(c, bob.token, '');
    // Nothing for bob: answered after the timeout, with no events.
    let t0 = Date.now();
    const empty = await sync(c, bob.token, `?position=${position}&timeout=1`);
    expect(empty.events).to.deep.equal([]);
    expect(Date.now() - t0).to.be.within(900, 5000);

    // Twenty waiting polls on instance 1 hold no connection of its pool.
    const waiting = Array.from({ length: 20 }, () =>
      sync(c, bob.token, `?position=${position}&timeout=30`, c.apis[1]),
    );
    const server = c.servers[1]!;
    const deadline = Date.now() + 5000;
    while (
      (await c.apis[1]!.get('/metrics')).body.match(/^msgr_sync_waiting (\d+)/m)?.[1] !== '20'
    ) {
      if (Date.now() > deadline) throw new Error('the polls never all waited');
      await new Promise((r) => setTimeout(r, 50));
    }
    // A poll holding a connection would show in every sample; the instance's own background
    // work (the marks, an engine's relay) borrows one now and then.
    const used: number[] = [];
    for (let i = 0; i < 10; i++) {
      used.push(server.services.db.poolState().used);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(Math.min(...used)).to.equal(0);

    // A message written through the other instance wakes them all at once.
    t0 = Date.now();
    const m = (await c.apis[0]!.send({ user: bob.userId }, 'wake up', 1, alice.token)).body;
    const answers = await Promise.all(waiting);
    expect(Date.now() - t0).to.be.below(5000);
    for (const a of answers) expect(a.events.map((e) => e.message.id)).to.deep.equal([m.id]);
  });

  it('when the position is not one, or from the future, then 422 position_invalid; without one, the position of now', async () => {
    const bob = await c.api.newUser('bob');
    for (const bad of ['abc', '1..2', '-1', '900000000000', '0.900000000000']) {
      const res = await c.api.get(`/sync?position=${bad}`, bob.token);
      expect(res.status, bad).to.equal(422);
      expect(res.body.code, bad).to.equal('position_invalid');
    }
    for (const bad of ['limit=0', 'limit=1001', 'timeout=61', 'timeout=-1']) {
      const res = await c.api.get(`/sync?position=0&${bad}`, bob.token);
      expect(res.status, bad).to.equal(422);
    }
    const now = await sync(c, bob.token, '');
    expect(now.events).to.deep.equal([]);
    expect(now.position).to.match(/^\d+(\.\d+)*$/);
    expect((await c.api.get('/sync')).status).to.equal(401);
  });

  it('when a message is read then /messages/{id}/readers names the members past it; others get 403, unknown ids 404', async () => {
    const alice = await c.api.newUser('alice');
    const bob = await c.api.newUser('bob');
    const carol = await c.api.newUser('carol');
    const eve = await c.api.newUser('eve');
    const g = await groupOf(alice, [bob, carol]);
    const m = (await c.api.send({ group: g.group_id }, 'read me', 1, alice.token)).body;
    expect((await c.api.get(`/messages/${m.id}/readers`, alice.token)).body).to.deep.equal({
      message_id: m.id,
      reader_ids: [],
    });
    await c.api.post(`/messages/read/${m.id}`, undefined, carol.token);
    expect((await c.api.get(`/messages/${m.id}/readers`, bob.token)).body.reader_ids).to.deep.equal(
      [carol.userId],
    );
    expect((await c.api.get(`/messages/${m.id}/readers`, eve.token)).status).to.equal(403);
    expect((await c.api.get(`/messages/999999999/readers`, eve.token)).status).to.equal(404);
  });

  it('when a message is deleted then the log keeps no trace of its text: its Message and edits are redacted', async () => {
    const alice = await c.api.newUser('alice');
    const bob = await c.api.newUser('bob');
    const { position } = await sync(c, bob.token, '');
    const m = (await c.api.send({ user: bob.userId }, 'secret one', 1, alice.token)).body;
    await c.api.request('PATCH', `/messages/${m.id}`, {
      body: { text: 'secret two' },
      token: alice.token,
    });
    await c.api.request('DELETE', `/messages/${m.id}`, { token: alice.token });
    const { events } = await syncAll(c, bob.token, position);
    expect(kinds(events)).to.deep.equal(['Message', 'MessageEdited', 'MessageDeleted']);
    expect(JSON.stringify(events)).to.not.include('secret');
    expect(events[0].message).to.include({ text: '', deleted: true });
    const db = new pg.Client({ connectionString: c.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query(
        `SELECT count(*)::int AS n FROM events WHERE frame LIKE '%secret%'`,
      );
      expect(rows[0].n).to.equal(0);
    } finally {
      await db.end();
    }
  });

  it('when texts are hostile or exotic then the Message frame the log built equals the message history answers', async () => {
    const alice = await c.api.newUser('alice');
    const bob = await c.api.newUser('bob');
    const { position } = await sync(c, bob.token, '');
    const texts = [
      'quote " backslash \\ slash / tab \t newline \n cr \r',
      'controls \u0001\u001f\u007f\u0085 bidi \u202e\u2066 seps \u2028\u2029',
      'emoji 👩‍👩‍👧 ❤️ 𝄞, Ελληνικά, العربية, 日本語',
      "</script><script>alert(1)</script> & < > '",
    ];
    for (const [i, text] of texts.entries()) {
      expect((await c.api.send({ user: bob.userId }, text, i, alice.token)).status).to.equal(201);
    }
    const { events } = await syncAll(c, bob.token, position);
    const history = (await c.api.get(`/history/${events[0].message.chat_id}`, bob.token)).body;
    expect(events.map((e) => e.message)).to.deep.equal(history);
  });
});

describe('v1.2: retention of the log', () => {
  let c: Cluster;
  let admin: pg.Client;
  before(async () => {
    c = await startCluster({ eventRetentionSeconds: 30 * 86_400, eventTrimIntervalMs: 100 });
    admin = new pg.Client({ connectionString: c.databaseUrl });
    await admin.connect();
  });
  after(async () => {
    await admin.end();
    await c.close();
  });

  async function trimmedTo(): Promise<number> {
    return Number((await admin.query('SELECT trimmed_to FROM stream_marks')).rows[0].trimmed_to);
  }

  it('when events are older than EVENT_RETENTION_DAYS then the leader trims them: an older position gets 410 position_expired on /sync and PositionExpired on /ws, a newer one resumes', async () => {
    const alice = await c.api.newUser('alice');
    const bob = await c.api.newUser('bob');
    const { position: old } = await sync(c, bob.token, '');
    const sent: number[] = [];
    for (let i = 0; i < 5; i++) {
      sent.push((await c.api.send({ user: bob.userId }, `m${i}`, i, alice.token)).body.id);
    }
    // The first three are 40 days old; the marks must pass them first (trimming stops there).
    await admin.query(`UPDATE events SET created_at = now() - interval '40 days' WHERE id <= $1`, [
      sent[2],
    ]);
    const deadline = Date.now() + 10_000;
    while ((await trimmedTo()) < sent[2]!) {
      if (Date.now() > deadline) throw new Error(`never trimmed: ${await trimmedTo()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await trimmedTo()).to.equal(sent[2]);
    const { rows } = await admin.query('SELECT id FROM events WHERE id = ANY($1) ORDER BY id', [
      sent,
    ]);
    expect(rows.map((r) => Number(r.id))).to.deep.equal(sent.slice(3));

    const expired = await c.api.get(`/sync?position=${old}`, bob.token);
    expect(expired.status).to.equal(410);
    expect(expired.body.code).to.equal('position_expired');

    const s: TestSocket = await openSocket(c.api.baseUrl, `/ws?position=${old}`, bob.token);
    const subscribed = await s.next((f) => f.type === 'Subscribed');
    expect(s.frames[0]).to.deep.equal({ type: 'PositionExpired' });
    expect(s.frames.filter((f) => f.type === 'Message')).to.deep.equal([]);
    // …and live from now.
    const later = (await c.api.send({ user: bob.userId }, 'later', 9, alice.token)).body;
    const frame = await s.next((f) => f.type === 'Message');
    expect(frame.message.id).to.equal(later.id);
    expect(subscribed.mark).to.be.at.least(sent[2]!);
    await s.close();

    // A position at the floor still resumes: the events above it are all there.
    const { events } = await syncAll(c, bob.token, String(sent[2]));
    expect(events.map((e) => e.message.id)).to.deep.equal([...sent.slice(3), later.id]);
  });
});
