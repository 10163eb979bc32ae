/**
 * v1.4 mentions and threads (contract: "v1.4 — mentions, threads and notification levels"):
 * mentions as ids checked against the chat's members and bound to the operation id, GET
 * /mentions, edits that change who is named; replies in threads, the root's summary kept by the
 * transaction of each reply and deletion (exact under replies and deletions racing on three
 * instances), and history by thread or top level.
 */
import { expect } from 'chai';
import { MESSAGE_KEYS } from './support/shapes.js';
import { startCluster, type Cluster, type Session } from './support/harness.js';
import { expectProblem } from './support/problem.js';
import { until as waitUntil } from './support/fault-cluster.js';
import { openSocket } from './support/sockets.js';

type Target = { user: number } | { group: number };

function send(
  c: Cluster,
  who: Session,
  target: Target,
  body: Record<string, unknown>,
  api = c.api,
) {
  const path =
    'user' in target ? `/messages/user/${target.user}` : `/messages/group/${target.group}`;
  return api.post(path, body, who.token);
}

let nextOperation = 1;
const op = () => (nextOperation++ % 30_000) + 1;

describe('mentions', () => {
  let c: Cluster;
  let owner: Session;
  let ann: Session;
  let bob: Session;
  let outsider: Session;
  let g: any;
  before(async () => {
    c = await startCluster();
    const made = await Promise.all(
      ['owner', 'ann', 'bob', 'outsider'].map((l) => c.api.newUser(`m-${l}`)),
    );
    [owner, ann, bob, outsider] = [made[0]!, made[1]!, made[2]!, made[3]!];
    g = await c.api.newGroup(owner, [ann, bob]);
  });
  after(() => c.close());

  it('when a send names members then the message carries them, and every message object has the v1.4 fields', async () => {
    const res = await send(
      c,
      owner,
      { group: g.group_id },
      {
        text: 'ann, bob: look',
        operation_id: op(),
        mentions: [ann.userId, bob.userId],
      },
    );
    expect(res.status).to.equal(201);
    expect(res.body).to.have.all.keys(MESSAGE_KEYS);
    expect(res.body).to.deep.include({
      mentions: [ann.userId, bob.userId],
      mention_all: false,
      thread_id: null,
      thread: null,
    });
    const [page] = (await c.api.get(`/history/${g.chat_id}?limit=1`, ann.token)).body;
    expect(page).to.deep.include({ id: res.body.id, mentions: [ann.userId, bob.userId] });
  });

  it('when a send names a non-member (or anyone outside a direct chat) then 422 mention_invalid, nothing is sent and the operation id stays free', async () => {
    const id = op();
    const before = (await c.api.get(`/history/${g.chat_id}?limit=1`, owner.token)).body;
    const refused = await send(
      c,
      owner,
      { group: g.group_id },
      {
        text: 'psst',
        operation_id: id,
        mentions: [ann.userId, outsider.userId],
      },
    );
    expectProblem(refused, 422, 'mention_invalid');
    expect((await c.api.get(`/history/${g.chat_id}?limit=1`, owner.token)).body).to.deep.equal(
      before,
    );
    const fine = await send(c, owner, { group: g.group_id }, { text: 'psst', operation_id: id });
    expect(fine.status).to.equal(201);

    const direct = await send(
      c,
      ann,
      { user: bob.userId },
      {
        text: 'and owner?',
        operation_id: op(),
        mentions: [owner.userId],
      },
    );
    expectProblem(direct, 422, 'mention_invalid');
    const ok = await send(
      c,
      ann,
      { user: bob.userId },
      {
        text: 'bob!',
        operation_id: op(),
        mentions: [bob.userId],
      },
    );
    expect(ok.status).to.equal(201);
    expect(ok.body.mentions).to.deep.equal([bob.userId]);
  });

  it('when mentions repeat someone, hold 51 ids or are not ids then 422 validation_failed', async () => {
    for (const mentions of [
      [ann.userId, ann.userId],
      Array.from({ length: 51 }, (_, i) => i + 1),
      ['x'],
      5,
    ]) {
      const res = await send(
        c,
        owner,
        { group: g.group_id },
        {
          text: 'x',
          operation_id: op(),
          mentions,
        },
      );
      expectProblem(res, 422, 'validation_failed');
    }
  });

  it('when an operation id is repeated with other mentions then 422 operation_id_conflict; with the same ones it replays', async () => {
    const id = op();
    const body = { text: 'bound', operation_id: id, mentions: [ann.userId], mention_all: true };
    const first = await send(c, owner, { group: g.group_id }, body);
    expect(first.status).to.equal(201);
    const again = await send(c, owner, { group: g.group_id }, body);
    expect(again.status).to.equal(200);
    expect(again.body).to.deep.include({
      id: first.body.id,
      mentions: [ann.userId],
      mention_all: true,
    });
    for (const other of [{ mentions: [bob.userId] }, { mention_all: false }, { mentions: [] }]) {
      const res = await send(c, owner, { group: g.group_id }, { ...body, ...other });
      expectProblem(res, 422, 'operation_id_conflict');
    }
  });

  it('when people are named then GET /mentions lists it for them, newest first, never for its sender; @all for every other member', async () => {
    const [a, b, d] = await Promise.all(['ma', 'mb', 'md'].map((l) => c.api.newUser(l)));
    const group = await c.api.newGroup(a!, [b!, d!]);
    const named = await send(
      c,
      a!,
      { group: group.group_id },
      {
        text: 'b!',
        operation_id: op(),
        mentions: [b!.userId, a!.userId],
      },
    );
    const all = await send(
      c,
      b!,
      { group: group.group_id },
      {
        text: 'everyone',
        operation_id: op(),
        mention_all: true,
      },
    );
    const ids = async (who: Session, query = '') =>
      (await c.api.get(`/mentions${query}`, who.token)).body.map((m: any) => m.id);
    expect(await ids(b!)).to.deep.equal([named.body.id]);
    expect(await ids(a!)).to.deep.equal([all.body.id]);
    expect(await ids(d!)).to.deep.equal([all.body.id]);
    const page = (await c.api.get('/mentions', a!.token)).body;
    expect(page[0]).to.have.all.keys(MESSAGE_KEYS);
    // Paging: below the newest.
    const extra = await send(
      c,
      d!,
      { group: group.group_id },
      {
        text: 'b again',
        operation_id: op(),
        mentions: [b!.userId],
      },
    );
    // b's own @all is not b's mention.
    expect(await ids(b!)).to.deep.equal([extra.body.id, named.body.id]);
    expect(await ids(b!, `?limit=1&before=${extra.body.id}`)).to.deep.equal([named.body.id]);
    expect(await ids(d!, '?limit=1')).to.deep.equal([all.body.id]);
    // A deleted message is no mention; a member who left sees none of that chat's.
    expect(
      (await c.api.request('DELETE', `/messages/${extra.body.id}`, { token: d!.token })).status,
    ).to.equal(204);
    expect(await ids(b!)).to.deep.equal([named.body.id]);
    const removed = await c.api.request(
      'DELETE',
      `/groups/${group.group_id}/members/${d!.userId}`,
      {
        token: a!.token,
      },
    );
    expect(removed.status).to.be.within(200, 204);
    expect(await ids(d!)).to.deep.equal([]);
  });

  it('when an edit names other people then the mentions move with it, its event carries them, and a non-member is 422', async () => {
    const [a, b, d] = await Promise.all(['ea', 'eb', 'ed'].map((l) => c.api.newUser(l)));
    const group = await c.api.newGroup(a!, [b!, d!]);
    const sent = await send(
      c,
      a!,
      { group: group.group_id },
      {
        text: 'hey b',
        operation_id: op(),
        mentions: [b!.userId],
      },
    );
    const socket = await openSocket(c.api.baseUrl, '/ws', d!.token);
    try {
      const edit = (body: unknown) =>
        c.api.request('PATCH', `/messages/${sent.body.id}`, { body, token: a!.token });
      const moved = await edit({ text: 'hey d', mentions: [d!.userId] });
      expect(moved.status).to.equal(200);
      expect(moved.body).to.deep.include({ text: 'hey d', mentions: [d!.userId] });
      const event = await socket.next((f) => f.type === 'MessageEdited', 5000);
      expect(event.message).to.deep.include({ mentions: [d!.userId], mention_all: false });
      expect((await c.api.get('/mentions', b!.token)).body).to.deep.equal([]);
      expect((await c.api.get('/mentions', d!.token)).body.map((m: any) => m.id)).to.deep.equal([
        sent.body.id,
      ]);
      // Text alone keeps the mentions.
      const kept = await edit({ text: 'hey d, again' });
      expect(kept.body.mentions).to.deep.equal([d!.userId]);
      expectProblem(await edit({ text: 'x', mentions: [outsider.userId] }), 422, 'mention_invalid');
      expect(
        (await c.api.get(`/history/${group.chat_id}?limit=1`, a!.token)).body[0],
      ).to.deep.include({
        text: 'hey d, again',
        mentions: [d!.userId],
      });
    } finally {
      await socket.close();
    }
  });

  it('when an edit names the same people in another order then nothing changes and nothing is announced', async () => {
    const [a, b, d] = await Promise.all(['oa', 'ob', 'od'].map((l) => c.api.newUser(l)));
    const group = await c.api.newGroup(a!, [b!, d!]);
    const named = [b!.userId, d!.userId];
    const sent = await send(
      c,
      a!,
      { group: group.group_id },
      { text: 'hey you two', operation_id: op(), mentions: named },
    );
    const socket = await openSocket(c.api.baseUrl, '/ws', d!.token);
    try {
      const edit = (body: unknown) =>
        c.api.request('PATCH', `/messages/${sent.body.id}`, { body, token: a!.token });
      const same = await edit({ text: 'hey you two', mentions: [...named].reverse() });
      expect(same.status).to.equal(200);
      expect(same.body).to.deep.include({ mentions: named, edited_at: null });
      // The next edit's event is the first the socket sees: the reordering announced nothing.
      await edit({ text: 'hey you two!', mentions: [...named].reverse() });
      const event = await socket.next((f) => f.type === 'MessageEdited', 5000);
      expect(event.message).to.deep.include({ text: 'hey you two!', mentions: named });
    } finally {
      await socket.close();
    }
  });
});

