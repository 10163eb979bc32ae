import { expect } from 'chai';
import { MESSAGE_KEYS } from './support/shapes.js';
import { startCluster, type Cluster, type Session } from './support/harness.js';
import { expectProblem } from './support/problem.js';

const MISSING_ID = 999_999_999;

/** Two fresh users. */
async function pair(c: Cluster, label: string): Promise<[Session, Session]> {
  const [a, b] = await Promise.all([c.api.newUser(`${label}a`), c.api.newUser(`${label}b`)]);
  return [a, b];
}

describe('POST /messages/user and /messages/group', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
  });
  after(() => c.close());

  it('when writing to a user then 201 with the unread message', async () => {
    const [a, b] = await pair(c, 'to');
    const before = Date.now();
    const res = await c.api.send({ user: b.userId }, 'hello', 1, a.token);
    expect(res.status).to.equal(201);
    expect(res.headers.get('idempotent-replayed')).to.equal(null);
    expect(res.body).to.have.all.keys(MESSAGE_KEYS);
    expect(res.body).to.include({ edited_at: null, deleted: false, reply_to: null });
    expect(res.body.reactions).to.deep.equal([]);
    expect(res.body).to.include({ sender_id: a.userId, text: 'hello', is_read: false });
    expect(res.body.id).to.be.a('number').that.is.above(0);
    expect(res.body.chat_id).to.be.a('number').that.is.above(0);
    expect(new Date(res.body.timestamp).toISOString()).to.equal(res.body.timestamp);
    expect(Date.parse(res.body.timestamp)).to.be.within(before - 5000, Date.now() + 5000);
  });

  it('when two users write to each other then both use one direct chat', async () => {
    const [a, b] = await pair(c, 'both');
    const ab = await c.api.send({ user: b.userId }, 'hi', 1, a.token);
    const ba = await c.api.send({ user: a.userId }, 'hi back', 1, b.token);
    expect(ba.status).to.equal(201);
    expect(ba.body.chat_id).to.equal(ab.body.chat_id);
  });

  it('when writing to yourself then 201 and is_read at once', async () => {
    const a = await c.api.newUser('self');
    const res = await c.api.send({ user: a.userId }, 'note to self', 1, a.token);
    expect(res.status).to.equal(201);
    expect(res.body).to.include({ sender_id: a.userId, is_read: true });
    const [chat] = (await c.api.get('/chats', a.token)).body;
    expect(chat).to.include({ chat_id: res.body.chat_id, unread_count: 0 });
    expect(chat.member_ids).to.deep.equal([a.userId]);
  });

  it('when a member writes to a group then 201 in its chat', async () => {
    const [a, b] = await pair(c, 'gm');
    const g = await c.api.newGroup(a, [b]);
    const res = await c.api.send({ group: g.group_id }, 'to all', 1, b.token);
    expect(res.status).to.equal(201);
    expect(res.body).to.include({ chat_id: g.chat_id, sender_id: b.userId, is_read: false });
  });

  it('when a non-member writes to a group then 403 chat_forbidden', async () => {
    const [a, outsider] = await pair(c, 'gx');
    const g = await c.api.newGroup(a, []);
    const res = await c.api.send({ group: g.group_id }, 'let me in', 1, outsider.token);
    expectProblem(res, 403, 'chat_forbidden');
  });

  it('when the group or the user does not exist then 404 group_not_found / user_not_found', async () => {
    const a = await c.api.newUser('nf');
    expectProblem(await c.api.send({ group: MISSING_ID }, 'x', 1, a.token), 404, 'group_not_found');
    expectProblem(await c.api.send({ user: MISSING_ID }, 'x', 2, a.token), 404, 'user_not_found');
  });

  it("when the token's account does not exist (a database reset under the same secret) then 401 and nothing is written", async () => {
    const [, b] = await pair(c, 'ghost');
    // Signed with the server's own secret: only the account is missing.
    const ghost = c.servers[0]!.services.tokens.sign({ userId: MISSING_ID, clientId: 'gone' });
    const res = await c.api.send({ user: b.userId }, 'from nobody', 1, ghost);
    expectProblem(res, 401, 'invalid_token');
    expect((await c.api.get('/chats', b.token)).body).to.deep.equal([]);
  });

  it('when the target id is not a positive integer then 422', async () => {
    const a = await c.api.newUser('badtarget');
    for (const id of ['abc', '0', '1e3']) {
      const res = await c.api.post(`/messages/user/${id}`, { text: 'x', operation_id: 1 }, a.token);
      expectProblem(res, 422, 'validation_failed');
    }
  });

  it('when the paths end with a slash then they work as well', async () => {
    const [a, b] = await pair(c, 'slash');
    const sent = await c.api.post(
      `/messages/user/${b.userId}/`,
      { text: 'slash', operation_id: 1 },
      a.token,
    );
    expect(sent.status).to.equal(201);
    const login = await c.api.post('/login/', { email: 'test1@test.com', password: 'test' });
    expect(login.status).to.equal(200);
    const g = await c.api.post('/group/', { name: 'S', participant_user_ids: [] }, a.token);
    expect(g.status).to.equal(201);
  });
});

