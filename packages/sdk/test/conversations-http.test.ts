/**
 * The v1.1 calls against nock, for what a real server cannot show: which of them are repeated
 * after a lost answer (retry policies), the exact request each one makes, and where
 * `leaveGroup` takes the caller's id from.
 */
import { expect } from 'chai';
import nock from 'nock';
import { MemoryTokenStore, MessengerClient, type MessengerClientOptions } from '../src/index.js';
import {
  GROUP,
  PROBLEM_JSON,
  USER,
  failure,
  freePort,
  loggedIn,
  message,
  problem,
  recorder,
} from './support/http-fixtures.js';

// As in transport.test.ts: interception only while this suite runs.
nock.restore();

const A = 'http://a.test';
const B = 'http://b.test';
const FAST = { baseDelayMs: 1, maxDelayMs: 5 };
const REACTIONS = { message_id: 5, reactions: [{ emoji: '👍', count: 1, me: true }] };

function client(options: MessengerClientOptions = {}): MessengerClient {
  return new MessengerClient({ hosts: [A, B], retry: FAST, tokenStore: loggedIn(), ...options });
}

/** An unsigned JWT-shaped token whose payload is `claims` (the client never verifies it). */
function jwt(claims: object): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.signature`;
}

describe('sdk v1.1 calls (nock)', function () {
  let unmatched: string[] = [];
  const onNoMatch = (req: { method?: string; href?: string }) =>
    unmatched.push(`${req.method} ${req.href}`);

  before(() => {
    nock.activate();
    nock.disableNetConnect();
    nock.emitter.on('no match', onNoMatch);
  });
  beforeEach(() => {
    unmatched = [];
  });
  afterEach(() => {
    nock.cleanAll();
    nock.disableNetConnect();
    // A closed local port is tried on purpose (its connection is refused); anything else is not.
    const unexpected = unmatched.filter((r) => !r.includes('//127.0.0.1:'));
    expect(unexpected, 'requests nobody expected').to.deep.equal([]);
  });
  after(() => {
    nock.emitter.removeListener('no match', onNoMatch);
    nock.enableNetConnect();
    nock.restore();
  });

  describe('the requests', () => {
    it('sends each change with its method, path and body', async () => {
      const bodies: unknown[] = [];
      const scope = nock(A)
        .post('/groups/7/members', recorder(bodies))
        .reply(200, GROUP)
        .delete('/groups/7/members/2')
        .reply(204)
        .patch('/groups/7', recorder(bodies))
        .reply(200, GROUP)
        .patch('/messages/5', recorder(bodies))
        .reply(200, message(5, 'new'))
        .delete('/messages/5')
        .reply(204)
        .put('/messages/5/reactions/%F0%9F%91%8D')
        .reply(200, REACTIONS)
        .delete('/messages/5/reactions/%F0%9F%91%8D')
        .reply(200, { message_id: 5, reactions: [] });
      const c = client();
      expect(await c.addMembers(7, [2, 3])).to.deep.equal(GROUP);
      expect(await c.removeMember(7, 2)).to.equal(undefined);
      expect(await c.renameGroup(7, 'renamed')).to.deep.equal(GROUP);
      expect(await c.editMessage(5, 'new')).to.deep.equal(message(5, 'new'));
      expect(await c.deleteMessage(5)).to.equal(undefined);
      expect(await c.react(5, '👍')).to.deep.equal(REACTIONS);
      expect(await c.unreact(5, '👍')).to.deep.equal({ message_id: 5, reactions: [] });
      expect(bodies).to.deep.equal([{ user_ids: [2, 3] }, { name: 'renamed' }, { text: 'new' }]);
      expect(scope.isDone()).to.be.true;
    });

    it('when an emoji holds URL syntax then its path segment is percent-encoded', async () => {
      nock(A).put('/messages/5/reactions/a%2Fb%3F%23%25').reply(200, REACTIONS);
      expect(await client().react(5, 'a/b?#%')).to.deep.equal(REACTIONS);
    });

    it('when an id or the emoji is invalid then nothing is sent: invalid_argument', async () => {
      for (const call of [
        client().react(5, ''),
        client().editMessage(0, 'x'),
        client().removeMember(7, -1),
        client().addMembers(1.5, [2]),
      ]) {
        const err = await failure(call);
        expect([err.status, err.code]).to.deep.equal([0, 'invalid_argument']);
      }
    });

    it('when a send replies then reply_to rides in the body; without replyTo the body is as before', async () => {
      const bodies: unknown[] = [];
      nock(A).post('/messages/group/7', recorder(bodies)).times(2).reply(201, message(6));
      const c = client();
      await c.sendToGroup(7, 'answer', { replyTo: 5, operationId: 1 });
      await c.sendToGroup(7, 'plain', { operationId: 2 });
      expect(bodies).to.deep.equal([
        { text: 'answer', reply_to: 5, operation_id: 1 },
        { text: 'plain', operation_id: 2 },
      ]);
    });

    it('when searching then q, chat_id, before and limit go in the query; iterateSearch pages with before = the last id', async () => {
      nock(A)
        .get('/search')
        .query({ q: 'two words', chat_id: '3', before: '90', limit: '5' })
        .reply(200, [message(80)]);
      expect(await client().search('two words', { chatId: 3, before: 90, limit: 5 })).to.deep.equal(
        [message(80)],
      );
      nock(A)
        .get('/search')
        .query({ q: 'x', limit: '2' })
        .reply(200, [message(9), message(7)])
        .get('/search')
        .query({ q: 'x', limit: '2', before: '7' })
        .reply(200, [message(4), message(2)])
        .get('/search')
        .query({ q: 'x', limit: '2', before: '2' })
        .reply(200, []);
      const ids: number[] = [];
      for await (const m of client().iterateSearch('x', { pageSize: 2 })) ids.push(m.id);
      expect(ids).to.deep.equal([9, 7, 4, 2]);
    });
  });

  describe('retry policies', () => {
    type Case = [
      name: string,
      call: (c: MessengerClient) => Promise<unknown>,
      at: (host: string) => nock.Interceptor,
      status: number,
      body?: nock.Body,
    ];
    const idempotent: Case[] = [
      [
        'addMembers',
        (c) => c.addMembers(7, [2]),
        (h) => nock(h).post('/groups/7/members'),
        200,
        GROUP,
      ],
      ['renameGroup', (c) => c.renameGroup(7, 'x'), (h) => nock(h).patch('/groups/7'), 200, GROUP],
      [
        'editMessage',
        (c) => c.editMessage(5, 'x'),
        (h) => nock(h).patch('/messages/5'),
        200,
        message(5),
      ],
      ['deleteMessage', (c) => c.deleteMessage(5), (h) => nock(h).delete('/messages/5'), 204],
      [
        'react',
        (c) => c.react(5, 'ok'),
        (h) => nock(h).put('/messages/5/reactions/ok'),
        200,
        REACTIONS,
      ],
      [
        'unreact',
        (c) => c.unreact(5, 'ok'),
        (h) => nock(h).delete('/messages/5/reactions/ok'),
        200,
        REACTIONS,
      ],
      ['search', (c) => c.search('x'), (h) => nock(h).get('/search').query(true), 200, []],
    ];

    for (const [name, call, at, status, body] of idempotent) {
      it(`when ${name} meets a 503 then it is repeated on the next host (it is idempotent)`, async () => {
        at(A).reply(503, problem(503, 'unavailable'), PROBLEM_JSON);
        const other = at(B).reply(status, body);
        await call(client());
        expect(other.isDone()).to.be.true;
      });
    }

    it('when removeMember meets a 503 then it is not repeated (a repeat would see 404 for a removal that worked)', async () => {
      nock(A).delete('/groups/7/members/2').reply(503, problem(503, 'x'), PROBLEM_JSON);
      const other = nock(B).delete('/groups/7/members/2').reply(204);
      const err = await failure(client().removeMember(7, 2));
      expect([err.status, other.isDone()]).to.deep.equal([503, false]);
    });

    it('when leaveGroup meets a 503 then it is not repeated either; refused connections fail over', async () => {
      const tokenStore = loggedIn({ accessToken: jwt({ sub: '1', client_id: 'x' }) });
      nock(A).delete('/groups/7/members/1').reply(503, problem(503, 'x'), PROBLEM_JSON);
      const other = nock(B).delete('/groups/7/members/1').reply(204);
      const err = await failure(client({ tokenStore }).leaveGroup(7));
      expect([err.status, other.isDone()]).to.deep.equal([503, false]);
      nock.cleanAll();
      nock.enableNetConnect('127.0.0.1');
      const closed = `http://127.0.0.1:${await freePort()}`;
      const again = nock(B).delete('/groups/7/members/1').reply(204);
      await client({ tokenStore, hosts: [closed, B] }).leaveGroup(7);
      expect(again.isDone()).to.be.true;
    });
  });

  describe('leaveGroup: whose id', () => {
    it('when the access token is a JWT then its sub is the id, and no /me is asked', async () => {
      const tokenStore = loggedIn({ accessToken: jwt({ sub: '42', client_id: 'x' }) });
      const scope = nock(A).delete('/groups/7/members/42').reply(204);
      await client({ tokenStore }).leaveGroup(7);
      expect(scope.isDone()).to.be.true;
    });

    it('when the token says nothing readable then /me is asked once per login', async () => {
      const tokenStore = new MemoryTokenStore();
      const login = {
        access_token: 'opaque',
        refresh_token: 'r',
        token_type: 'bearer',
        expires_in: 900,
      };
      const scope = nock(A)
        .post('/login')
        .reply(200, login)
        .get('/me')
        .reply(200, USER)
        .delete('/groups/7/members/1')
        .reply(204)
        .delete('/groups/8/members/1')
        .reply(204)
        .post('/login')
        .reply(200, login)
        .get('/me')
        .reply(200, { ...USER, id: 9 })
        .delete('/groups/7/members/9')
        .reply(204);
      const c = client({ tokenStore, hosts: [A] });
      await c.login({ email: USER.email, password: 'x' });
      await c.leaveGroup(7);
      await c.leaveGroup(8);
      // Another login (perhaps another user): the id is asked again.
      await c.login({ email: 'someone@else.com', password: 'x' });
      await c.leaveGroup(7);
      expect(scope.isDone()).to.be.true;
    });

    it('when not logged in then not_logged_in, and nothing is sent', async () => {
      const err = await failure(client({ tokenStore: new MemoryTokenStore() }).leaveGroup(7));
      expect([err.status, err.code]).to.deep.equal([401, 'not_logged_in']);
    });
  });
});