describe('threads', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ instances: 3 });
  });
  after(() => c.close());

  async function team(label: string) {
    const [a, b, d] = await Promise.all(['a', 'b', 'd'].map((l) => c.api.newUser(`${label}${l}`)));
    const people: [Session, Session, Session] = [a!, b!, d!];
    const group = await c.api.newGroup(people[0], people.slice(1));
    const root = await send(
      c,
      people[0],
      { group: group.group_id },
      {
        text: 'root',
        operation_id: op(),
      },
    );
    expect(root.status).to.equal(201);
    return { people, group, root: root.body };
  }

  it('when replies arrive then the root shows its thread: count, latest reply and participants in order of first reply', async () => {
    const {
      people: [a, b, d],
      group,
      root,
    } = await team('t');
    const reply = (who: Session, text: string) =>
      send(c, who, { group: group.group_id }, { text, operation_id: op(), thread_id: root.id });
    const r1 = await reply(b, 'first');
    expect(r1.status).to.equal(201);
    expect(r1.body).to.deep.include({ thread_id: root.id, thread: null });
    await reply(a, 'second');
    const r3 = await reply(d, 'third');
    await reply(b, 'fourth');
    const last = await reply(a, 'fifth');
    const rootNow = (await c.api.get(`/history/${group.chat_id}?thread_id=${root.id}`, a.token))
      .body[0];
    expect(rootNow.id).to.equal(root.id);
    expect(rootNow.thread).to.deep.equal({
      reply_count: 5,
      last_reply_at: last.body.timestamp,
      last_reply_id: last.body.id,
      participant_ids: [a.userId, b.userId, d.userId],
    });
    expect(r3.body.thread_id).to.equal(root.id);
  });

  it("when a thread_id is a reply, a deleted root, another chat's message or unknown then 422 thread_invalid and nothing is sent", async () => {
    const {
      people: [a, b],
      group,
      root,
    } = await team('ti');
    const reply = await send(
      c,
      b,
      { group: group.group_id },
      {
        text: 'r',
        operation_id: op(),
        thread_id: root.id,
      },
    );
    const other = await team('to');
    const dead = await send(c, a, { group: group.group_id }, { text: 'gone', operation_id: op() });
    await c.api.request('DELETE', `/messages/${dead.body.id}`, { token: a.token });
    for (const threadId of [reply.body.id, dead.body.id, other.root.id, 999_999_999]) {
      const res = await send(
        c,
        a,
        { group: group.group_id },
        {
          text: 'x',
          operation_id: op(),
          thread_id: threadId,
        },
      );
      expectProblem(res, 422, 'thread_invalid');
    }
    const history = (await c.api.get(`/history/${group.chat_id}`, a.token)).body;
    expect(history.map((m: any) => m.text)).to.deep.equal(['root', 'r', '']);
  });

  it('when history is asked by thread or top level then it answers the root and its replies, or no replies; both at once is 422', async () => {
    const {
      people: [a, b],
      group,
      root,
    } = await team('h');
    const top2 = await send(c, b, { group: group.group_id }, { text: 'top 2', operation_id: op() });
    const replies = [];
    for (const text of ['r1', 'r2', 'r3']) {
      const r = await send(
        c,
        b,
        { group: group.group_id },
        { text, operation_id: op(), thread_id: root.id },
      );
      replies.push(r.body.id);
    }
    const get = async (q: string) =>
      (await c.api.get(`/history/${group.chat_id}?${q}`, a.token)).body.map((m: any) => m.id);
    expect(await get(`thread_id=${root.id}`)).to.deep.equal([root.id, ...replies]);
    expect(await get(`thread_id=${root.id}&limit=2`)).to.deep.equal(replies.slice(1));
    expect(await get(`thread_id=${root.id}&after=${root.id}&limit=2`)).to.deep.equal(
      replies.slice(0, 2),
    );
    expect(await get(`thread_id=${root.id}&before=${replies[1]}`)).to.deep.equal([
      root.id,
      replies[0],
    ]);
    expect(await get('top_level=true')).to.deep.equal([root.id, top2.body.id]);
    expect(await get('top_level=true&before=' + top2.body.id)).to.deep.equal([root.id]);
    expect(await get('')).to.deep.equal([root.id, top2.body.id, ...replies]);
    const both = await c.api.get(
      `/history/${group.chat_id}?top_level=true&thread_id=${root.id}`,
      a.token,
    );
    expectProblem(both, 422, 'validation_failed');
  });

  it('when a reply is deleted then the root counts again: fewer replies, the previous latest, a participant gone with their only reply', async () => {
    const {
      people: [a, b, d],
      group,
      root,
    } = await team('del');
    const reply = (who: Session) =>
      send(
        c,
        who,
        { group: group.group_id },
        { text: 'r', operation_id: op(), thread_id: root.id },
      );
    const first = await reply(b);
    const second = await reply(d);
    const del = await c.api.request('DELETE', `/messages/${second.body.id}`, { token: d.token });
    expect(del.status).to.equal(204);
    const rootNow = (await c.api.get(`/history/${group.chat_id}?top_level=true`, a.token)).body[0];
    expect(rootNow.thread).to.deep.equal({
      reply_count: 1,
      last_reply_at: first.body.timestamp,
      last_reply_id: first.body.id,
      participant_ids: [a.userId, b.userId],
    });
    await c.api.request('DELETE', `/messages/${first.body.id}`, { token: b.token });
    const emptied = (await c.api.get(`/history/${group.chat_id}?top_level=true`, a.token)).body[0];
    // It has had replies: the thread stays, empty.
    expect(emptied.thread).to.deep.equal({
      reply_count: 0,
      last_reply_at: null,
      last_reply_id: null,
      participant_ids: [a.userId],
    });
  });

  it('when a reply is sent then members hear it live as a Message with its thread_id', async () => {
    const {
      people: [, b, d],
      group,
      root,
    } = await team('live');
    const socket = await openSocket(c.apis[1]!.baseUrl, '/ws', d.token);
    try {
      const sent = await send(
        c,
        b,
        { group: group.group_id },
        {
          text: 'in thread',
          operation_id: op(),
          thread_id: root.id,
          mentions: [d.userId],
        },
      );
      const frame = await socket.next(
        (f) => f.type === 'Message' && f.message.id === sent.body.id,
        5000,
      );
      expect(frame.message).to.deep.include({
        thread_id: root.id,
        thread: null,
        mentions: [d.userId],
      });
    } finally {
      await socket.close();
    }
  });

  it('when replies and deletions race on three instances then reply_count, the latest reply and the participants are exact', async () => {
    for (let round = 0; round < 3; round++) {
      const { people, group, root } = await team(`race${round}`);
      const sent = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          send(
            c,
            people[i % 3]!,
            { group: group.group_id },
            { text: `r${i}`, operation_id: op(), thread_id: root.id },
            c.apis[i % 3],
          ),
        ),
      );
      expect(sent.map((r) => r.status)).to.deep.equal(Array(24).fill(201));
      // Delete a third of them while more replies come in, on every instance at once.
      const doomed = sent.filter((_, i) => i % 3 === 1).map((r) => r.body);
      const [more] = await Promise.all([
        Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            send(
              c,
              people[0],
              { group: group.group_id },
              { text: `late${i}`, operation_id: op(), thread_id: root.id },
              c.apis[i % 3],
            ),
          ),
        ),
        Promise.all(
          doomed.map((m, i) =>
            c.apis[i % 3]!.request('DELETE', `/messages/${m.id}`, {
              token: people.find((p) => p.userId === m.sender_id)!.token,
            }),
          ),
        ),
      ]);
      const live = [...sent.map((r) => r.body), ...more.map((r) => r.body)].filter(
        (m) => !doomed.some((d) => d.id === m.id),
      );
      live.sort((x, y) => x.id - y.id);
      const firsts: number[] = [];
      for (const m of live) if (!firsts.includes(m.sender_id)) firsts.push(m.sender_id);
      const rootNow = (
        await c.apis[2]!.get(
          `/history/${group.chat_id}?thread_id=${root.id}&after=0&limit=1`,
          people[0].token,
        )
      ).body[0];
      expect(rootNow.thread).to.deep.equal({
        reply_count: live.length,
        last_reply_at: live.at(-1)!.timestamp,
        last_reply_id: live.at(-1)!.id,
        participant_ids: [people[0].userId, ...firsts.filter((id) => id !== people[0].userId)],
      });
    }
  });
});