describe('message text and operation_id validation', () => {
  let c: Cluster;
  let a: Session;
  let b: Session;
  let op = 0;
  const send = (text: unknown, operationId: unknown = ++op) =>
    c.api.post(`/messages/user/${b.userId}`, { text, operation_id: operationId }, a.token);
  before(async () => {
    c = await startCluster();
    [a, b] = await pair(c, 'val');
  });
  after(() => c.close());

  it('when the text is empty or whitespace then 422', async () => {
    for (const text of ['', ' ', ' \n\t\u00a0 ']) {
      expectProblem(await send(text), 422, 'validation_failed');
    }
  });

  it('when the text is missing or not a string then 422', async () => {
    expectProblem(
      await c.api.post(`/messages/user/${b.userId}`, { operation_id: 1 }, a.token),
      422,
    );
    expectProblem(await send(42), 422);
    expectProblem(await send(null), 422);
  });

  it('when the text is 4000 emoji then 201 and stored exactly; 4001 then 422', async () => {
    const text = '😀'.repeat(4000);
    const res = await send(text);
    expect(res.status).to.equal(201);
    expect(res.body.text).to.equal(text);
    expectProblem(await send('😀'.repeat(4001)), 422, 'validation_failed');
  });

  it('when the text has surrounding spaces then it is stored as sent', async () => {
    const text = '  padded \n';
    const res = await send(text);
    expect(res.status).to.equal(201);
    expect(res.body.text).to.equal(text);
    const history = await c.api.get(`/history/${res.body.chat_id}?limit=1`, a.token);
    expect(history.body[0]).to.include({ id: res.body.id, text });
  });

  it('when the text holds a NUL character then 422, not 500', async () => {
    expectProblem(await send('a\u0000b'), 422, 'validation_failed');
  });

  it('when the text is a lone surrogate in raw JSON then 422', async () => {
    for (const escaped of ['\\ud800', 'a\\udc00b']) {
      const res = await c.api.request('POST', `/messages/user/${b.userId}`, {
        raw: `{"text":"${escaped}","operation_id":${++op}}`,
        headers: { 'content-type': 'application/json' },
        token: a.token,
      });
      expectProblem(res, 422, 'validation_failed');
    }
  });

  it('when operation_id is outside [-32768, 32767] or not an integer then 422', async () => {
    for (const id of [32768, -32769, 1.5, '7', null]) {
      expectProblem(await send('x', id), 422, 'validation_failed');
    }
    const missing = await c.api.post(`/messages/user/${b.userId}`, { text: 'x' }, a.token);
    expectProblem(missing, 422, 'validation_failed');
    expect((await send('lowest', -32768)).status).to.equal(201);
    expect((await send('highest', 32767)).status).to.equal(201);
  });
});

