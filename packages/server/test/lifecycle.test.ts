/**
 * Start and stop: migrations under concurrent starts, graceful shutdown (in-process and as a real
 * process receiving SIGTERM), and /readyz.
 */
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrations } from '../src/db/database.js';
import { startServer } from '../src/server.js';
import { withDatabase } from '../src/db/embedded.js';
import { Api, freshDatabase, startCluster, testConfig } from './support/harness.js';
import { freePort, spawnServer } from './support/processes.js';

async function withPg<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function emptyDatabase(): Promise<string> {
  const name = `msgr_empty_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = process.env.MSGR_TEST_ADMIN_URL!;
  await withPg(admin, (c) => c.query(`CREATE DATABASE ${name}`));
  return withDatabase(admin, name);
}

/** Holds a lock on chat `chatId` so that sends into it wait; release() lets them through. */
async function holdChat(databaseUrl: string, chatId: number) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('BEGIN');
  await client.query('SELECT id FROM chats WHERE id = $1 FOR UPDATE', [chatId]);
  return {
    release: async () => {
      await client.query('COMMIT');
      await client.end();
    },
  };
}

/** Waits (bounded) until a send is blocked on a lock in `databaseUrl`. */
async function untilSomeoneWaits(databaseUrl: string) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const { rows } = await withPg(databaseUrl, (c) =>
      c.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      ),
    );
    if (rows[0].n > 0) return;
    if (Date.now() > deadline) throw new Error('no request ever waited on the lock');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('start-up', () => {
  it('when 3 instances start at once on an empty database then all come up and the schema is created once', async () => {
    const url = await emptyDatabase();
    const servers = await Promise.all(
      [1, 2, 3].map(() => startServer(testConfig(url, { jwtSecret: undefined }))),
    );
    try {
      const { rows } = await withPg(url, (c) =>
        c.query('SELECT name FROM knex_migrations ORDER BY id'),
      );
      expect(rows.map((r) => r.name)).to.deep.equal(Object.keys(migrations));
      const users = await withPg(url, (c) => c.query('SELECT email FROM users ORDER BY id'));
      expect(users.rows.map((r) => r.email)).to.deep.equal([
        'test1@test.com',
        'test2@test.com',
        'test3@test.com',
      ]);
      // No JWT_SECRET: one generated secret is shared, so a token from one instance works on all.
      const session = await new Api(servers[0]!.url).login('test1@test.com');
      for (const s of servers) {
        expect((await new Api(s.url).get('/me', session.token)).status).to.equal(200);
      }
    } finally {
      await Promise.all(servers.map((s) => s.close()));
    }
  });

  it('when started again then demo users are neither duplicated nor reset', async () => {
    const url = await freshDatabase();
    await withPg(url, (c) =>
      c.query(`UPDATE users SET name = 'Renamed' WHERE email = 'test1@test.com'`),
    );
    const server = await startServer(testConfig(url));
    await server.close();
    const { rows } = await withPg(url, (c) =>
      c.query(`SELECT name FROM users WHERE email LIKE 'test_@test.com' ORDER BY id`),
    );
    expect(rows.map((r) => r.name)).to.deep.equal(['Renamed', 'Test User 2', 'Test User 3']);
  });
});

describe('graceful shutdown', () => {
  it('when shutdown begins then /readyz is 503 and an in-flight send still commits and replays elsewhere', async () => {
    const c = await startCluster({ instances: 2, shutdownDrainMs: 1000 });
    try {
      const [a, b] = c.apis as [Api, Api];
      const alice = await a.newUser('alice');
      const bob = await a.newUser('bob');
      const first = await a.send({ user: bob.userId }, 'hello', 1, alice.token);
      const lock = await holdChat(c.databaseUrl, first.body.chat_id);
      const inFlight = a.send({ user: bob.userId }, 'in flight', 2, alice.token);
      await untilSomeoneWaits(c.databaseUrl);
      const closing = c.servers[0]!.close();
      expect((await a.get('/readyz')).status).to.equal(503);
      expect((await b.get('/readyz')).status).to.equal(200);
      await lock.release();
      const answer = await inFlight;
      expect(answer.status).to.equal(201);
      await closing;
      const retry = await b.send({ user: bob.userId }, 'in flight', 2, alice.token);
      expect(retry.status).to.equal(200);
      expect(retry.body.id).to.equal(answer.body.id);
    } finally {
      await c.close();
    }
  });

  it('when the database refuses connections then /readyz is 503, and 200 again once it is back', async () => {
    const c = await startCluster();
    const name = new URL(c.databaseUrl).pathname.slice(1);
    const admin = process.env.MSGR_TEST_ADMIN_URL!;
    try {
      expect((await c.api.get('/readyz')).status).to.equal(200);
      await withPg(admin, async (client) => {
        await client.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
        await client.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1',
          [name],
        );
      });
      expect((await c.api.get('/readyz')).status).to.equal(503);
      expect((await c.api.get('/healthz')).status).to.equal(200);
      await withPg(admin, (client) =>
        client.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`),
      );
      // The event listener reconnects with backoff: ready again within a few seconds.
      const deadline = Date.now() + 10_000;
      while ((await c.api.get('/readyz')).status !== 200) {
        if (Date.now() > deadline) throw new Error('never ready again');
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await withPg(admin, (client) =>
        client.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`),
      );
      await c.close();
    }
  });

  it('when the process gets SIGTERM during a send then the send completes and it exits 0 within 10 s', async function () {
    this.timeout(40_000);
    const url = await freshDatabase();
    const port = await freePort();
    const api = new Api(`http://127.0.0.1:${port}`);
    const server = await spawnServer(
      ['--import', 'tsx', fileURLToPath(new URL('../src/main.ts', import.meta.url))],
      {
        ...process.env,
        DATABASE_URL: url,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        BCRYPT_ROUNDS: '4',
      },
      api.baseUrl,
      { probe: '/healthz' },
    );
    const { child } = server;
    try {
      const alice = await api.login('test1@test.com');
      const first = await api.send({ user: 2 }, 'before', 1, alice.token);
      const lock = await holdChat(url, first.body.chat_id);
      const inFlight = api.send({ user: 2 }, 'during', 2, alice.token);
      await untilSomeoneWaits(url);
      const t0 = Date.now();
      child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
      await lock.release();
      expect((await inFlight).status).to.equal(201);
      expect(await server.exited, server.stderr()).to.equal(0);
      expect(Date.now() - t0).to.be.below(10_000);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