describe('threads: lists, following and reading', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
  });
  after(() => c.close());

  async function trio(label: string) {
    const [a, b, d] = await Promise.all(['a', 'b', 'd'].map((l) => c.api.newUser(`${label}${l}`)));
    const people: [Session, Session, Session] = [a!, b!, d!];
    const group = await c.api.newGroup(a!, [b!, d!]);
    const post = (who: Session, text: string, extra: Record<string, unknown> = {}) =>
      send(c, who, { group: group.group_id }, { text, operation_id: op(), ...extra }).then((r) => {
        expect(r.status, JSON.stringify(r.body)).to.equal(201);
        return r.body;
      });
    return { people, group, post };
  }

  it('when a chat has threads then GET /chats/{id}/threads lists their roots by latest reply, paged by last_reply_id', async () => {
    const {
      people: [a, b],
      group,
      post,
    } = await trio('cl');
    const r1 = await post(a, 'one');
    const r2 = await post(a, 'two');
    await post(a, 'no replies');
    await post(b, 'x', { thread_id: r1.id });
    const latest = await post(b, 'y', { thread_id: r2.id });
    const last = await post(b, 'z', { thread_id: r1.id });
    const list = async (q = '') =>
      (await c.api.get(`/chats/${group.chat_id}/threads${q}`, a.token)).body;
    const page = await list();
    expect(page.map((m: any) => m.id)).to.deep.equal([r1.id, r2.id]);
    expect(page[0].thread).to.include({ reply_count: 2, last_reply_id: last.id });
    expect((await list(`?before=${last.id}`)).map((m: any) => m.id)).to.deep.equal([r2.id]);
    expect((await list(`?before=${latest.id}`)).map((m: any) => m.id)).to.deep.equal([]);
    expect((await list('?limit=1')).map((m: any) => m.id)).to.deep.equal([r1.id]);
    const outsider = await c.api.newUser('clx');
    expectProblem(
      await c.api.get(`/chats/${group.chat_id}/threads`, outsider.token),
      403,
      'chat_forbidden',
    );
  });

  it('when people start, reply in or are named in a thread then they follow it; GET /threads?unread=true lists it until they read it', async () => {
    const {
      people: [a, b, d],
      post,
    } = await trio('fo');
    const root = await post(a, 'root');
    const followed = async (who: Session, q = '?unread=true') =>
      (await c.api.get(`/threads${q}`, who.token)).body.map((t: any) => [
        t.root.id,
        t.unread_count,
      ]);
    // b replies: a (the root's sender) follows, b follows and has read their own reply.
    const first = await post(b, 'first', { thread_id: root.id });
    expect(await followed(a)).to.deep.equal([[root.id, 1]]);
    expect(await followed(b)).to.deep.equal([]);
    expect(await followed(b, '')).to.deep.equal([[root.id, 0]]);
    expect(await followed(d, '')).to.deep.equal([]);
    // d is named in a reply: d follows.
    const named = await post(b, 'd, see', { thread_id: root.id, mentions: [d.userId] });
    expect(await followed(d)).to.deep.equal([[root.id, 2]]);
    expect(await followed(a)).to.deep.equal([[root.id, 2]]);
    const [entry] = (await c.api.get('/threads?unread=true', a.token)).body;
    expect(entry.root).to.have.all.keys(MESSAGE_KEYS);
    expect(entry.root.thread.reply_count).to.equal(2);
    // Reading moves the pointer, never back.
    const read = await c.api.post(`/threads/${root.id}/read`, { message_id: first.id }, a.token);
    expect(read.status).to.equal(200);
    expect(read.body).to.deep.equal({ root_id: root.id, last_read_message_id: first.id });
    expect(await followed(a)).to.deep.equal([[root.id, 1]]);
    await c.api.post(`/threads/${root.id}/read`, { message_id: named.id }, a.token);
    const back = await c.api.post(`/threads/${root.id}/read`, { message_id: root.id }, a.token);
    expect(back.body.last_read_message_id).to.equal(named.id);
    expect(await followed(a)).to.deep.equal([]);
    expect(await followed(a, '')).to.deep.equal([[root.id, 0]]);
  });

  it('when someone unfollows then replies and mentions do not make them follow again; PUT follows any thread of their chats', async () => {
    const {
      people: [a, b, d],
      post,
    } = await trio('un');
    const root = await post(a, 'root');
    await post(b, 'r', { thread_id: root.id });
    const unfollow = await c.api.request('DELETE', `/threads/${root.id}/follow`, {
      token: a.token,
    });
    expect(unfollow.status).to.equal(204);
    await post(b, 'r2', { thread_id: root.id, mentions: [a.userId] });
    expect((await c.api.get('/threads', a.token)).body).to.deep.equal([]);
    // d, never in it, follows by hand.
    const followed = await c.api.request('PUT', `/threads/${root.id}/follow`, { token: d.token });
    expect(followed.status).to.equal(204);
    expect(
      (await c.api.get('/threads?unread=true', d.token)).body.map((t: any) => t.unread_count),
    ).to.deep.equal([2]);
    expect(
      (await c.api.request('PUT', `/threads/${root.id}/follow`, { token: d.token })).status,
    ).to.equal(204);
  });

  it('when one message is asked for then a member gets it as history shows it; others 403, unknown 404', async () => {
    const {
      people: [a, b],
      group,
      post,
    } = await trio('one');
    const root = await post(a, 'root', { mentions: [b.userId] });
    await post(b, 'r', { thread_id: root.id });
    const got = await c.api.get(`/messages/${root.id}`, b.token);
    expect(got.status).to.equal(200);
    expect(got.body).to.have.all.keys(MESSAGE_KEYS);
    const [inHistory] = (await c.api.get(`/history/${group.chat_id}?top_level=true`, b.token)).body;
    expect(got.body).to.deep.equal(inHistory);
    expect(got.body.thread.reply_count).to.equal(1);
    const stranger = await c.api.newUser('onex');
    expectProblem(await c.api.get(`/messages/${root.id}`, stranger.token), 403, 'chat_forbidden');
    expectProblem(await c.api.get('/messages/999999999', b.token), 404, 'message_not_found');
  });

  it("when follow or read name a reply, a stranger's thread, an unknown message or a message of another thread then the matching problem", async () => {
    const {
      people: [a, b],
      post,
    } = await trio('bad');
    const root = await post(a, 'root');
    const reply = await post(b, 'r', { thread_id: root.id });
    const otherRoot = await post(a, 'other');
    const stranger = await c.api.newUser('badx');
    expectProblem(
      await c.api.request('PUT', `/threads/${reply.id}/follow`, { token: a.token }),
      422,
      'thread_invalid',
    );
    expectProblem(
      await c.api.request('PUT', `/threads/${root.id}/follow`, { token: stranger.token }),
      403,
      'chat_forbidden',
    );
    expectProblem(
      await c.api.request('PUT', '/threads/999999999/follow', { token: a.token }),
      404,
      'message_not_found',
    );
    expectProblem(
      await c.api.post(`/threads/${otherRoot.id}/read`, { message_id: reply.id }, a.token),
      422,
      'validation_failed',
    );
    expectProblem(
      await c.api.post(`/threads/${root.id}/read`, { message_id: 'x' }, a.token),
      422,
      'validation_failed',
    );
  });
});

