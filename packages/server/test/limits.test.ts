/**
 * Every limit of the contract's "Limits, abuse and exact resume", counted across three
 * instances on one database, with requests fired at the same moment.
 */
import { expect } from 'chai';
import pg from 'pg';
import { startCluster, type Api, type Cluster, type Session } from './support/harness.js';
import { expectProblem } from './support/problem.js';
import { openSocket } from './support/sockets.js';
import { defaultHashConcurrency } from '../src/auth/passwords.js';

async function sql<T = any>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Resolves once `check` holds (bounded). */
async function until(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Each request on the next instance in turn, all at once. */
function spread<T>(c: Cluster, count: number, fn: (api: Api, i: number) => Promise<T>) {
  return Promise.all(Array.from({ length: count }, (_, i) => fn(c.apis[i % c.apis.length]!, i)));
}

function expectRateLimited(res: { status: number; headers: Headers; body: any }): number {
  expectProblem(res as any, 429, 'rate_limited');
  const seconds = Number(res.headers.get('retry-after'));
  expect(seconds).to.be.a('number').that.is.at.least(1);
  return seconds;
}

describe('limits across three instances', function () {
  this.timeout(90_000);

  describe('RATE_LIMIT_SENDS_PER_MINUTE=20', () => {
    let c: Cluster;
    let alice: Session;
    let bob: Session;
    before(async () => {
      c = await startCluster({ instances: 3, rateLimitSendsPerMinute: 20 });
      [alice, bob] = await Promise.all([c.api.newUser('alice'), c.api.newUser('bob')]);
    });
    after(() => c.close());

    it('when 20 different sends race over the instances then all 20 are created and the 21st is refused', async () => {
      const sends = await spread(c, 20, (api, i) =>
        api.send({ user: bob.userId }, `m${i}`, i, alice.token),
      );
      expect(sends.map((r) => r.status)).to.deep.equal(Array(20).fill(201));
      const refused = await c.apis[2]!.send({ user: bob.userId }, 'one too many', 100, alice.token);
      expectRateLimited(refused);
      const [{ n }] = await sql(
        c.databaseUrl,
        'SELECT count(*)::int AS n FROM messages WHERE sender_id = $1',
        [alice.userId],
      );
      expect(n).to.equal(20);
    });

    it('when the budget is spent then a replay still answers 200 with its message, at no cost', async () => {
      const replay = await c.apis[1]!.send({ user: bob.userId }, 'm3', 3, alice.token);
      expect(replay.status).to.equal(200);
      expect(replay.headers.get('idempotent-replayed')).to.equal('true');
    });

    it('when a send is refused then its operation id stays free: after Retry-After it creates the message', async () => {
      const refused = await c.api.send({ user: bob.userId }, 'later', 200, alice.token);
      const seconds = expectRateLimited(refused);
      const keys = await sql(
        c.databaseUrl,
        'SELECT 1 FROM message_operations WHERE sender_id = $1 AND operation_id = 200',
        [alice.userId],
      );
      expect(keys).to.have.length(0);
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const later = await c.apis[2]!.send({ user: bob.userId }, 'later', 200, alice.token);
      expect(later.status).to.equal(201);
    });

    it('when one send is raced to all three instances then it costs one token, not three', async () => {
      const carol = await c.api.newUser('carol');
      for (let op = 0; op < 10; op++) {
        const answers = await Promise.all(
          c.apis.map((api) => api.send({ user: bob.userId }, `raced ${op}`, op, carol.token)),
        );
        expect(answers.filter((a) => a.status === 201)).to.have.length(1);
        expect(answers.filter((a) => a.status === 200)).to.have.length(2);
      }
      // 10 of 20 spent: 10 more fit, the 11th does not.
      const more = await spread(c, 10, (api, i) =>
        api.send({ user: bob.userId }, `more ${i}`, 100 + i, carol.token),
      );
      expect(more.map((r) => r.status)).to.deep.equal(Array(10).fill(201));
      expectRateLimited(await c.api.send({ user: bob.userId }, 'over', 999, carol.token));
    });

    it("when one user is over the budget then another user's sends are untouched", async () => {
      const dave = await c.api.newUser('dave');
      expect((await c.api.send({ user: bob.userId }, 'hi', 1, dave.token)).status).to.equal(201);
    });
  });

  describe('RATE_LIMIT_IP_PER_MINUTE=10', () => {
    let c: Cluster;
    before(async () => {
      c = await startCluster({ instances: 3, rateLimitIpPerMinute: 10 });
    });
    after(() => c.close());

    it('when 10 unauthenticated requests race over the instances then the 11th is refused everywhere', async () => {
      const answers = await spread(c, 10, (api) =>
        api.post('/login', { email: 'test1@test.com', password: 'wrong' }),
      );
      expect(answers.map((a) => a.status)).to.deep.equal(Array(10).fill(401));
      for (const api of c.apis) {
        expectRateLimited(
          await api.post('/register', {
            email: 'x@example.com',
            name: 'x',
            password: 'password123',
          }),
        );
        expectRateLimited(await api.post('/token/refresh', { refresh_token: 'x' }));
      }
      // Authenticated routes are not counted per address.
      expect((await c.api.get('/healthz')).status).to.equal(200);
    });
  });

  describe('TRUST_PROXY', () => {
    it('when a trusted proxy names the client then each client has its own budget; untrusted, X-Forwarded-For is ignored', async () => {
      const trusted = await startCluster({ rateLimitIpPerMinute: 2, trustProxy: ['loopback'] });
      const untrusted = await startCluster({ rateLimitIpPerMinute: 2 });
      try {
        const login = (api: Api, forwardedFor: string) =>
          api.request('POST', '/login', {
            body: { email: 'test1@test.com', password: 'wrong' },
            headers: { 'x-forwarded-for': forwardedFor },
          });
        for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
          expect((await login(trusted.api, ip)).status).to.equal(401);
          expect((await login(trusted.api, ip)).status).to.equal(401);
        }
        expectRateLimited(await login(trusted.api, '203.0.113.1'));
        expect((await login(untrusted.api, '203.0.113.1')).status).to.equal(401);
        expect((await login(untrusted.api, '203.0.113.2')).status).to.equal(401);
        expectRateLimited(await login(untrusted.api, '203.0.113.3'));
      } finally {
        await Promise.all([trusted.close(), untrusted.close()]);
      }
    });
  });

  describe('LOGIN_MAX_FAILURES=3', () => {
    let c: Cluster;
    before(async () => {
      c = await startCluster({ instances: 3, loginMaxFailures: 3, loginFailureWindowSeconds: 900 });
    });
    after(() => c.close());

    it('when 10 wrong guesses race over the instances then 3 are checked and 7 refused; then even the right password waits', async () => {
      const guesses = await spread(c, 10, (api) =>
        api.post('/login', { email: 'test1@test.com', password: 'guess' }),
      );
      const statuses = guesses.map((g) => g.status).sort();
      expect(statuses).to.deep.equal([...Array(3).fill(401), ...Array(7).fill(429)]);
      const right = await c.apis[1]!.post('/login', { email: 'TEST1@test.com ', password: 'test' });
      const seconds = expectRateLimited(right);
      expect(seconds).to.be.within(890, 900);
    });

    it('when one account is locked for an address then another account from it logs in', async () => {
      expect(
        (await c.api.post('/login', { email: 'test2@test.com', password: 'test' })).status,
      ).to.equal(200);
    });

    it('when a login succeeds under the limit then its failures are forgotten', async () => {
      for (let round = 0; round < 3; round++) {
        expect(
          (await c.api.post('/login', { email: 'test3@test.com', password: 'no' })).status,
        ).to.equal(401);
        expect(
          (await c.api.post('/login', { email: 'test3@test.com', password: 'no' })).status,
        ).to.equal(401);
        expect(
          (await c.api.post('/login', { email: 'test3@test.com', password: 'test' })).status,
        ).to.equal(200);
      }
    });

    it('when the email is unknown then the same counting applies (no account is revealed)', async () => {
      const answers = [];
      for (let i = 0; i < 4; i++) {
        answers.push(
          (await c.api.post('/login', { email: 'nobody@example.com', password: 'x' })).status,
        );
      }
      expect(answers).to.deep.equal([401, 401, 401, 429]);
    });
  });

  describe('RATE_LIMIT_GROUPS_PER_MINUTE=2', () => {
    it('when a user creates a third group within the minute then 429; a refused creation costs nothing', async () => {
      const c = await startCluster({ instances: 2, rateLimitGroupsPerMinute: 2 });
      try {
        const alice = await c.api.newUser('alice');
        const missing = await c.api.post(
          '/group',
          { name: 'G', participant_user_ids: [999_999] },
          alice.token,
        );
        expectProblem(missing, 404, 'user_not_found');
        const made = await spread(c, 2, (api) =>
          api.post('/group', { name: 'G', participant_user_ids: [] }, alice.token),
        );
        expect(made.map((m) => m.status)).to.deep.equal([201, 201]);
        expectRateLimited(
          await c.apis[1]!.post('/group', { name: 'G', participant_user_ids: [] }, alice.token),
        );
      } finally {
        await c.close();
      }
    });
  });

  describe('WS_MAX_SOCKETS_PER_USER=2 over three instances', () => {
    it('when a user opens one socket on each instance at the same moment then exactly one closes with 4429', async () => {
      const c = await startCluster({ instances: 3, wsMaxSocketsPerUser: 2 });
      try {
        const alice = await c.api.newUser('alice');
        for (let round = 0; round < 5; round++) {
          const sockets = await Promise.all(
            c.servers.map((s) => openSocket(s.url, '/ws', alice.token)),
          );
          const refused = await Promise.race([
            Promise.any(sockets.map((s) => s.closed.then((r) => ({ s, code: r.code })))),
            new Promise<undefined>((r) => setTimeout(() => r(undefined), 5000)),
          ]);
          expect(refused?.code).to.equal(4429);
          // The other two stay open; closing one frees a place for a new socket anywhere.
          const open = sockets.filter((s) => s !== refused!.s);
          for (const s of open) s.send({ type: 'Ping' });
          // Generous: each lease is a round trip, and a loaded machine makes them slow.
          await Promise.all(open.map((s) => s.next((f) => f.type === 'Pong', 15_000)));
          await open[0]!.close();
          // Its lease goes when its instance has seen the close (a statement away).
          await until(
            async () => (await sql(c.databaseUrl, 'SELECT 1 FROM socket_leases')).length < 2,
          );
          const again = await openSocket(c.servers[round % 3]!.url, '/ws', alice.token);
          again.send({ type: 'Ping' });
          await again.next((f) => f.type === 'Pong', 15_000);
          await Promise.all([again.close(), open[1]!.close()]);
          // Leases are released on close: wait until none is left for the next round.
          await until(
            async () => (await sql(c.databaseUrl, 'SELECT 1 FROM socket_leases')).length === 0,
          );
        }
      } finally {
        await c.close();
      }
    });
  });

  describe('frames from one socket', () => {
    let c: Cluster;
    before(async () => {
      c = await startCluster();
    });
    after(() => c.close());

    it('when a socket floods Typing frames then only a few reach the membership check, the rest are dropped', async () => {
      const alice = await c.api.newUser('alice');
      const s = await openSocket(c.api.baseUrl, '/ws', alice.token);
      // A chat alice is not in: each frame that gets past the budget is looked up and refused.
      const isRefusal = (f: any) => f.type === 'Error' && f.code === 'chat_forbidden';
      for (let i = 0; i < 30; i++) s.send({ type: 'Typing', chat_id: 987_654 });
      await s.next(isRefusal);
      // Once the budget has a token again, one more frame is looked up: by its answer, every
      // lookup of the flood (issued half a second earlier) has answered too.
      await new Promise((r) => setTimeout(r, 600));
      s.send({ type: 'Typing', chat_id: 987_654 });
      const before = s.frames.filter(isRefusal).length;
      await s.collect(isRefusal, before + 1);
      expect(s.frames.filter(isRefusal).length).to.be.within(2, 7);
      await s.close();
    });

    it('when a socket sends frames far faster than any client would then it is closed with 1008', async () => {
      const alice = await c.api.newUser('alice');
      const s = await openSocket(c.api.baseUrl, '/ws', alice.token);
      for (let i = 0; i < 200; i++) s.send({ type: 'Ping' });
      expect((await s.closed).code).to.equal(1008);
    });
  });

  describe('BCRYPT_QUEUE_MAX', () => {
    it('when registrations arrive faster than bcrypt can hash then those past the queue get 503 with Retry-After, never a wait without end', async () => {
      const c = await startCluster({ bcryptQueueMax: 2, bcryptRounds: 12 });
      try {
        // Registrations hash at BCRYPT_ROUNDS=12 (the demo users' hashes are cheap test ones).
        const answers = await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            c.api.post('/register', {
              email: `storm${i}@example.com`,
              name: 'storm',
              password: 'password123',
            }),
          ),
        );
        const busy = answers.filter((a) => a.status === 503);
        // Those hashing (as many as the hasher runs at once) and the two waiting get through.
        const places = defaultHashConcurrency() + 2;
        expect(answers.filter((a) => a.status === 201).length).to.be.at.least(places);
        expect(busy.length).to.be.at.least(1);
        for (const b of busy) {
          expectProblem(b, 503, 'busy');
          expect(Number(b.headers.get('retry-after'))).to.be.at.least(1);
        }
        expect(answers.every((a) => a.status === 201 || a.status === 503)).to.be.true;
      } finally {
        await c.close();
      }
    });

    it('when an email is taken then registration answers 409 without waiting for a hash', async () => {
      const c = await startCluster({ bcryptQueueMax: 0, bcryptRounds: 14 });
      try {
        // Two slow hashes occupy both places and nothing may wait…
        const slow = Array.from({ length: 2 }, (_, i) =>
          c.api.post('/register', {
            email: `slow${i}@example.com`,
            name: 'slow',
            password: 'password123',
          }),
        );
        await new Promise((r) => setTimeout(r, 100));
        // …yet a taken email is answered at once: no hash was needed to say so.
        const taken = await c.api.post('/register', {
          email: 'test1@test.com',
          name: 'x',
          password: 'password123',
        });
        expectProblem(taken, 409, 'email_taken');
        await Promise.all(slow);
      } finally {
        await c.close();
      }
    });
  });
});
