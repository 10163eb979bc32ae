import { expect } from 'chai';
import { MESSAGE_KEYS } from './support/shapes.js';
import { startCluster, type Cluster } from './support/harness.js';
import { expectProblem } from './support/problem.js';

const MISSING_ID = 999_999_999;

function tag(): string {
  return Math.random().toString(36).slice(2, 10);
}

describe('GET /me and /users', () => {
  let c: Cluster;
  let token: string;
  const t = tag();
  const ids: Record<string, number> = {};
  before(async () => {
    c = await startCluster();
    token = (await c.api.login('test1@test.com')).token;
    const people: [string, string, string][] = [
      ['byEmail', `${t}-alice@example.com`, 'Alice'],
      ['byName', `other-${t}@example.com`, `${t}Bob`],
      ['inside', `x-${t}@example.com`, `Carol ${t}`],
      ['percent', `pct-${t}@example.com`, `${t}%pct`],
      ['underscore', `${t}_und@example.com`, 'Und'],
    ];
    for (const [key, email, name] of people) {
      const res = await c.api.post('/register', { email, name, password: 'password123' });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      ids[key] = res.body.id;
    }
  });
  after(() => c.close());

  const search = async (query: string, limit?: number) => {
    const qs = new URLSearchParams({
      query,
      ...(limit !== undefined ? { limit: `${limit}` } : {}),
    });
    return c.api.get(`/users?${qs.toString()}`, token);
  };

  it('when asked then /me is the caller, with id, email, name and is_bot only', async () => {
    const res = await c.api.get('/me', token);
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({
      id: res.body.id,
      email: 'test1@test.com',
      name: 'Test User 1',
      is_bot: false,
    });
  });

  it('when the query prefixes an email or a name in another case then those users, by id', async () => {
    const res = await search(t.toUpperCase());
    expect(res.status).to.equal(200);
    expect(res.body.map((u: { id: number }) => u.id)).to.deep.equal(
      [ids.byEmail, ids.byName, ids.percent, ids.underscore].sort((a, b) => a! - b!),
    );
    for (const u of res.body) expect(u).to.have.all.keys('id', 'email', 'name', 'is_bot');
  });

  it('when the query is a whole name with a space then that user; when nothing matches then []', async () => {
    const res = await search(`carol ${t}`);
    expect(res.body.map((u: { id: number }) => u.id)).to.deep.equal([ids.inside]);
    const none = await search(`${t}-zzz`);
    expect(none.status).to.equal(200);
    expect(none.body).to.deep.equal([]);
  });

  it('when the query holds % or _ then they match literally', async () => {
    expect((await search(`${t}%`)).body.map((u: { id: number }) => u.id)).to.deep.equal([
      ids.percent,
    ]);
    expect((await search(`${t}_`)).body.map((u: { id: number }) => u.id)).to.deep.equal([
      ids.underscore,
    ]);
    expect((await search('%')).body).to.deep.equal([]);
  });

  it('when a limit is given then at most that many users', async () => {
    expect((await search(t, 1)).body).to.have.length(1);
    expect((await search('', 2)).body).to.have.length(2);
    expect((await search(t, 100)).status).to.equal(200);
  });

  it('when ids are given then those users come back by id, unknown ids left out', async () => {
    const a = await c.api.newUser('ida');
    const b = await c.api.newUser('idb');
    const res = await c.api.get(`/users?ids=${b.userId},999999,${a.userId},${a.userId}`, token);
    expect(res.status).to.equal(200);
    expect(res.body.map((u: any) => u.id)).to.deep.equal([a.userId, b.userId]);
    expect(res.body[0]).to.have.all.keys('id', 'email', 'name', 'is_bot');
  });

  it('when ids are malformed or over 100 then 422', async () => {
    const tooMany = Array.from({ length: 101 }, (_, i) => i + 1).join(',');
    for (const ids of ['', 'a', '1,,2', '-1', '1.5', tooMany]) {
      expectProblem(await c.api.get(`/users?ids=${ids}`, token), 422, 'validation_failed');
    }
  });

  it('when the limit is outside 1..100 or not an integer then 422', async () => {
    for (const limit of ['0', '101', '-1', 'abc', '1.5']) {
      expectProblem(await c.api.get(`/users?query=a&limit=${limit}`, token), 422);
    }
  });
});