describe('idempotent sends', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
  });
  after(() => c.close());

  it('when the same request comes twice then 200 Idempotent-Replayed with the same message', async () => {
    const [a, b] = await pair(c, 'rep');
    const first = await c.api.send({ user: b.userId }, 'once', 5, a.token);
    const again = await c.api.send({ user: b.userId }, 'once', 5, a.token);
    expect(first.status).to.equal(201);
    expect(again.status).to.equal(200);
    expect(again.headers.get('idempotent-replayed')).to.equal('true');
    expect(again.body).to.deep.equal(first.body);
    const history = await c.api.get(`/history/${first.body.chat_id}`, a.token);
    expect(history.body).to.have.length(1);
  });

  it('when the same operation_id comes with another text then 422 without the other text', async () => {
    const [a, b] = await pair(c, 'conf');
    const secret = 'the original secret text';
    expect((await c.api.send({ user: b.userId }, secret, 9, a.token)).status).to.equal(201);
    const res = await c.api.send({ user: b.userId }, 'a different text', 9, a.token);
    expectProblem(res, 422, 'operation_id_conflict');
    expect(JSON.stringify(res.body)).not.to.contain(secret);
    // The original still replays.
    expect((await c.api.send({ user: b.userId }, secret, 9, a.token)).status).to.equal(200);
  });

  it('when the same operation_id comes with another target then 422 operation_id_conflict', async () => {
    const [a, b] = await pair(c, 'conft');
    const other = await c.api.newUser('conftc');
    const secret = 'sent to b only';
    expect((await c.api.send({ user: b.userId }, secret, 9, a.token)).status).to.equal(201);
    const res = await c.api.send({ user: other.userId }, secret, 9, a.token);
    expectProblem(res, 422, 'operation_id_conflict');
    expect(JSON.stringify(res.body)).not.to.contain(secret);
    const g = await c.api.newGroup(a, [b]);
    expectProblem(
      await c.api.send({ group: g.group_id }, secret, 9, a.token),
      422,
      'operation_id_conflict',
    );
    expect((await c.api.get('/chats', other.token)).body).to.deep.equal([]);
  });

  it('when two users use the same operation_id then each gets a message of their own', async () => {
    const [a, b] = await pair(c, 'two');
    const fromA = await c.api.send({ user: b.userId }, 'same', 3, a.token);
    const fromB = await c.api.send({ user: a.userId }, 'same', 3, b.token);
    expect([fromA.status, fromB.status]).to.deep.equal([201, 201]);
    expect(fromB.body.id).not.to.equal(fromA.body.id);
    expect(fromB.body.sender_id).to.equal(b.userId);
  });

  it('when a send fails then its operation_id is still free', async () => {
    const [a, b] = await pair(c, 'free');
    const g = await c.api.newGroup(b, []);
    expectProblem(await c.api.send({ group: g.group_id }, 'no', 11, a.token), 403);
    expectProblem(await c.api.send({ user: MISSING_ID }, 'no', 12, a.token), 404);
    expectProblem(await c.api.send({ group: MISSING_ID }, 'no', 13, a.token), 404);
    for (const op of [11, 12, 13]) {
      const res = await c.api.send({ user: b.userId }, `yes ${op}`, op, a.token);
      expect(res.status, `operation ${op}`).to.equal(201);
    }
  });
});