describe('unread: GET /me/unread and unread_mentions', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
  });
  after(() => c.close());

  it('when chats are at all, mentions and none then the badge counts each at its level, a mention once even when it is @all too', async () => {
    const [u, o] = await Promise.all(['ua', 'uo'].map((l) => c.api.newUser(l)));
    const groups = [];
    for (const level of ['all', 'mentions', 'none']) {
      const g = await c.api.newGroup(o!, [u!]);
      const set = await c.api.request('PUT', `/chats/${g.chat_id}/notifications`, {
        body: { level },
        token: u!.token,
      });
      expect(set.status).to.equal(200);
      await send(c, o!, { group: g.group_id }, { text: 'plain', operation_id: op() });
      await send(
        c,
        o!,
        { group: g.group_id },
        {
          text: 'you',
          operation_id: op(),
          mentions: [u!.userId],
        },
      );
      groups.push(g);
    }
    // In the first: an @all that names u as well (one mention), and u's own @all (none).
    await send(
      c,
      o!,
      { group: groups[0].group_id },
      {
        text: 'all of you, u too',
        operation_id: op(),
        mention_all: true,
        mentions: [u!.userId],
      },
    );
    await send(
      c,
      u!,
      { group: groups[0].group_id },
      {
        text: 'mine to all',
        operation_id: op(),
        mention_all: true,
      },
    );
    const chats = (await c.api.get('/chats', u!.token)).body;
    const byChat = new Map(chats.map((x: any) => [x.chat_id, x]));
    expect(groups.map((g) => (byChat.get(g.chat_id) as any).unread_mentions)).to.deep.equal([
      2, 1, 1,
    ]);
    expect(groups.map((g) => (byChat.get(g.chat_id) as any).unread_count)).to.deep.equal([3, 2, 2]);
    expect((await c.api.get('/me/unread', u!.token)).body).to.deep.equal({
      chats: 2,
      messages: 3 + 1,
      mentions: 2 + 1,
    });
    // o's badge: none of o's own messages, and u's @all names o.
    expect((await c.api.get('/me/unread', o!.token)).body).to.deep.equal({
      chats: 1,
      messages: 1,
      mentions: 1,
    });
  });

  it('when mentions are read or deleted, or a mute lapses, then the counts follow', async () => {
    const [u, o] = await Promise.all(['ra', 'ro'].map((l) => c.api.newUser(l)));
    const g = await c.api.newGroup(o!, [u!]);
    const named = async () =>
      (
        await send(
          c,
          o!,
          { group: g.group_id },
          {
            text: 'u!',
            operation_id: op(),
            mentions: [u!.userId],
          },
        )
      ).body;
    const first = await named();
    const second = await named();
    const badge = async () => (await c.api.get('/me/unread', u!.token)).body;
    expect(await badge()).to.deep.equal({ chats: 1, messages: 2, mentions: 2 });
    await c.api.post(`/messages/read/${first.id}`, undefined, u!.token);
    expect(await badge()).to.deep.equal({ chats: 1, messages: 1, mentions: 1 });
    await c.api.request('DELETE', `/messages/${second.id}`, { token: o!.token });
    expect(await badge()).to.deep.equal({ chats: 0, messages: 0, mentions: 0 });
    await named();
    const until = new Date(Date.now() + 1500).toISOString();
    const muted = await c.api.request('PUT', `/chats/${g.chat_id}/notifications`, {
      body: { level: 'none', until },
      token: u!.token,
    });
    expect(muted.status).to.equal(200);
    expect(await badge()).to.deep.equal({ chats: 0, messages: 0, mentions: 0 });
    await waitUntil('the mute to lapse', async () => (await badge()).mentions === 1);
    expect(await badge()).to.deep.equal({ chats: 1, messages: 1, mentions: 1 });
  });
});