describe('POST /group and GET /groups/{id}', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
  });
  after(() => c.close());

  it('when created then 201 with the author included and duplicates ignored', async () => {
    const [a, b, d] = await Promise.all(['ga', 'gb', 'gd'].map((l) => c.api.newUser(l)));
    const res = await c.api.post(
      '/group',
      { name: 'Team', participant_user_ids: [b!.userId, d!.userId, b!.userId] },
      a!.token,
    );
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body).to.have.all.keys(
      'group_id',
      'chat_id',
      'name',
      'creator_id',
      'owner_id',
      'member_ids',
    );
    expect(res.body).to.include({ name: 'Team', creator_id: a!.userId, owner_id: a!.userId });
    expect(res.body.member_ids).to.have.length(3);
    expect(res.body.member_ids).to.have.members([a!.userId, b!.userId, d!.userId]);
    const got = await c.api.get(`/groups/${res.body.group_id}`, b!.token);
    expect(got.status).to.equal(200);
    expect(got.body).to.deep.equal(res.body);
  });

  it('when the author lists only themself or nobody then a one-member group', async () => {
    const a = await c.api.newUser('solo');
    for (const ids of [[], [a.userId]]) {
      const res = await c.api.post('/group', { name: 'Me', participant_user_ids: ids }, a.token);
      expect(res.status).to.equal(201);
      expect(res.body.member_ids).to.deep.equal([a.userId]);
    }
  });

  it('when a listed user does not exist then 404 user_not_found and no group', async () => {
    const a = await c.api.newUser('ghosts');
    const res = await c.api.post(
      '/group',
      { name: 'Ghosts', participant_user_ids: [MISSING_ID] },
      a.token,
    );
    expectProblem(res, 404, 'user_not_found');
    expect((await c.api.get('/chats', a.token)).body).to.deep.equal([]);
  });

  it('when the name is empty, blank or over-long then 422', async () => {
    const a = await c.api.newUser('names');
    for (const name of ['', '   ', 'x'.repeat(101)]) {
      const res = await c.api.post('/group', { name, participant_user_ids: [] }, a.token);
      expectProblem(res, 422, 'validation_failed');
      expect(res.body.errors).to.be.an('array').that.is.not.empty;
    }
  });

  it('when the ids are not positive integers or the list is missing then 422', async () => {
    const a = await c.api.newUser('badids');
    for (const participant_user_ids of [[0], [-1], [1.5], ['2'], undefined, 'x']) {
      const res = await c.api.post('/group', { name: 'G', participant_user_ids }, a.token);
      expectProblem(res, 422, 'validation_failed');
    }
  });

  it('when a non-member asks for a group then 403 chat_forbidden', async () => {
    const [a, outsider] = await Promise.all([c.api.newUser('own'), c.api.newUser('out')]);
    const g = await c.api.post('/group', { name: 'Private', participant_user_ids: [] }, a.token);
    expectProblem(
      await c.api.get(`/groups/${g.body.group_id}`, outsider.token),
      403,
      'chat_forbidden',
    );
  });

  it('when the group does not exist then 404 group_not_found', async () => {
    const a = await c.api.newUser('nogroup');
    expectProblem(await c.api.get(`/groups/${MISSING_ID}`, a.token), 404, 'group_not_found');
  });

  it('when the group id is not a positive integer then 422', async () => {
    const a = await c.api.newUser('badgid');
    for (const id of ['abc', '1e3', '0', '-1', '1.5', '0x10']) {
      expectProblem(await c.api.get(`/groups/${id}`, a.token), 422, 'validation_failed');
    }
  });
});

describe('POST /group with MAX_GROUP_MEMBERS=3', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ maxGroupMembers: 3 });
  });
  after(() => c.close());

  it('when the members, author included, exceed the limit then 422 group_too_large', async () => {
    const users = await Promise.all(['m1', 'm2', 'm3', 'm4'].map((l) => c.api.newUser(l)));
    const [a, ...others] = users;
    const res = await c.api.post(
      '/group',
      { name: 'Big', participant_user_ids: others.map((u) => u.userId) },
      a!.token,
    );
    expectProblem(res, 422, 'group_too_large');
    expect((await c.api.get('/chats', a!.token)).body).to.deep.equal([]);
  });

  it('when exactly at the limit, counting duplicates once, then 201', async () => {
    const [a, b, d] = await Promise.all(['k1', 'k2', 'k3'].map((l) => c.api.newUser(l)));
    const ids = [b!.userId, d!.userId, b!.userId, a!.userId];
    const res = await c.api.post('/group', { name: 'Full', participant_user_ids: ids }, a!.token);
    expect(res.status).to.equal(201);
    expect(res.body.member_ids).to.have.length(3);
  });
});