describe('request bodies', () => {
  let c: Cluster;
  let a: Session;
  let path: string;
  before(async () => {
    c = await startCluster();
    const [x, y] = await pair(c, 'body');
    a = x;
    path = `/messages/user/${y.userId}`;
  });
  after(() => c.close());

  it('when the body is text/plain then 415', async () => {
    const res = await c.api.request('POST', path, {
      raw: '{"text":"x","operation_id":1}',
      headers: { 'content-type': 'text/plain' },
      token: a.token,
    });
    expectProblem(res, 415, 'unsupported_media_type');
  });

  it('when the JSON is malformed then 400 malformed_json', async () => {
    const res = await c.api.request('POST', path, {
      raw: '{"text": "x", "operation_id": ',
      headers: { 'content-type': 'application/json' },
      token: a.token,
    });
    expectProblem(res, 400, 'malformed_json');
  });

  it('when the body is over 64 KiB then 413 payload_too_large', async () => {
    const res = await c.api.post(path, { text: 'x'.repeat(70_000), operation_id: 1 }, a.token);
    expectProblem(res, 413, 'payload_too_large');
  });

  it('when the body is missing then 422', async () => {
    expectProblem(await c.api.request('POST', path, { token: a.token }), 422);
  });
});

describe('POST /messages/read/{id}', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
  });
  after(() => c.close());

  const read = (id: number | string, s: Session) =>
    c.api.post(`/messages/read/${id}`, undefined, s.token);
  const isRead = async (chatId: number, s: Session) =>
    ((await c.api.get(`/history/${chatId}`, s.token)).body as any[]).map((m) => m.is_read);

  it('when reading a message then it and every earlier one are read, and the pointer never moves back', async () => {
    const [a, b] = await pair(c, 'rd');
    const sent: any[] = [];
    for (let i = 1; i <= 4; i++)
      sent.push((await c.api.send({ user: b.userId }, `m${i}`, i, a.token)).body);
    const chatId = sent[0].chat_id;

    const res = await read(sent[2].id, b);
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ chat_id: chatId, last_read_message_id: sent[2].id });
    expect(await isRead(chatId, a)).to.deep.equal([true, true, true, false]);

    const older = await read(sent[0].id, b);
    expect(older.status).to.equal(200);
    expect(older.body).to.deep.equal({ chat_id: chatId, last_read_message_id: sent[2].id });
    expect(await isRead(chatId, a)).to.deep.equal([true, true, true, false]);
    expect((await c.api.get('/chats', b.token)).body[0].unread_count).to.equal(1);
  });

  it("when the sender reads their own message then the peer's unread state is unchanged", async () => {
    const [a, b] = await pair(c, 'own');
    const m = (await c.api.send({ user: b.userId }, 'mine', 1, a.token)).body;
    expect((await read(m.id, a)).status).to.equal(200);
    expect(await isRead(m.chat_id, a)).to.deep.equal([false]);
  });

  it('when a non-member reads a message then 403 chat_forbidden', async () => {
    const [a, b] = await pair(c, 'rx');
    const outsider = await c.api.newUser('rxo');
    const m = (await c.api.send({ user: b.userId }, 'private', 1, a.token)).body;
    expectProblem(await read(m.id, outsider), 403, 'chat_forbidden');
  });

  it('when the message does not exist then 404 message_not_found', async () => {
    const a = await c.api.newUser('rnf');
    expectProblem(await read(MISSING_ID, a), 404, 'message_not_found');
  });

  it('when the message id is not a positive integer then 422', async () => {
    const a = await c.api.newUser('rbad');
    for (const id of ['abc', '0', '1e3']) expectProblem(await read(id, a), 422);
  });

  it('when in a group then is_read turns true only once every other member has read', async () => {
    const [a, b] = await pair(c, 'grd');
    const d = await c.api.newUser('grdd');
    const g = await c.api.newGroup(a, [b, d]);
    const m = (await c.api.send({ group: g.group_id }, 'all of you', 1, a.token)).body;
    expect(m.is_read).to.equal(false);
    await read(m.id, a);
    expect(await isRead(g.chat_id, a)).to.deep.equal([false]);
    await read(m.id, b);
    expect(await isRead(g.chat_id, a)).to.deep.equal([false]);
    await read(m.id, d);
    expect(await isRead(g.chat_id, a)).to.deep.equal([true]);
    expect(
      (await c.api.send({ group: g.group_id }, 'all of you', 1, a.token)).body.is_read,
    ).to.equal(true);
  });
});