describe('unread under races: a mute and a mention at the same moment on two instances', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ instances: 2 });
  });
  after(() => c.close());

  it('when a mute races a mention on another instance then the mention is counted in the chat either way, and the badge follows the level that won', async () => {
    const [u, o] = await Promise.all(['mu', 'mo'].map((l) => c.api.newUser(l)));
    const g = await c.api.newGroup(o!, [u!]);
    const level = (value: string) =>
      c.apis[0]!.request('PUT', `/chats/${g.chat_id}/notifications`, {
        body: { level: value },
        token: u!.token,
      });
    for (let round = 1; round <= 6; round++) {
      const target = round % 2 === 0 ? 'none' : 'mentions';
      const [set, sent] = await Promise.all([
        level(target),
        send(
          c,
          o!,
          { group: g.group_id },
          { text: `u ${round}`, operation_id: op(), mentions: [u!.userId] },
          c.apis[1],
        ),
      ]);
      expect([set.status, sent.status]).to.deep.equal([200, 201]);
      const [chat] = (await c.apis[1]!.get('/chats', u!.token)).body;
      expect(chat.unread_mentions).to.equal(round);
      expect(chat.notifications.level).to.equal(target);
      const badge = (await c.apis[0]!.get('/me/unread', u!.token)).body;
      expect(badge).to.deep.equal(
        target === 'none'
          ? { chats: 0, messages: 0, mentions: 0 }
          : { chats: 1, messages: round, mentions: round },
      );
    }
  });
});