describe('GET /chats', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
  });
  after(() => c.close());

  it('when a user is new then no chats', async () => {
    const u = await c.api.newUser('fresh');
    const res = await c.api.get('/chats', u.token);
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal([]);
  });

  it('when messages flow then chats are ordered by latest activity with titles and counts', async () => {
    const [a, b, d] = await Promise.all(['Ann', 'Ben', 'Dee'].map((l) => c.api.newUser(l)));
    const chatsOf = async (token: string) => (await c.api.get('/chats', token)).body;

    const first = await c.api.send({ user: b!.userId }, 'hello Ben', 1, a!.token);
    const group = await c.api.post(
      '/group',
      { name: 'Team', participant_user_ids: [b!.userId, d!.userId] },
      a!.token,
    );
    const hiTeam = await c.api.send({ group: group.body.group_id }, 'hi team', 1, b!.token);
    const reply = await c.api.send({ user: a!.userId }, 'hi Ann', 2, b!.token);
    expect([first.status, group.status, hiTeam.status, reply.status]).to.deep.equal([
      201, 201, 201, 201,
    ]);

    let chats = await chatsOf(a!.token);
    expect(chats.map((x: { chat_id: number }) => x.chat_id)).to.deep.equal([
      first.body.chat_id,
      group.body.chat_id,
    ]);
    const [direct, team] = chats;
    expect(direct).to.deep.equal({
      chat_id: first.body.chat_id,
      kind: 'direct',
      title: 'Ben',
      peer_user_id: b!.userId,
      member_ids: [a!.userId, b!.userId].sort((x, y) => x - y),
      last_message: reply.body,
      unread_count: 1,
      unread_mentions: 0,
      notifications: { level: 'all', muted_until: null },
    });
    expect(team).to.deep.equal({
      chat_id: group.body.chat_id,
      kind: 'group',
      title: 'Team',
      group_id: group.body.group_id,
      owner_id: a!.userId,
      member_ids: group.body.member_ids,
      last_message: hiTeam.body,
      unread_count: 1,
      unread_mentions: 0,
      notifications: { level: 'all', muted_until: null },
    });
    expect(team.last_message).to.have.all.keys(MESSAGE_KEYS);

    // The peer sees the direct chat titled by the caller's name.
    const ofBen = await chatsOf(b!.token);
    const benDirect = ofBen.find((x: { kind: string }) => x.kind === 'direct');
    expect(benDirect).to.include({ title: 'Ann', peer_user_id: a!.userId, unread_count: 1 });

    // A newer group message moves the group first; the caller's own messages are not unread.
    const second = await c.api.send({ group: group.body.group_id }, 'second', 3, b!.token);
    await c.api.send({ group: group.body.group_id }, 'mine', 2, a!.token);
    chats = await chatsOf(a!.token);
    expect(chats[0]).to.include({ chat_id: group.body.chat_id, unread_count: 2 });
    expect(chats[0].last_message.text).to.equal('mine');

    // Dee has read nothing and sent nothing: all three messages count.
    expect((await chatsOf(d!.token))[0]).to.include({ unread_count: 3 });

    // Reading up to "hi team" leaves only "second" unread; reading it clears the chat.
    await c.api.post(`/messages/read/${hiTeam.body.id}`, undefined, a!.token);
    expect((await chatsOf(a!.token))[0].unread_count).to.equal(1);
    await c.api.post(`/messages/read/${second.body.id}`, undefined, a!.token);
    chats = await chatsOf(a!.token);
    expect(chats[0].unread_count).to.equal(0);
    expect(chats[1].unread_count).to.equal(1);
  });

  it('when a group has no messages then it counts from its creation', async () => {
    const [a, b] = await Promise.all([c.api.newUser('early'), c.api.newUser('late')]);
    const sent = await c.api.send({ user: b.userId }, 'before the group', 1, a.token);
    const group = await c.api.post('/group', { name: 'Quiet', participant_user_ids: [] }, a.token);
    const chats = (await c.api.get('/chats', a.token)).body;
    expect(chats.map((x: { chat_id: number }) => x.chat_id)).to.deep.equal([
      group.body.chat_id,
      sent.body.chat_id,
    ]);
    expect(chats[0]).not.to.have.property('last_message');
    expect(chats[0].unread_count).to.equal(0);
  });

  it('when the last message is read by its peer then last_message.is_read is true', async () => {
    const [a, b] = await Promise.all([c.api.newUser('rs'), c.api.newUser('rr')]);
    const sent = await c.api.send({ user: b.userId }, 'read me', 1, a.token);
    await c.api.post(`/messages/read/${sent.body.id}`, undefined, b.token);
    const [chat] = (await c.api.get('/chats', a.token)).body;
    expect(chat.last_message).to.deep.equal({ ...sent.body, is_read: true });
  });
});
