/**
 * Transport failure cases against nock: timeouts, retries, failover, race, token refresh, aborts
 * and operation id conflicts. No server runs; hosts are fake names that only nock answers.
 */
import { expect } from 'chai';
import nock from 'nock';
import {
  MemoryTokenStore,
  MessengerClient,
  type MessengerClientOptions,
  type TokenStore,
} from '../src/index.js';
import {
  GROUP,
  PROBLEM_JSON,
  USER,
  failure,
  freePort,
  loggedIn,
  message,
  pair,
  problem,
  recorder,
  slowStore,
} from './support/http-fixtures.js';

// nock intercepts as soon as it is imported; the other suites of this process talk to real
// servers, so interception is switched on only while this suite runs.
nock.restore();

const A = 'http://a.test';
const B = 'http://b.test';
const FAST = { baseDelayMs: 1, maxDelayMs: 5 };

function client(options: MessengerClientOptions = {}): MessengerClient {
  return new MessengerClient({ hosts: [A, B], retry: FAST, tokenStore: loggedIn(), ...options });
}

describe('sdk transport (nock)', function () {
  /** Requests that reached no interceptor: a host that should not have been called, or a repeat. */
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
  });
  after(() => {
    nock.emitter.removeListener('no match', onNoMatch);
    nock.enableNetConnect();
    nock.restore();
  });

  describe('failover and retries', () => {
    it('when a host does not answer within timeoutMs then the next host answers', async () => {
      const slow = nock(A)
        .get('/me')
        .delay(2000)
        .reply(200, { ...USER, name: 'slow' });
      const fast = nock(B).get('/me').reply(200, USER);
      const started = Date.now();
      expect(await client({ timeoutMs: 150 }).me()).to.deep.equal(USER);
      expect(Date.now() - started).to.be.lessThan(1500);
      expect(slow.isDone() && fast.isDone()).to.be.true;
    });

    it('when every try times out then it rejects with code timeout and status 0', async () => {
      nock(A).get('/me').delay(2000).reply(200, USER);
      const err = await failure(
        client({ hosts: [A], timeoutMs: 100, retry: { ...FAST, attempts: 1 } }).me(),
      );
      expect([err.status, err.code]).to.deep.equal([0, 'timeout']);
    });

    it('when a host answers 503 then the request is retried and succeeds', async () => {
      const scope = nock(A).get('/chats').reply(503, problem(503, 'unavailable'), PROBLEM_JSON);
      scope.get('/chats').reply(200, []);
      expect(await client({ hosts: [A] }).chats()).to.deep.equal([]);
      expect(scope.isDone()).to.be.true;
    });

    it('when a host answers 429 with Retry-After: 1 then the retry waits about a second', async () => {
      const scope = nock(A).get('/me').reply(429, problem(429, 'too_many'), { 'retry-after': '1' });
      scope.get('/me').reply(200, USER);
      const started = Date.now();
      expect(await client({ hosts: [A] }).me()).to.deep.equal(USER);
      expect(Date.now() - started).to.be.at.least(900);
      expect(scope.isDone()).to.be.true;
    });

    for (const status of [400, 403, 404, 409, 422]) {
      it(`when a host answers ${status} then neither a read nor a send is tried again anywhere`, async () => {
        const scope = nock(A)
          .get('/groups/7')
          .reply(status, problem(status, `e${status}`), PROBLEM_JSON)
          .post('/messages/group/7')
          .reply(status, problem(status, `e${status}`), PROBLEM_JSON);
        const other = nock(B)
          .get('/groups/7')
          .reply(200, GROUP)
          .post('/messages/group/7')
          .reply(201, message(1));
        const c = client();
        expect((await failure(c.group(7))).status).to.equal(status);
        expect((await failure(c.sendToGroup(7, 'hi'))).code).to.equal(`e${status}`);
        expect(scope.isDone()).to.be.true;
        expect(other.pendingMocks()).to.have.length(2);
        expect(unmatched).to.deep.equal([]);
      });
    }

    it('when a host refuses connections then even a non-idempotent call fails over', async () => {
      nock.enableNetConnect('127.0.0.1');
      const closedPort = await freePort();
      const scope = nock(B).post('/group').reply(201, GROUP);
      const c = client({ hosts: [`http://127.0.0.1:${closedPort}`, B] });
      expect(await c.createGroup({ name: 'team', participantUserIds: [2] })).to.deep.equal(GROUP);
      expect(scope.isDone()).to.be.true;
    });

    it('when the first host is http://127.0.0.1:1 (no server) then a read fails over', async () => {
      nock.enableNetConnect('127.0.0.1');
      nock(B).get('/me').reply(200, USER);
      expect(await client({ hosts: ['http://127.0.0.1:1', B] }).me()).to.deep.equal(USER);
    });

    it('when createGroup meets a 500 then it is not repeated (the group may exist)', async () => {
      nock(A).post('/group').reply(500, problem(500, 'internal_error'), PROBLEM_JSON);
      const other = nock(B).post('/group').reply(201, GROUP);
      const err = await failure(client().createGroup({ name: 'team', participantUserIds: [2] }));
      expect([err.status, err.code]).to.deep.equal([500, 'internal_error']);
      expect(other.isDone()).to.be.false;
    });

    it('when createGroup meets a 429 then it is repeated (the server did not process it)', async () => {
      nock(A).post('/group').reply(429, problem(429, 'too_many'), PROBLEM_JSON);
      nock(B).post('/group').reply(201, GROUP);
      expect(await client().createGroup({ name: 'team', participantUserIds: [2] })).to.deep.equal(
        GROUP,
      );
    });

    it('when a send meets a 503 then it is repeated on the next host with the same operation_id', async () => {
      const bodies: unknown[] = [];
      nock(A)
        .post('/messages/user/2', recorder(bodies))
        .reply(503, problem(503, 'x'), PROBLEM_JSON);
      nock(B).post('/messages/user/2', recorder(bodies)).reply(201, message(5));
      expect((await client().sendToUser(2, 'hi')).id).to.equal(5);
      expect(bodies).to.have.length(2);
      expect(bodies[1]).to.deep.equal(bodies[0]);
      expect(bodies[0]).to.have.property('text', 'hi');
    });

    it('when a send fails on every host then the error carries the operation id it used', async () => {
      const bodies: { operation_id: number }[] = [];
      nock(A)
        .post('/messages/user/2', recorder(bodies))
        .times(2)
        .reply(503, problem(503, 'x'), PROBLEM_JSON);
      nock(B)
        .post('/messages/user/2', recorder(bodies))
        .times(2)
        .reply(503, problem(503, 'x'), PROBLEM_JSON);
      const error = await failure(client().sendToUser(2, 'hi'));
      expect(error.operationId).to.equal(bodies[0]!.operation_id);
      expect(new Set(bodies.map((b) => b.operation_id)).size).to.equal(1);
    });

    it('when a host is given with a path prefix then requests keep the prefix', async () => {
      const scope = nock(A).get('/api/me').reply(200, USER);
      expect(await client({ hosts: [`${A}/api`] }).me()).to.deep.equal(USER);
      expect(scope.isDone()).to.be.true;
    });
  });

  describe('rate limits (429, 503 with Retry-After)', () => {
    const limited = (detail = 'more than 2 sends a minute') => problem(429, 'rate_limited', detail);

    it('when a send meets 429 with Retry-After: 1 then it waits a second and succeeds with the same operation id', async () => {
      const bodies: { operation_id: number }[] = [];
      const scope = nock(A)
        .post('/messages/user/2', recorder(bodies))
        .reply(429, limited(), { ...PROBLEM_JSON, 'retry-after': '1' })
        .post('/messages/user/2', recorder(bodies))
        .reply(201, message(9));
      const started = Date.now();
      expect((await client({ hosts: [A] }).sendToUser(2, 'hi')).id).to.equal(9);
      expect(Date.now() - started).to.be.at.least(950);
      expect(scope.isDone()).to.be.true;
      expect(bodies[1]).to.deep.equal(bodies[0]);
    });

    it('when the server asks for longer than maxRetryAfterMs (Retry-After: 120) then it rejects at once with rate_limited', async () => {
      nock(A)
        .post('/messages/user/2')
        .reply(429, limited(), { ...PROBLEM_JSON, 'retry-after': '120' });
      const started = Date.now();
      const error = await failure(client().sendToUser(2, 'hi'));
      expect(Date.now() - started).to.be.lessThan(500);
      expect(error).to.include({ status: 429, code: 'rate_limited', retryAfterSeconds: 120 });
      expect(error.detail).to.equal('more than 2 sends a minute');
      expect(error.isRetryable).to.be.true; // later
      expect(error.operationId).to.be.a('number');
      expect(unmatched).to.deep.equal([]); // host B was not asked: the limit is everyone's
    });

    it('when the tries run out on 429s then the last one is the error, with its Retry-After', async () => {
      const scope = nock(A)
        .get('/chats')
        .times(2)
        .reply(429, limited(), { ...PROBLEM_JSON, 'retry-after': '0' });
      const error = await failure(client({ hosts: [A], retry: { ...FAST, attempts: 2 } }).chats());
      expect(error).to.include({ code: 'rate_limited', retryAfterSeconds: 0 });
      expect(scope.isDone()).to.be.true;
    });

    it('when the caller aborts during the wait then it rejects at once with aborted', async () => {
      const controller = new AbortController();
      const scope = nock(A)
        .post('/messages/user/2')
        .reply(429, limited(), { ...PROBLEM_JSON, 'retry-after': '4' });
      scope.on('replied', () => setTimeout(() => controller.abort(), 50));
      const started = Date.now();
      const error = await failure(
        client({ hosts: [A] }).sendToUser(2, 'hi', { signal: controller.signal }),
      );
      expect(error.code).to.equal('aborted');
      expect(Date.now() - started).to.be.lessThan(1000);
      expect(unmatched).to.deep.equal([]);
    });

    it('when a 429 has no problem body then its code is still rate_limited; an HTTP date counts too', async () => {
      const inAMinute = new Date(Date.now() + 60_000).toUTCString();
      nock(A).get('/me').reply(429, 'slow down', { 'retry-after': inAMinute });
      const error = await failure(client().me());
      expect(error).to.include({ status: 429, code: 'rate_limited' });
      expect(error.retryAfterSeconds).to.be.within(58, 61);
    });

    it('when a 503 asks for longer than the client waits then it rejects at once, naming the wait', async () => {
      nock(A)
        .post('/login')
        .reply(503, problem(503, 'busy', 'the password queue is full'), {
          ...PROBLEM_JSON,
          'retry-after': '30',
        });
      const error = await failure(
        client({ tokenStore: new MemoryTokenStore() }).login({ email: 'a@b.c', password: 'pw' }),
      );
      expect(error).to.include({ status: 503, code: 'busy', retryAfterSeconds: 30 });
      expect(unmatched).to.deep.equal([]);
    });

    it('when maxRetryAfterMs is raised then a longer Retry-After is waited out', async () => {
      const scope = nock(A)
        .get('/me')
        .times(2)
        .reply(429, limited(), { ...PROBLEM_JSON, 'retry-after': '1' })
        .get('/me')
        .reply(200, USER);
      const strict = await failure(
        client({ hosts: [A], retry: { ...FAST, maxRetryAfterMs: 500 } }).me(),
      );
      expect(strict).to.include({ code: 'rate_limited', retryAfterSeconds: 1 });
      const patient = client({ hosts: [A], retry: { ...FAST, maxRetryAfterMs: 1000 } });
      const started = Date.now();
      expect(await patient.me()).to.deep.equal(USER);
      expect(Date.now() - started).to.be.at.least(950);
      expect(scope.isDone()).to.be.true;
    });
  });

  describe('race', () => {
    it('sends the same body to every host at once and resolves with the first success', async () => {
      const bodies: unknown[] = [];
      const arrivals: number[] = [];
      const record = (body: unknown) => (arrivals.push(Date.now()), recorder(bodies)(body));
      nock(A).post('/messages/user/2', record).delay(800).reply(201, message(5, 'via a'));
      nock(B).post('/messages/user/2', record).reply(201, message(5, 'via b'));
      const started = Date.now();
      const sent = await client({ strategy: 'race' }).sendToUser(2, 'hi');
      expect(sent.text).to.equal('via b');
      expect(Date.now() - started).to.be.lessThan(600);
      expect(bodies).to.have.length(2);
      expect(bodies[0]).to.deep.equal(bodies[1]);
      expect(Math.abs(arrivals[0]! - arrivals[1]!)).to.be.lessThan(100);
    });

    it('sends a non-idempotent call (createGroup) to one host only', async () => {
      nock(A).post('/group').reply(201, GROUP);
      const other = nock(B).post('/group').reply(201, GROUP);
      expect(
        await client({ strategy: 'race' }).createGroup({ name: 't', participantUserIds: [] }),
      ).to.deep.equal(GROUP);
      expect(other.isDone()).to.be.false;
    });
  });

  describe('hedge', () => {
    it('when the first host answers within the delay then no other host is asked', async () => {
      nock(A).post('/messages/user/2').reply(201, message(5, 'via a'));
      const other = nock(B).post('/messages/user/2').reply(201, message(5, 'via b'));
      const c = client({ strategy: 'hedge' });
      expect((await c.sendToUser(2, 'hi')).text).to.equal('via a');
      expect(other.isDone()).to.be.false;
      expect(c.stats).to.deep.equal({ requests: 1, hedged: 0 });
    });

    it('when the first host is slower than the delay then the same body goes to the next host after it', async () => {
      const bodies: unknown[] = [];
      const arrivals: number[] = [];
      const record = (body: unknown) => (arrivals.push(Date.now()), recorder(bodies)(body));
      nock(A).post('/messages/user/2', record).delay(800).reply(201, message(5, 'via a'));
      nock(B).post('/messages/user/2', record).reply(201, message(5, 'via b'));
      const c = client({ strategy: 'hedge', hedge: { minDelayMs: 150, maxDelayMs: 150 } });
      const started = Date.now();
      expect((await c.sendToUser(2, 'hi')).text).to.equal('via b');
      expect(Date.now() - started).to.be.within(140, 600);
      expect(bodies).to.have.length(2);
      expect(bodies[0]).to.deep.equal(bodies[1]);
      expect(arrivals[1]! - arrivals[0]!).to.be.at.least(140);
      expect(c.stats).to.deep.equal({ requests: 2, hedged: 1 });
    });

    it('when the first host answers 429 with Retry-After then the next host is asked only after the wait', async () => {
      const limited = nock(A)
        .post('/messages/user/2')
        .reply(429, problem(429, 'rate_limited'), { 'retry-after': '1' });
      const other = nock(B).post('/messages/user/2').reply(201, message(5, 'via b'));
      // The 429 comes long before the delay is over: it, not the delay, decides.
      const c = client({ strategy: 'hedge', hedge: { minDelayMs: 300, maxDelayMs: 300 } });
      const started = Date.now();
      expect((await c.sendToUser(2, 'hi')).text).to.equal('via b');
      expect(Date.now() - started).to.be.at.least(900);
      expect(limited.isDone() && other.isDone()).to.be.true;
      expect(c.stats).to.deep.equal({ requests: 2, hedged: 0 });
    });

    it('sends a non-idempotent call (createGroup) to one host only, however long it takes', async () => {
      nock(A).post('/group').delay(300).reply(201, GROUP);
      const other = nock(B).post('/group').reply(201, GROUP);
      const c = client({ strategy: 'hedge', hedge: { minDelayMs: 1, maxDelayMs: 1 } });
      expect(await c.createGroup({ name: 't', participantUserIds: [] })).to.deep.equal(GROUP);
      expect(other.isDone()).to.be.false;
      expect(c.stats).to.deep.equal({ requests: 1, hedged: 0 });
    });

    it('when the hedge delays are out of order then the constructor throws invalid_options', () => {
      for (const hedge of [{ minDelayMs: 50, maxDelayMs: 10 }, { minDelayMs: -1 }]) {
        expect(() => client({ strategy: 'hedge', hedge }))
          .to.throw()
          .that.includes({ code: 'invalid_options' });
      }
    });
  });

  describe('tokens', () => {
    it('when a request meets 401 then one refresh happens and the request is retried once with the new token', async () => {
      const store = loggedIn();
      const scope = nock(A)
        .get('/me')
        .matchHeader('authorization', 'Bearer access-1')
        .reply(401, problem(401, 'token_expired'), PROBLEM_JSON)
        .post('/token/refresh', { refresh_token: 'refresh-1' })
        .reply(200, pair('access-2', 'refresh-2'))
        .get('/me')
        .matchHeader('authorization', 'Bearer access-2')
        .reply(200, USER);
      expect(await client({ tokenStore: store }).me()).to.deep.equal(USER);
      expect(scope.isDone()).to.be.true;
      expect(unmatched).to.deep.equal([]);
      expect(store.get()).to.include({ accessToken: 'access-2', refreshToken: 'refresh-2' });
    });

    it('when the retried request meets 401 again then it is not retried a second time', async () => {
      const store = loggedIn();
      const scope = nock(A)
        .get('/me')
        .times(2)
        .reply(401, problem(401, 'invalid_token'), PROBLEM_JSON)
        .post('/token/refresh')
        .reply(200, pair('access-2', 'refresh-2'));
      const err = await failure(client({ tokenStore: store }).me());
      expect([err.status, err.code]).to.deep.equal([401, 'session_expired']);
      expect(scope.isDone()).to.be.true;
      expect(unmatched).to.deep.equal([]);
    });

    it('when the stored access token has expired then it is refreshed before the request', async () => {
      const scope = nock(A)
        .post('/token/refresh', { refresh_token: 'refresh-1' })
        .reply(200, pair('access-2', 'refresh-2'))
        .get('/me')
        .matchHeader('authorization', 'Bearer access-2')
        .reply(200, USER);
      const tokenStore = loggedIn({ expiresAt: Date.now() - 1000 });
      expect(await client({ tokenStore }).me()).to.deep.equal(USER);
      expect(scope.isDone()).to.be.true;
      expect(unmatched).to.deep.equal([]);
    });

    it('when the caller aborts while the token is being refreshed then it rejects at once with aborted', async () => {
      nock(A).post('/token/refresh').delay(3000).reply(200, pair('access-2', 'refresh-2'));
      const tokenStore = loggedIn({ expiresAt: Date.now() - 1000 });
      const started = Date.now();
      const error = await failure(client({ tokenStore }).me({ signal: AbortSignal.timeout(50) }));
      expect(error.code).to.equal('aborted');
      expect(Date.now() - started).to.be.lessThan(1000);
    });

    const stores: [string, () => TokenStore][] = [
      ['an in-memory token store', () => loggedIn()],
      ['an asynchronous token store (as the CLI keeps a file)', () => slowStore(loggedIn())],
    ];
    for (const [kind, makeStore] of stores) {
      it(`when two concurrent requests both meet 401 then they share one refresh (${kind})`, async () => {
        let refreshes = 0;
        nock(A)
          .get(/^\/(me|chats)$/)
          .times(2)
          .matchHeader('authorization', 'Bearer access-1')
          .reply(401, problem(401, 'token_expired'), PROBLEM_JSON)
          .post('/token/refresh')
          .times(2)
          .reply(() =>
            ++refreshes === 1
              ? [200, pair('access-2', 'refresh-2')]
              : [401, problem(401, 'reused')],
          )
          .get('/me')
          .matchHeader('authorization', 'Bearer access-2')
          .reply(200, USER)
          .get('/chats')
          .matchHeader('authorization', 'Bearer access-2')
          .reply(200, []);
        const c = client({ hosts: [A], tokenStore: makeStore() });
        const [me, chats] = await Promise.allSettled([c.me(), c.chats()]);
        // A second refresh would spend the rotated refresh token: session_expired, tokens wiped.
        expect([me.status, chats.status], JSON.stringify([me, chats])).to.deep.equal([
          'fulfilled',
          'fulfilled',
        ]);
        expect(refreshes).to.equal(1);
      });
    }

    it('when the refresh itself answers 401 then session_expired is thrown and the tokens are forgotten', async () => {
      const store = loggedIn();
      nock(A)
        .get('/me')
        .reply(401, problem(401, 'token_expired'), PROBLEM_JSON)
        .post('/token/refresh')
        .reply(401, problem(401, 'invalid_refresh_token'), PROBLEM_JSON);
      const err = await failure(client({ tokenStore: store }).me());
      expect([err.status, err.code]).to.deep.equal([401, 'session_expired']);
      expect(store.get()).to.equal(undefined);
    });

    it('when no one is logged in then a call rejects with not_logged_in and sends nothing', async () => {
      const err = await failure(client({ tokenStore: new MemoryTokenStore() }).me());
      expect(err.code).to.equal('not_logged_in');
      expect(unmatched).to.deep.equal([]);
    });
  });

  describe('errors and aborts', () => {
    it('when the server answers a problem document then MessengerError carries its status, code and detail', async () => {
      nock(A)
        .post('/messages/user/99')
        .reply(404, problem(404, 'user_not_found', 'no user 99'), PROBLEM_JSON);
      const err = await failure(client().sendToUser(99, 'hi'));
      expect(err).to.include({
        name: 'MessengerError',
        status: 404,
        code: 'user_not_found',
        detail: 'no user 99',
      });
      expect(err.isRetryable).to.be.false;
    });

    it('when an error answer is not JSON then the code is http_<status>', async () => {
      nock(A)
        .post('/group')
        .reply(502, '<html>bad gateway</html>', { 'content-type': 'text/html' });
      const err = await failure(client().createGroup({ name: 't', participantUserIds: [] }));
      expect([err.status, err.code]).to.deep.equal([502, 'http_502']);
    });

    it('when the signal aborts during a request then it rejects with code aborted', async () => {
      const controller = new AbortController();
      const scope = nock(A).get('/me').delay(2000).reply(200, USER);
      scope.on('request', () => controller.abort());
      const started = Date.now();
      const err = await failure(client().me({ signal: controller.signal }));
      expect([err.status, err.code]).to.deep.equal([0, 'aborted']);
      expect(Date.now() - started).to.be.lessThan(1000);
      expect(unmatched).to.deep.equal([]);
    });

    it('when the signal aborts during the backoff between tries then it rejects with code aborted', async () => {
      const controller = new AbortController();
      const scope = nock(A).get('/me').reply(503, problem(503, 'x'), PROBLEM_JSON);
      scope.on('replied', () => controller.abort());
      const c = client({ retry: { baseDelayMs: 5000, maxDelayMs: 5000 } });
      const err = await failure(c.me({ signal: controller.signal }));
      expect(err.code).to.equal('aborted');
      expect(unmatched).to.deep.equal([]);
    });

    it('when an id is not a positive integer then the call rejects (not throws) with invalid_argument', async () => {
      let pending: Promise<unknown> | undefined;
      expect(() => (pending = client().sendToUser(0, 'hi'))).not.to.throw();
      expect((await failure(pending!)).code).to.equal('invalid_argument');
    });
  });

  describe('send(): replays and operation id sources', () => {
    const REPLAYED = { 'idempotent-replayed': 'true' };

    it('when the server answers 201 then isReplay is false and the operation id is the one sent', async () => {
      const bodies: { operation_id: number }[] = [];
      nock(A).post('/messages/group/7', recorder(bodies)).reply(201, message(3));
      const sent = await client().send({ groupId: 7 }, 'hi');
      expect(sent).to.deep.equal({
        message: message(3),
        isReplay: false,
        operationId: bodies[0]!.operation_id,
      });
    });

    it('when the server answers 200 with Idempotent-Replayed: true then isReplay is true', async () => {
      nock(A)
        .post('/messages/user/2', { text: 'hi', operation_id: 42 })
        .reply(200, message(3), REPLAYED);
      const sent = await client().send({ userId: 2 }, 'hi', { operationId: 42 });
      expect(sent).to.deep.equal({ message: message(3), isReplay: true, operationId: 42 });
    });

    it('when sendToUser/sendToGroup meet a replay then they resolve with the message, as before', async () => {
      nock(A).post('/messages/user/2').reply(200, message(4), REPLAYED);
      expect(await client().sendToUser(2, 'hi', { operationId: 1 })).to.deep.equal(message(4));
    });

    it('when an operationIds source is given then sends take their ids from it, a conflict the next one', async () => {
      const handed: number[] = [];
      let next = 100;
      const operationIds = {
        next: (signal?: AbortSignal) => {
          expect(signal).to.be.instanceOf(AbortSignal);
          handed.push(next);
          return Promise.resolve(next++);
        },
      };
      const bodies: { operation_id: number }[] = [];
      nock(A)
        .post('/messages/user/2', recorder(bodies))
        .reply(422, problem(422, 'operation_id_conflict'), PROBLEM_JSON)
        .post('/messages/user/2', recorder(bodies))
        .reply(201, message(6));
      const sent = await client({ operationIds }).send({ userId: 2 }, 'hi', {
        signal: new AbortController().signal,
      });
      expect(bodies.map((b) => b.operation_id)).to.deep.equal([100, 101]);
      expect(handed).to.deep.equal([100, 101]);
      expect(sent.operationId).to.equal(101);
    });

    it('when the source fails or answers something that is not an int16 then operation_id_unavailable, nothing sent', async () => {
      const failing = { next: () => Promise.reject(new Error('disk full')) };
      const error = await failure(client({ operationIds: failing }).sendToUser(2, 'hi'));
      expect(error).to.include({ code: 'operation_id_unavailable', status: 0 });
      expect(error.detail).to.include('disk full');
      for (const bad of [40_000, 1.5, NaN]) {
        const odd = { next: () => Promise.resolve(bad) };
        const e = await failure(client({ operationIds: odd }).sendToUser(2, 'hi'));
        expect(e.code, String(bad)).to.equal('operation_id_unavailable');
      }
      expect(unmatched).to.deep.equal([]);
    });

    it('when the caller aborts while the source waits then aborted', async () => {
      const waiting = {
        next: (signal?: AbortSignal) =>
          new Promise<number>((_resolve, reject) =>
            signal?.addEventListener('abort', () => reject(signal.reason as Error)),
          ),
      };
      const error = await failure(
        client({ operationIds: waiting }).sendToUser(2, 'hi', { signal: AbortSignal.timeout(30) }),
      );
      expect(error.code).to.equal('aborted');
      expect(unmatched).to.deep.equal([]);
    });
  });

  describe('operation id conflicts', () => {
    it('when a send meets operation_id_conflict then the client draws a new id and resends', async () => {
      const bodies: { operation_id: number }[] = [];
      nock(A)
        .post('/messages/user/2', recorder(bodies))
        .reply(422, problem(422, 'operation_id_conflict'), PROBLEM_JSON)
        .post('/messages/user/2', recorder(bodies))
        .reply(201, message(8));
      expect((await client().sendToUser(2, 'hi')).id).to.equal(8);
      expect(bodies).to.have.length(2);
      expect(bodies[1]!.operation_id).not.to.equal(bodies[0]!.operation_id);
    });

    it('when the caller gave the operationId then a conflict is thrown, not resent', async () => {
      const bodies: unknown[] = [];
      nock(A)
        .post('/messages/group/7', recorder(bodies))
        .reply(422, problem(422, 'operation_id_conflict'), PROBLEM_JSON);
      const err = await failure(client().sendToGroup(7, 'hi', { operationId: 123 }));
      expect(err.code).to.equal('operation_id_conflict');
      expect(bodies).to.deep.equal([{ text: 'hi', operation_id: 123 }]);
      expect(unmatched).to.deep.equal([]);
    });
  });
});
