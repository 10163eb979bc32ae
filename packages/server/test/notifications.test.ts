/**
 * v1.4 — notification levels: `PUT /chats/{chat_id}/notifications` and the `notifications` of
 * `GET /chats`; a level set `until` a time lapses by itself; the caller's other devices (and
 * only they) get `NotificationsChanged`, live and from /sync; devices racing on two instances
 * end up agreeing with what the server keeps.
 *
 * A device is never sent its own change, so after a race it must order its own answer against
 * the other device's event: by the log (the chat's seqs follow commit order). The race test
 * learns each change's seq from a third device's frames; the answer itself carries none.
 */
import { expect } from 'chai';
import { until } from './support/fault-cluster.js';
import { startCluster, type Api, type Cluster } from './support/harness.js';
import { expectProblem } from './support/problem.js';
import { openSocket, unplaced, type TestSocket } from './support/sockets.js';

type Level = 'all' | 'mentions' | 'none';

const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
const HOUR = 3_600_000;

const isChange = (f: any) => f.type === 'NotificationsChanged';

describe('v1.4: notification levels', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ instances: 2 });
  });
  after(() => c.close());

  const put = (chatId: number, body: unknown, token: string, api: Api = c.api) =>
    api.request('PUT', `/chats/${chatId}/notifications`, { body, token });

  async function notificationsIn(chatId: number, token: string, api: Api = c.api) {
    const res = await api.get('/chats', token);
    expect(res.status).to.equal(200);
    const chat = res.body.find((x: any) => x.chat_id === chatId);
    expect(chat, `chat ${chatId} in GET /chats`).to.not.equal(undefined);
    return chat.notifications as { level: Level; muted_until: string | null };
  }

  async function sync(token: string, position = '', api: Api = c.api) {
    const query = position === '' ? '' : `?position=${position}`;
    const res = await api.get(`/sync${query}`, token);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body as { events: any[]; position: string };
  }

  /** A socket on `/ws` that is live (its Subscribed came). */
  async function live(token: string, api: Api = c.api, path = '/ws'): Promise<TestSocket> {
    const s = await openSocket(api.baseUrl, path, token);
    await s.next((f) => f.type === 'Subscribed');
    return s;
  }

  it('when each level is set then it answers the level and GET /chats shows it, to the caller only', async () => {
    const alice = await c.api.newUser('alice');
    const bob = await c.api.newUser('bob');
    const group = await c.api.newGroup(alice, [bob]);
    const direct = (await c.api.send({ user: bob.userId }, 'hi', 1, alice.token)).body;
    for (const chatId of [group.chat_id, direct.chat_id]) {
      expect(await notificationsIn(chatId, alice.token)).to.deep.equal({
        level: 'all',
        muted_until: null,
      });
    }

    const later = inMs(HOUR);
    const cases: [body: object, level: Level, mutedUntil: string | null][] = [
      [{ level: 'mentions' }, 'mentions', null],
      [{ level: 'none' }, 'none', null],
      [{ level: 'none', until: later }, 'none', later],
      [{ level: 'mentions', until: later }, 'mentions', later],
      [{ level: 'all' }, 'all', null],
    ];
    for (const chatId of [group.chat_id, direct.chat_id]) {
      for (const [body, level, mutedUntil] of cases) {
        const res = await put(chatId, body, alice.token);
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expect(res.body).to.deep.equal({ chat_id: chatId, level, muted_until: mutedUntil });
        // Every instance reads the same.
        for (const api of c.apis) {
          expect(await notificationsIn(chatId, alice.token, api)).to.deep.equal({
            level,
            muted_until: mutedUntil,
          });
        }
      }
    }
    await put(group.chat_id, { level: 'none' }, alice.token);
    expect(await notificationsIn(group.chat_id, bob.token)).to.deep.equal({
      level: 'all',
      muted_until: null,
    });
    // The whole chat entry keeps its shape, with the new field.
    const [entry] = (await c.api.get('/chats', alice.token)).body;
    expect(entry).to.include.keys('chat_id', 'unread_count', 'notifications');
    expect(entry.notifications).to.have.all.keys('level', 'muted_until');
  });

  it('when until carries an offset or more than milliseconds then it is kept as the same instant, in UTC to the millisecond', async () => {
    const alice = await c.api.newUser('alice');
    const group = await c.api.newGroup(alice, []);
    const at = new Date(Math.floor(Date.now() / 1000) * 1000 + 2 * HOUR + 123);
    const shifted = new Date(at.getTime() + 2 * HOUR).toISOString();
    const until = shifted.replace(/\.(\d{3})Z$/, '.$1987+02:00');
    const res = await put(group.chat_id, { level: 'none', until }, alice.token);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.muted_until).to.equal(at.toISOString());
    expect((await notificationsIn(group.chat_id, alice.token)).muted_until).to.equal(
      at.toISOString(),
    );
  });

  it('when until passes then the level is all again by itself, with no event', async () => {
    const alice = await c.api.newUser('alice');
    const phone = await c.api.login(alice.email, 'password123', 'phone');
    const group = await c.api.newGroup(alice, []);
    const { position } = await sync(phone.token);
    const soon = inMs(1500);
    const res = await put(group.chat_id, { level: 'none', until: soon }, alice.token);
    expect(res.body).to.deep.equal({ chat_id: group.chat_id, level: 'none', muted_until: soon });
    expect(await notificationsIn(group.chat_id, alice.token)).to.deep.equal({
      level: 'none',
      muted_until: soon,
    });
    await until(
      'the mute to lapse',
      async () => (await notificationsIn(group.chat_id, alice.token)).level === 'all',
    );
    expect(Date.now()).to.be.at.least(Date.parse(soon));
    expect(await notificationsIn(group.chat_id, alice.token, c.apis[1])).to.deep.equal({
      level: 'all',
      muted_until: null,
    });
    // `all` now changes nothing: answered, not logged. The phone heard of the mute only.
    const again = await put(group.chat_id, { level: 'all' }, alice.token);
    expect(again.body).to.deep.equal({ chat_id: group.chat_id, level: 'all', muted_until: null });
    const { events } = await sync(phone.token, position);
    expect(events.map(unplaced)).to.deep.equal([
      { type: 'NotificationsChanged', chat_id: group.chat_id, level: 'none', muted_until: soon },
    ]);
  });

  it('when the input is not valid then 422 validation_failed, and nothing changes', async () => {
    const alice = await c.api.newUser('alice');
    const group = await c.api.newGroup(alice, []);
    await put(group.chat_id, { level: 'mentions' }, alice.token);
    const refused: [body: unknown, path: string][] = [
      [{ level: 'loud' }, 'body.level'],
      [{ level: 'ALL' }, 'body.level'],
      [{}, 'body.level'],
      [{ level: 1 }, 'body.level'],
      [{ level: null }, 'body.level'],
      [{ level: ['none'] }, 'body.level'],
      [{ level: 'none', until: inMs(-60_000) }, 'body.until'],
      [{ level: 'none', until: inMs(-1) }, 'body.until'],
      [{ level: 'none', until: inMs(367 * 24 * HOUR) }, 'body.until'],
      [{ level: 'all', until: inMs(HOUR) }, 'body.until'],
      [{ level: 'none', until: 1_900_000_000 }, 'body.until'],
      [{ level: 'none', until: 'tomorrow' }, 'body.until'],
      [{ level: 'none', until: '2099-01-01' }, 'body.until'],
      [{ level: 'none', until: '2099-02-30T10:00:00Z' }, 'body.until'],
      [{ level: 'none', until: null }, 'body.until'],
      [['none'], 'body'],
    ];
    for (const [body, path] of refused) {
      const res = await put(group.chat_id, body, alice.token);
      expectProblem(res, 422, 'validation_failed');
      expect(
        res.body.errors.map((e: any) => e.path),
        JSON.stringify(body),
      ).to.include(path);
    }
    const notJson = await c.api.request('PUT', `/chats/${group.chat_id}/notifications`, {
      raw: '{"level":',
      token: alice.token,
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(notJson, 400, 'malformed_json');
    expectProblem(await put(0, { level: 'none' }, alice.token), 422, 'validation_failed');
    expect(await notificationsIn(group.chat_id, alice.token)).to.deep.equal({
      level: 'mentions',
      muted_until: null,
    });
    // The edges that are allowed: a moment ahead, and just short of a year.
    for (const until of [inMs(5_000), inMs(366 * 24 * HOUR - 60_000)]) {
      const res = await put(group.chat_id, { level: 'none', until }, alice.token);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
    }
  });

  it('when the caller is not a member or the chat does not exist then as every per-chat route: 403 chat_forbidden, 404 chat_not_found', async () => {
    const alice = await c.api.newUser('alice');
    const bob = await c.api.newUser('bob');
    const carol = await c.api.newUser('carol');
    const group = await c.api.newGroup(alice, [bob]);
    expectProblem(await put(group.chat_id, { level: 'none' }, carol.token), 403, 'chat_forbidden');
    expectProblem(await c.api.get(`/history/${group.chat_id}`, carol.token), 403, 'chat_forbidden');
    // Removed from the group: no longer theirs to set.
    await put(group.chat_id, { level: 'none' }, bob.token);
    const removed = await c.api.request(
      'DELETE',
      `/groups/${group.group_id}/members/${bob.userId}`,
      { token: alice.token },
    );
    expect(removed.status).to.equal(204);
    expectProblem(await put(group.chat_id, { level: 'all' }, bob.token), 403, 'chat_forbidden');
    const unknown = 9_007_199_254_740_991;
    expectProblem(await put(unknown, { level: 'none' }, alice.token), 404, 'chat_not_found');
    expectProblem(await c.api.get(`/history/${unknown}`, alice.token), 404, 'chat_not_found');
    const anonymous = await c.api.request('PUT', `/chats/${group.chat_id}/notifications`, {
      body: { level: 'none' },
    });
    expectProblem(anonymous, 401, 'missing_token');
    // Added again, they start from `all`: leaving forgot the level.
    await c.api.post(`/groups/${group.group_id}/members`, { user_ids: [bob.userId] }, alice.token);
    expect(await notificationsIn(group.chat_id, bob.token)).to.deep.equal({
      level: 'all',
      muted_until: null,
    });
  });

  it("when a device changes the level then the user's other devices get NotificationsChanged live and from /sync; that device and the other members do not", async () => {
    const alice = await c.api.newUser('alice');
    const bob = await c.api.newUser('bob');
    const laptop = await c.api.login(bob.email, 'password123', 'laptop');
    const phone = await c.apis[1]!.login(bob.email, 'password123', 'phone');
    const group = await c.api.newGroup(alice, [bob]);
    const from = {
      phone: (await sync(phone.token)).position,
      laptop: (await sync(laptop.token)).position,
      alice: (await sync(alice.token)).position,
    };
    const sockets = {
      phoneAll: await live(phone.token, c.apis[1]),
      phoneChat: await openSocket(c.apis[1]!.baseUrl, `/ws/${group.chat_id}`, phone.token),
      laptop: await live(laptop.token),
      alice: await live(alice.token, c.apis[1]),
    };
    const until = inMs(8 * HOUR);
    const res = await put(group.chat_id, { level: 'mentions', until }, laptop.token);
    expect(res.status).to.equal(200);
    const expected = {
      type: 'NotificationsChanged',
      chat_id: group.chat_id,
      level: 'mentions',
      muted_until: until,
    };
    // A message after it: once it has arrived, so has anything logged before it.
    const marker = (await c.api.send({ group: group.group_id }, 'marker', 1, alice.token)).body;
    const isMarker = (f: any) => f.type === 'Message' && f.message.id === marker.id;
    for (const s of [sockets.phoneAll, sockets.phoneChat, sockets.laptop]) await s.next(isMarker);
    for (const s of [sockets.phoneAll, sockets.phoneChat]) {
      expect(s.frames.filter(isChange).map(unplaced)).to.deep.equal([expected]);
      // In log order: before the message that followed it.
      expect(s.frames.findIndex(isChange)).to.be.below(s.frames.findIndex(isMarker));
    }
    expect(sockets.laptop.frames.filter(isChange)).to.deep.equal([]);
    // Alice sent the marker (not echoed to her): her socket hears the next message instead.
    const after = (await c.api.send({ group: group.group_id }, 'after', 2, bob.token)).body;
    await sockets.alice.next((f) => f.type === 'Message' && f.message.id === after.id);
    expect(sockets.alice.frames.filter(isChange)).to.deep.equal([]);

    const phoneLog = await sync(phone.token, from.phone, c.apis[0]);
    expect(phoneLog.events.filter(isChange).map(unplaced)).to.deep.equal([expected]);
    expect((await sync(laptop.token, from.laptop)).events.filter(isChange)).to.deep.equal([]);
    expect((await sync(alice.token, from.alice)).events.filter(isChange)).to.deep.equal([]);
    // Resumed from before it, on the other instance: replayed once, as it was sent live.
    const resumed = await openSocket(c.api.baseUrl, `/ws?position=${from.phone}`, phone.token);
    await resumed.next((f) => f.type === 'Subscribed');
    expect(resumed.frames.filter(isChange).map(unplaced)).to.deep.equal([expected]);
    await resumed.close();
    for (const s of Object.values(sockets)) await s.close();
  });

  it('when the same level is set again then it answers 200 and logs nothing', async () => {
    const bob = await c.api.newUser('bob');
    const phone = await c.api.login(bob.email, 'password123', 'phone');
    const group = await c.api.newGroup(bob, []);
    const until = inMs(HOUR);
    const first = await put(group.chat_id, { level: 'none', until }, bob.token);
    const { position } = await sync(phone.token);
    for (const api of c.apis) {
      const again = await put(group.chat_id, { level: 'none', until }, bob.token, api);
      expect(again.status).to.equal(200);
      expect(again.body).to.deep.equal(first.body);
    }
    // Another until is a change; the same level without one is a change again.
    await put(group.chat_id, { level: 'none', until: inMs(2 * HOUR) }, bob.token);
    await put(group.chat_id, { level: 'none' }, bob.token);
    await put(group.chat_id, { level: 'none' }, bob.token);
    const { events } = await sync(phone.token, position);
    expect(events.map((e) => [e.type, e.level, e.muted_until === null])).to.deep.equal([
      ['NotificationsChanged', 'none', false],
      ['NotificationsChanged', 'none', true],
    ]);
  });

  it('when two devices set different levels at the same moment on two instances then GET /chats and what each device last knows agree', async () => {
    const bob = await c.api.newUser('bob');
    const group = await c.api.newGroup(bob, []);
    const devices = [
      await c.apis[0]!.login(bob.email, 'password123', 'a'),
      await c.apis[1]!.login(bob.email, 'password123', 'b'),
    ] as const;
    const observer = await c.api.login(bob.email, 'password123', 'watch');
    const watching = await live(observer.token, c.apis[1]);
    const later = inMs(HOUR);
    const wants: [object, object][] = [
      [{ level: 'none' }, { level: 'mentions' }],
      [
        { level: 'mentions', until: later },
        { level: 'none', until: later },
      ],
      [{ level: 'none', until: later }, { level: 'none' }],
    ];
    for (let round = 0; round < 9; round++) {
      const [wantA, wantB] = wants[round % wants.length]!;
      // From `all`, so both changes are changes whichever commits first.
      await put(group.chat_id, { level: 'all' }, observer.token);
      const seen = watching.frames.filter(isChange).length;
      const starts = await Promise.all(devices.map(async (d) => (await sync(d.token)).position));
      const answers = await Promise.all([
        put(group.chat_id, wantA, devices[0].token, c.apis[0]),
        put(group.chat_id, wantB, devices[1].token, c.apis[1]),
      ]);
      for (const a of answers) expect(a.status, JSON.stringify(a.body)).to.equal(200);
      // The observer (a third device) hears both, in log order.
      const both = (await watching.collect(isChange, seen + 2)).slice(seen);
      const [first, last] = both;
      const final = { level: last.level, muted_until: last.muted_until };
      for (const api of c.apis) {
        expect(
          await notificationsIn(group.chat_id, bob.token, api),
          `round ${round}`,
        ).to.deep.equal(final);
      }
      // Each device: its own answer is the frame logged for its change; it got the other's
      // change and not its own; the newer of the two (by seq) is what the server keeps.
      const mine = answers.map((a) =>
        both.find((f) => f.level === a.body.level && f.muted_until === a.body.muted_until),
      );
      expect(new Set(mine.map((f) => f.seq)).size, `round ${round}`).to.equal(2);
      for (const [i, d] of devices.entries()) {
        const { events } = await sync(d.token, starts[i], c.apis[i]);
        const heard = events.filter(isChange);
        const other = mine[1 - i]!;
        expect(heard.map(unplaced)).to.deep.equal([unplaced(other)]);
        expect(heard[0].seq).to.equal(other.seq);
        const known = [{ ...answers[i]!.body, seq: mine[i]!.seq }, ...heard].sort(
          (x, y) => x.seq - y.seq,
        );
        const { level, muted_until } = known.at(-1);
        expect({ level, muted_until }, `round ${round}, device ${i}`).to.deep.equal(final);
      }
      expect(first.seq).to.be.below(last.seq);
    }
    await watching.close();
  });
});
