/**
 * v1.1 — conversations that change (contract section of the same name): membership, owners,
 * edits, tombstones, replies, reactions and search, over two instances with live sockets.
 */
import { expect } from 'chai';
import pg from 'pg';
import { startCluster, type Api, type Cluster, type Session } from './support/harness.js';
import { expectProblem } from './support/problem.js';
import { openSocket, type TestSocket, unplaced } from './support/sockets.js';

/** Waits until `socket` answers a Ping: every frame sent to it before is in `frames` by then. */
async function settle(socket: TestSocket): Promise<void> {
  const pongs = socket.frames.filter((f) => f.type === 'Pong').length;
  socket.send({ type: 'Ping' });
  await socket.collect((f) => f.type === 'Pong', pongs + 1);
}

describe('v1.1: conversations that change', function () {
  this.timeout(30_000);
  let c: Cluster;
  let a: Api;
  let b: Api;
  before(async () => {
    c = await startCluster({ instances: 2, maxGroupMembers: 6 });
    [a, b] = c.apis as [Api, Api];
  });
  after(() => c.close());

  async function people(n: number): Promise<Session[]> {
    return Promise.all(Array.from({ length: n }, (_, i) => a.newUser(`p${i}`)));
  }

  describe('membership', () => {
    it('when the owner adds people then they are in, read the whole history with nothing unread, and hear of it live', async () => {
      const [owner, old, added] = await people(3);
      const g = await a.newGroup(owner!, [old!]);
      const first = await a.send({ group: g.group_id }, 'before you came', 1, old!.token);
      const oldSocket = await openSocket(b.baseUrl, `/ws/${g.chat_id}`, old!.token);
      const addedSocket = await openSocket(b.baseUrl, '/ws', added!.token);
      const res = await a.post(
        `/groups/${g.group_id}/members`,
        { user_ids: [added!.userId, old!.userId] },
        owner!.token,
      );
      expect(res.status).to.equal(200);
      expect(res.body.member_ids).to.deep.equal(
        [owner!.userId, old!.userId, added!.userId].sort((x, y) => x - y),
      );
      for (const s of [oldSocket, addedSocket]) {
        // (Not the group's creation, which an engine bus may relay after the socket opened.)
        const event = await s.next(
          (f) => f.type === 'MembersChanged' && f.added.includes(added!.userId),
        );
        expect(unplaced(event)).to.deep.equal({
          type: 'MembersChanged',
          chat_id: g.chat_id,
          group_id: g.group_id,
          added: [added!.userId],
          removed: [],
          owner_id: owner!.userId,
        });
      }
      const [chat] = (await b.get('/chats', added!.token)).body;
      expect(chat).to.include({ chat_id: g.chat_id, unread_count: 0, owner_id: owner!.userId });
      const history = (await b.get(`/history/${g.chat_id}`, added!.token)).body;
      expect(history.map((m: any) => m.id)).to.deep.equal([first.body.id]);
      // From now on the chat's messages reach the newcomer's /ws.
      const hello = await a.send({ group: g.group_id }, 'welcome', 1, owner!.token);
      await addedSocket.next((f) => f.type === 'Message' && f.message.id === hello.body.id);
      await Promise.all([oldSocket.close(), addedSocket.close()]);
    });

    it('when the caller is not the owner, the user unknown, or the group full then nothing is added', async () => {
      const [owner, member, outsider, x, y, z, w] = await people(7);
      const g = await a.newGroup(owner!, [member!]);
      const add = (token: string, ids: number[]) =>
        a.post(`/groups/${g.group_id}/members`, { user_ids: ids }, token);
      expectProblem(await add(member!.token, [x!.userId]), 403, 'not_group_owner');
      expectProblem(await add(outsider!.token, [x!.userId]), 403, 'chat_forbidden');
      expectProblem(await add(owner!.token, [x!.userId, 999_999]), 404, 'user_not_found');
      expectProblem(
        await add(owner!.token, [x!.userId, y!.userId, z!.userId, w!.userId, outsider!.userId]),
        422,
        'group_too_large',
      );
      expectProblem(await add(owner!.token, []), 422, 'validation_failed');
      expectProblem(
        await a.post('/groups/999999/members', { user_ids: [x!.userId] }, owner!.token),
        404,
        'group_not_found',
      );
      const now = (await a.get(`/groups/${g.group_id}`, owner!.token)).body;
      expect(now.member_ids).to.have.length(2);
    });

    it('when the owner removes someone then, on every instance, the chat is gone for them and their sockets stop', async () => {
      const [owner, stays, removed] = await people(3);
      const g = await a.newGroup(owner!, [stays!, removed!]);
      const m = await a.send({ group: g.group_id }, 'hello all', 1, stays!.token);
      const chatSocket = await openSocket(b.baseUrl, `/ws/${g.chat_id}`, removed!.token);
      const allSocket = await openSocket(b.baseUrl, '/ws', removed!.token);
      const staysSocket = await openSocket(b.baseUrl, '/ws', stays!.token);
      const res = await a.request('DELETE', `/groups/${g.group_id}/members/${removed!.userId}`, {
        token: owner!.token,
      });
      expect(res.status).to.equal(204);
      expect((await chatSocket.closed).code).to.equal(4403);
      // (Not the group's creation, which an engine bus may relay after the socket opened.)
      const isRemoval = (f: any) => f.type === 'MembersChanged' && f.removed.length > 0;
      const event = await allSocket.next(isRemoval);
      expect(event).to.include({ chat_id: g.chat_id, owner_id: owner!.userId });
      expect(event.removed).to.deep.equal([removed!.userId]);
      await staysSocket.next(isRemoval);
      // Nothing more of the chat reaches the removed user, while the others still get it.
      const after = await a.send({ group: g.group_id }, 'after the removal', 2, owner!.token);
      await staysSocket.next((f) => f.message?.id === after.body.id);
      await settle(allSocket);
      expect(allSocket.frames.some((f) => f.message?.id === after.body.id)).to.be.false;
      // Every door is closed, on both instances.
      for (const api of [a, b]) {
        expect(
          (await api.get('/chats', removed!.token)).body.map((x: any) => x.chat_id),
        ).to.not.include(g.chat_id);
        expectProblem(
          await api.get(`/history/${g.chat_id}`, removed!.token),
          403,
          'chat_forbidden',
        );
        expectProblem(
          await api.send({ group: g.group_id }, 'let me in', 3, removed!.token),
          403,
          'chat_forbidden',
        );
        expectProblem(
          await api.post(`/messages/read/${m.body.id}`, undefined, removed!.token),
          403,
          'chat_forbidden',
        );
        expectProblem(
          await api.request('PUT', `/messages/${m.body.id}/reactions/${encodeURIComponent('👍')}`, {
            token: removed!.token,
          }),
          403,
          'chat_forbidden',
        );
        expectProblem(
          await api.get(`/groups/${g.group_id}`, removed!.token),
          403,
          'chat_forbidden',
        );
      }
      const refused = await openSocket(a.baseUrl, `/ws/${g.chat_id}`, removed!.token).then(
        () => 0,
        (err: { status: number }) => err.status,
      );
      expect(refused).to.equal(403);
      allSocket.send({ type: 'Typing', chat_id: g.chat_id });
      expect((await allSocket.next((f) => f.type === 'Error')).code).to.equal('chat_forbidden');
      await Promise.all([allSocket.close(), staysSocket.close()]);
    });

    it('when a member removes someone else then 403 not_group_owner; a non-member target is 404 member_not_found', async () => {
      const [owner, member, other, stranger] = await people(4);
      const g = await a.newGroup(owner!, [member!, other!]);
      expectProblem(
        await a.request('DELETE', `/groups/${g.group_id}/members/${other!.userId}`, {
          token: member!.token,
        }),
        403,
        'not_group_owner',
      );
      expectProblem(
        await a.request('DELETE', `/groups/${g.group_id}/members/${stranger!.userId}`, {
          token: owner!.token,
        }),
        404,
        'member_not_found',
      );
    });

    it('when the owner leaves then the member who joined earliest owns the group', async () => {
      const [owner, first, later] = await people(3);
      const g = await a.newGroup(owner!, [first!]);
      await a.post(`/groups/${g.group_id}/members`, { user_ids: [later!.userId] }, owner!.token);
      const socket = await openSocket(b.baseUrl, '/ws', later!.token);
      expect(
        (
          await b.request('DELETE', `/groups/${g.group_id}/members/${owner!.userId}`, {
            token: owner!.token,
          })
        ).status,
      ).to.equal(204);
      const event = await socket.next((f) => f.type === 'MembersChanged' && f.removed.length > 0);
      expect(event.owner_id).to.equal(first!.userId);
      const now = (await a.get(`/groups/${g.group_id}`, later!.token)).body;
      expect(now).to.include({ owner_id: first!.userId, creator_id: owner!.userId });
      // The new owner may rename; the former one may not even look.
      expect(
        (
          await a.request('PATCH', `/groups/${g.group_id}`, {
            body: { name: 'Ours' },
            token: first!.token,
          })
        ).status,
      ).to.equal(200);
      expectProblem(await a.get(`/groups/${g.group_id}`, owner!.token), 403, 'chat_forbidden');
      await socket.close();
    });

    it('when the owner renames the group then ChatUpdated, and /chats titles it so; others may not rename', async () => {
      const [owner, member] = await people(2);
      const g = await a.newGroup(owner!, [member!]);
      const socket = await openSocket(b.baseUrl, '/ws', member!.token);
      const res = await a.request('PATCH', `/groups/${g.group_id}`, {
        body: { name: 'Renamed' },
        token: owner!.token,
      });
      expect(res.status).to.equal(200);
      expect(res.body.name).to.equal('Renamed');
      expect(unplaced(await socket.next((f) => f.type === 'ChatUpdated'))).to.deep.equal({
        type: 'ChatUpdated',
        chat_id: g.chat_id,
        group_id: g.group_id,
        name: 'Renamed',
      });
      expect((await b.get('/chats', member!.token)).body[0].title).to.equal('Renamed');
      expectProblem(
        await a.request('PATCH', `/groups/${g.group_id}`, {
          body: { name: 'Mine' },
          token: member!.token,
        }),
        403,
        'not_group_owner',
      );
      expectProblem(
        await a.request('PATCH', `/groups/${g.group_id}`, {
          body: { name: '  ' },
          token: owner!.token,
        }),
        422,
        'validation_failed',
      );
      await socket.close();
    });

    it('when a leave completes the readers of a message then its sender gets Read once, with no reader', async () => {
      const [sender, reader, idle] = await people(3);
      const g = await a.newGroup(sender!, [reader!, idle!]);
      const m = await a.send({ group: g.group_id }, 'read me', 1, sender!.token);
      const socket = await openSocket(b.baseUrl, '/ws', sender!.token);
      await a.post(`/messages/read/${m.body.id}`, undefined, reader!.token);
      await settle(socket);
      expect(socket.frames.some((f) => f.type === 'Read')).to.be.false;
      await b.request('DELETE', `/groups/${g.group_id}/members/${idle!.userId}`, {
        token: idle!.token,
      });
      expect(unplaced(await socket.next((f) => f.type === 'Read'))).to.deep.equal({
        type: 'Read',
        chat_id: g.chat_id,
        message_id: m.body.id,
        reader_ids: [],
      });
      await settle(socket);
      expect(socket.frames.filter((f) => f.type === 'Read')).to.have.length(1);
      expect((await a.get(`/history/${g.chat_id}`, sender!.token)).body[0].is_read).to.be.true;
      await socket.close();
    });
  });

  describe('editing and deleting', () => {
    it('when the sender edits then edited_at is set and others get MessageEdited; the same text again changes nothing', async () => {
      const [alice, bob] = await people(2);
      const m = (await a.send({ user: bob!.userId }, 'helo', 1, alice!.token)).body;
      const socket = await openSocket(b.baseUrl, '/ws', bob!.token);
      const res = await a.request('PATCH', `/messages/${m.id}`, {
        body: { text: 'hello' },
        token: alice!.token,
      });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ id: m.id, text: 'hello', deleted: false });
      expect(Date.parse(res.body.edited_at)).to.be.at.least(Date.parse(m.timestamp));
      const event = await socket.next((f) => f.type === 'MessageEdited');
      expect(event.message).to.include({ id: m.id, text: 'hello', edited_at: res.body.edited_at });
      const again = await a.request('PATCH', `/messages/${m.id}`, {
        body: { text: 'hello' },
        token: alice!.token,
      });
      expect(again.body.edited_at).to.equal(res.body.edited_at);
      await settle(socket);
      expect(socket.frames.filter((f) => f.type === 'MessageEdited')).to.have.length(1);
      expectProblem(
        await b.request('PATCH', `/messages/${m.id}`, {
          body: { text: 'mine now' },
          token: bob!.token,
        }),
        403,
        'not_message_sender',
      );
      expectProblem(
        await b.request('PATCH', `/messages/${m.id}`, { body: { text: ' ' }, token: alice!.token }),
        422,
        'validation_failed',
      );
      expectProblem(
        await b.request('PATCH', '/messages/999999', { body: { text: 'x' }, token: alice!.token }),
        404,
        'message_not_found',
      );
      await socket.close();
    });

    it('when deleted then a tombstone stays (no text, no reactions, not unread, not found), once; the group owner may delete too', async () => {
      const [owner, member, third] = await people(3);
      const g = await a.newGroup(owner!, [member!, third!]);
      const m = (await a.send({ group: g.group_id }, 'oops secret', 1, member!.token)).body;
      await a.request('PUT', `/messages/${m.id}/reactions/${encodeURIComponent('😮')}`, {
        token: third!.token,
      });
      expect((await a.get('/chats', third!.token)).body[0].unread_count).to.equal(1);
      const socket = await openSocket(b.baseUrl, '/ws', third!.token);
      expectProblem(
        await a.request('DELETE', `/messages/${m.id}`, { token: third!.token }),
        403,
        'not_message_sender',
      );
      expect(
        (await a.request('DELETE', `/messages/${m.id}`, { token: member!.token })).status,
      ).to.equal(204);
      expect(unplaced(await socket.next((f) => f.type === 'MessageDeleted'))).to.deep.equal({
        type: 'MessageDeleted',
        chat_id: g.chat_id,
        message_id: m.id,
      });
      expect(
        (await b.request('DELETE', `/messages/${m.id}`, { token: member!.token })).status,
      ).to.equal(204);
      await settle(socket);
      expect(socket.frames.filter((f) => f.type === 'MessageDeleted')).to.have.length(1);
      const [tomb] = (await b.get(`/history/${g.chat_id}`, third!.token)).body;
      expect(tomb).to.include({ id: m.id, text: '', deleted: true });
      expect(tomb.reactions).to.deep.equal([]);
      expect((await a.get('/chats', third!.token)).body[0].unread_count).to.equal(0);
      expect((await a.get('/search?q=secret', third!.token)).body).to.deep.equal([]);
      expectProblem(
        await a.request('PATCH', `/messages/${m.id}`, {
          body: { text: 'x' },
          token: member!.token,
        }),
        409,
        'message_deleted',
      );
      expectProblem(
        await a.request('PUT', `/messages/${m.id}/reactions/${encodeURIComponent('👍')}`, {
          token: third!.token,
        }),
        409,
        'message_deleted',
      );
      // The owner deletes someone else's message.
      const other = (await a.send({ group: g.group_id }, 'spam', 2, member!.token)).body;
      expect(
        (await a.request('DELETE', `/messages/${other.id}`, { token: owner!.token })).status,
      ).to.equal(204);
      await socket.close();
    });
  });

  describe('replies', () => {
    it('when a send replies to a message of the same chat then reply_to is kept; another chat is 422; it binds the operation id', async () => {
      const [alice, bob, carol] = await people(3);
      const q = (await a.send({ user: bob!.userId }, 'a question', 1, alice!.token)).body;
      const elsewhere = (await a.send({ user: carol!.userId }, 'not here', 2, alice!.token)).body;
      const reply = await b.post(
        `/messages/user/${alice!.userId}`,
        { text: 'an answer', reply_to: q.id, operation_id: 5 },
        bob!.token,
      );
      expect(reply.status).to.equal(201);
      expect(reply.body.reply_to).to.equal(q.id);
      const replay = await a.post(
        `/messages/user/${alice!.userId}`,
        { text: 'an answer', reply_to: q.id, operation_id: 5 },
        bob!.token,
      );
      expect(replay.status).to.equal(200);
      expect(replay.body).to.deep.equal(reply.body);
      expectProblem(
        await a.post(
          `/messages/user/${alice!.userId}`,
          { text: 'an answer', operation_id: 5 },
          bob!.token,
        ),
        422,
        'operation_id_conflict',
      );
      expectProblem(
        await a.post(
          `/messages/user/${alice!.userId}`,
          { text: 'x', reply_to: elsewhere.id, operation_id: 6 },
          bob!.token,
        ),
        422,
        'reply_to_invalid',
      );
      expectProblem(
        await a.post(
          `/messages/user/${carol!.userId}`,
          { text: 'x', reply_to: q.id, operation_id: 7 },
          bob!.token,
        ),
        422,
        'reply_to_invalid',
      );
      // A refused reply used up nothing: the id is free for another message.
      expect(
        (
          await a.post(
            `/messages/user/${alice!.userId}`,
            { text: 'fine', operation_id: 6 },
            bob!.token,
          )
        ).status,
      ).to.equal(201);
      expect(
        (await b.get(`/history/${q.chat_id}`, alice!.token)).body.find(
          (m: any) => m.id === reply.body.id,
        ).reply_to,
      ).to.equal(q.id);
    });
  });

  describe('reactions', () => {
    it('when members react then counts (most used first) with me, idempotent, live, and removable', async () => {
      const [alice, bob, carol] = await people(3);
      const g = await a.newGroup(alice!, [bob!, carol!]);
      const m = (await a.send({ group: g.group_id }, 'vote', 1, alice!.token)).body;
      const socket = await openSocket(b.baseUrl, '/ws', alice!.token);
      const put = (api: Api, s: Session, emoji: string) =>
        api.request('PUT', `/messages/${m.id}/reactions/${encodeURIComponent(emoji)}`, {
          token: s.token,
        });
      expect((await put(a, bob!, '👍')).body).to.deep.equal({
        message_id: m.id,
        reactions: [{ emoji: '👍', count: 1, me: true }],
      });
      await put(b, carol!, '❤️');
      await put(b, carol!, '👍');
      const twice = await put(a, carol!, '👍');
      expect(twice.body.reactions).to.deep.equal([
        { emoji: '👍', count: 2, me: true },
        { emoji: '❤️', count: 1, me: true },
      ]);
      const seen = (await a.get(`/history/${g.chat_id}`, alice!.token)).body[0].reactions;
      expect(seen).to.deep.equal([
        { emoji: '👍', count: 2, me: false },
        { emoji: '❤️', count: 1, me: false },
      ]);
      const events = await socket.collect((f) => f.type === 'Reaction', 3);
      expect(unplaced(events[0])).to.deep.equal({
        type: 'Reaction',
        chat_id: g.chat_id,
        message_id: m.id,
        emoji: '👍',
        user_id: bob!.userId,
        added: true,
      });
      const removed = await b.request(
        'DELETE',
        `/messages/${m.id}/reactions/${encodeURIComponent('👍')}`,
        { token: bob!.token },
      );
      // A tie: the kind that came first comes first (carol's ❤️ before her 👍).
      expect(removed.body.reactions).to.deep.equal([
        { emoji: '❤️', count: 1, me: false },
        { emoji: '👍', count: 1, me: false },
      ]);
      await b.request('DELETE', `/messages/${m.id}/reactions/${encodeURIComponent('👍')}`, {
        token: bob!.token,
      });
      await socket.next((f) => f.type === 'Reaction' && !f.added);
      await settle(socket);
      expect(socket.frames.filter((f) => f.type === 'Reaction')).to.have.length(4);
      await socket.close();
    });

    it('when an emoji is not one, or the message already has 20 different ones, then 422', async () => {
      const [alice, bob] = await people(2);
      const m = (await a.send({ user: bob!.userId }, 'react', 1, alice!.token)).body;
      const put = (emoji: string) =>
        a.request('PUT', `/messages/${m.id}/reactions/${encodeURIComponent(emoji)}`, {
          token: bob!.token,
        });
      for (const bad of ['a b', '\u0007', 'x'.repeat(17), '\u200b', ' ']) {
        expectProblem(await put(bad), 422, 'validation_failed');
      }
      expect((await put('👨‍👩‍👧')).status).to.equal(200);
      const emoji = [...'🍎🍐🍊🍋🍌🍉🍇🍓🫐🍈🍒🍑🥭🍍🥥🥝🍅🥑🥦'];
      for (const e of emoji) expect((await put(e)).status, e).to.equal(200);
      expectProblem(await put('🌶'), 422, 'too_many_reactions');
      // An emoji already there is not a new kind: alice may add hers.
      expect(
        (
          await a.request('PUT', `/messages/${m.id}/reactions/${encodeURIComponent('🍎')}`, {
            token: alice!.token,
          })
        ).status,
      ).to.equal(200);
    });
  });

  describe('right after open', () => {
    it('when a change comes while the socket still waits for its lease then it is delivered', async () => {
      const [alice, bob] = await people(2);
      const m = (await a.send({ user: bob!.userId }, 'react to me', 1, alice!.token)).body;
      // The lease claim of bob's socket waits on this lock: the socket is open, not yet leased.
      const db = new pg.Client({ connectionString: c.databaseUrl });
      await db.connect();
      try {
        await db.query('SELECT pg_advisory_lock(7236, $1)', [bob!.userId]);
        const socket = await openSocket(b.baseUrl, `/ws/${m.chat_id}`, bob!.token);
        await a.request('PUT', `/messages/${m.id}/reactions/${encodeURIComponent('👍')}`, {
          token: alice!.token,
        });
        await db.query('SELECT pg_advisory_unlock(7236, $1)', [bob!.userId]);
        await socket.next((f) => f.type === 'Reaction' && f.message_id === m.id);
        await socket.close();
      } finally {
        await db.end();
      }
    });
  });

  describe('search', () => {
    it('when searching then every word must start a word, case-insensitive in any script, newest first, only your chats, paged', async () => {
      const [alice, bob, eve] = await people(3);
      const texts = [
        'Привет, МИР и всё',
        'ΚΑΛΗΜΕΡΑ κόσμε',
        'Straße und Fluss',
        'привет снова',
        'unrelated words',
      ];
      const ids: number[] = [];
      for (const [i, t] of texts.entries())
        ids.push((await a.send({ user: bob!.userId }, t, i, alice!.token)).body.id);
      await a.send({ user: alice!.userId }, 'привет от евы', 1, eve!.token);
      const find = async (q: string, token = bob!.token, extra = '') =>
        ((await b.get(`/search?q=${encodeURIComponent(q)}${extra}`, token)).body as any[]).map(
          (m) => m.id,
        );
      expect(await find('ПРИВЕТ')).to.deep.equal([ids[3], ids[0]]);
      expect(await find('при ми')).to.deep.equal([ids[0]]);
      expect(await find('καλημέρα')).to.deep.equal([]); // accents are letters, not case
      expect(await find('καλημερα')).to.deep.equal([ids[1]]);
      expect(await find('STRASSE')).to.deep.equal([]);
      expect(await find('straße')).to.deep.equal([ids[2]]);
      expect(await find('ивет')).to.deep.equal([]); // a word's start, not its middle
      expect(await find('!!!')).to.deep.equal([]);
      expect(await find('привет', alice!.token)).to.have.length(3); // hers with bob, and eve's
      expect(await find('привет', bob!.token, `&limit=1`)).to.deep.equal([ids[3]]);
      expect(await find('привет', bob!.token, `&before=${ids[3]}`)).to.deep.equal([ids[0]]);
      const [eveChat] = (await a.get('/chats', eve!.token)).body;
      expectProblem(
        await b.get(`/search?q=x&chat_id=${eveChat.chat_id}`, bob!.token),
        403,
        'chat_forbidden',
      );
      expectProblem(await b.get(`/search?q=`, bob!.token), 422, 'validation_failed');
      expectProblem(
        await b.get(`/search?q=${'x'.repeat(201)}`, bob!.token),
        422,
        'validation_failed',
      );
      // An edit is found by its new words only.
      await a.request('PATCH', `/messages/${ids[4]}`, {
        body: { text: 'changed entirely' },
        token: alice!.token,
      });
      expect(await find('unrelated')).to.deep.equal([]);
      expect(await find('entire')).to.deep.equal([ids[4]]);
    });
  });
});
