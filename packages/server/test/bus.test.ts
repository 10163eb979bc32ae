/**
 * The realtime bus (realtime/bus*.ts, outbox-relay.ts): what a subscriber makes of relayed
 * batches (duplicates dropped, gaps resynced), and — on a real engine, `MSGR_TEST_BUS=redis|nats`
 * (npm run test:redis / test:nats) — the outbox's promises: nothing announced that never
 * committed, nothing lost that did, one order for every instance, relayed rows pruned.
 */
import { expect } from 'chai';
import pg from 'pg';
import { ConfigError, loadConfig } from '../src/config.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { createLogger } from '../src/logger.js';
import type { Bus, BusEvent, BusStats } from '../src/realtime/bus.js';
import { encodeBatch, splitBatch, StreamInbound } from '../src/realtime/bus-inbound.js';
import { createBus } from '../src/realtime/create-bus.js';
import { testBus, testEngine } from './support/engines.js';
import { sleep, until } from './support/fault-cluster.js';
import { startCluster, type Cluster } from './support/harness.js';

const silent = createLogger('silent');

function inbound() {
  const stats: BusStats = { notifications: 0, reconnects: 0, duplicates: 0, gaps: 0 };
  const events: BusEvent[] = [];
  let resyncs = 0;
  const ib = new StreamInbound(
    stats,
    silent,
    (e) => events.push(e),
    () => resyncs++,
  );
  const mark = (up_to: number) => JSON.stringify({ t: 'Mark', up_to });
  const batch = (after: number, ids: number[]) =>
    encodeBatch({ after, rows: ids.map((id) => [id, mark(id)] as const) });
  return { ib, stats, events, batch, resyncs: () => resyncs };
}

describe('bus: MSGR_BUS', () => {
  it('when MSGR_BUS is unset, postgres, or an engine URL then the config says which bus', () => {
    expect(loadConfig({}).bus).to.deep.equal({ kind: 'postgres' });
    expect(loadConfig({ MSGR_BUS: 'postgres' }).bus).to.deep.equal({ kind: 'postgres' });
    expect(loadConfig({ MSGR_BUS: 'redis://10.0.0.5:6379' }).bus).to.deep.equal({
      kind: 'redis',
      url: 'redis://10.0.0.5:6379',
    });
    expect(loadConfig({ MSGR_BUS: 'nats://nats:4222' }).bus).to.deep.equal({
      kind: 'nats',
      url: 'nats://nats:4222',
    });
  });

  it('when MSGR_BUS is anything else then the start is refused naming MSGR_BUS', () => {
    for (const value of ['kafka://k:9092', 'redis', 'http://x', 'redis://']) {
      expect(() => loadConfig({ MSGR_BUS: value }), value)
        .to.throw(ConfigError)
        .with.property('message')
        .that.contains('MSGR_BUS');
    }
  });
});

describe('bus: relayed batches as a subscriber hears them', () => {
  it('when batches follow each other then every event is heard once, in order', () => {
    const t = inbound();
    t.ib.accept(t.batch(0, [3, 5]));
    t.ib.accept(t.batch(5, [6]));
    expect(t.events.map((e) => (e as { up_to: number }).up_to)).to.deep.equal([3, 5, 6]);
    expect(t.resyncs()).to.equal(0);
  });

  it('when a batch is relayed again (at-least-once) then the ids already heard are dropped', () => {
    const t = inbound();
    t.ib.accept(t.batch(0, [1, 2, 3]));
    t.ib.accept(t.batch(0, [1, 2, 3, 4]));
    expect(t.events).to.have.length(4);
    expect(t.stats.duplicates).to.equal(3);
    expect(t.resyncs()).to.equal(0);
  });

  it('when a batch follows an id never heard then it is a gap: resync, and the batch still counts', () => {
    const t = inbound();
    t.ib.accept(t.batch(0, [1, 2]));
    t.ib.accept(t.batch(7, [8]));
    expect(t.resyncs()).to.equal(1);
    expect(t.stats.gaps).to.equal(1);
    expect(t.events).to.have.length(3);
  });

  it('when the connection came back then its first batch is no gap (the reconnect resynced)', () => {
    const t = inbound();
    t.ib.accept(t.batch(0, [1]));
    t.ib.reconnected();
    t.ib.accept(t.batch(9, [10]));
    expect(t.resyncs()).to.equal(0);
    t.ib.accept(t.batch(12, [13]));
    expect(t.resyncs()).to.equal(1);
  });

  it('when ephemeral and malformed messages arrive then Typing passes and garbage is ignored', () => {
    const t = inbound();
    t.ib.accept(JSON.stringify({ x: { t: 'Typing', chat_id: 1, user_id: 2 } }));
    t.ib.accept('not json');
    t.ib.accept('{"a":"x"}');
    expect(t.events).to.deep.equal([{ t: 'Typing', chat_id: 1, user_id: 2 }]);
  });

  it('when a batch is larger than one message may be then its parts chain one to the next', () => {
    const big = 'x'.repeat(100_000);
    const rows = [1, 2, 3, 4, 5].map(
      (id) => [id, JSON.stringify({ t: 'Mark', up_to: id, big })] as const,
    );
    const parts = splitBatch({ after: 0, rows });
    expect(parts.length).to.be.greaterThan(1);
    expect(parts[0]!.after).to.equal(0);
    for (let i = 1; i < parts.length; i++) {
      expect(parts[i]!.after).to.equal(parts[i - 1]!.rows.at(-1)![0]);
    }
    expect(parts.flatMap((p) => p.rows.map((r) => r[0]))).to.deep.equal([1, 2, 3, 4, 5]);
  });
});

describe('bus: the outbox on an engine (MSGR_TEST_BUS)', function () {
  this.timeout(40_000);
  let c: Cluster;
  let db: Database;
  let bus: Bus;
  const heard: BusEvent[] = [];
  let resyncs = 0;

  before(async function () {
    if (testBus().kind === 'postgres') {
      console.log(
        '      (skipped: the outbox runs on Redis or NATS; npm run test:redis / test:nats)',
      );
      this.skip();
    }
    c = await startCluster();
    // A listener of our own on the same deployment's channel: it hears what instances hear.
    db = openDatabase(c.databaseUrl, { poolMax: 2 });
    bus = await createBus(testBus(), { databaseUrl: c.databaseUrl, db, logger: silent });
    bus.on('event', (e) => heard.push(e));
    bus.on('resync', () => resyncs++);
    await bus.start();
  });
  after(async () => {
    await bus?.close();
    await db?.close();
    await c?.close();
  });

  /** A connection that writes as an engine deployment's server does (`msgr.bus = outbox`). */
  async function writer(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: c.databaseUrl,
      options: '-c msgr.bus=outbox',
    });
    await client.connect();
    return client;
  }
  const typing = (user_id: number) => JSON.stringify({ t: 'Typing', chat_id: 0, user_id });
  const heardUsers = () =>
    heard
      .filter((e) => e.t === 'Typing' && e.chat_id === 0)
      .map((e) => (e as { user_id: number }).user_id);

  it('when a transaction holds an earlier outbox id then later commits wait for it, and all come in id order', async () => {
    const [a, b] = [await writer(), await writer()];
    try {
      await a.query('BEGIN');
      await a.query('SELECT msgr_bus($1)', [typing(9001)]);
      await b.query('SELECT msgr_bus($1)', [typing(9002)]);
      await sleep(300);
      expect(heardUsers(), 'nothing past the open transaction').to.not.include(9002);
      await a.query('COMMIT');
      await until('both relayed', () => heardUsers().includes(9002));
      expect(heardUsers().filter((u) => u === 9001 || u === 9002)).to.deep.equal([9001, 9002]);
    } finally {
      await a.end();
      await b.end();
    }
  });

  it('when a transaction rolls back then its event is never announced', async () => {
    const w = await writer();
    try {
      await w.query('BEGIN');
      await w.query('SELECT msgr_bus($1)', [typing(9003)]);
      await w.query('ROLLBACK');
      await w.query('SELECT msgr_bus($1)', [typing(9004)]);
      await until('the committed one', () => heardUsers().includes(9004));
      expect(heardUsers()).to.not.include(9003);
    } finally {
      await w.end();
    }
  });

  it('when rows are relayed then the outbox is pruned and the relay says how far it got', async () => {
    const admin = new pg.Client({ connectionString: c.databaseUrl });
    await admin.connect();
    try {
      const deadline = Date.now() + 5000;
      for (;;) {
        const { rows } = await admin.query<{ n: number; up_to: string; last: string }>(
          `SELECT (SELECT count(*)::int FROM bus_outbox) AS n, (SELECT up_to FROM bus_relay) AS up_to,
             pg_sequence_last_value('bus_outbox_id_seq'::regclass) AS last`,
        );
        if (rows[0]!.n === 0) {
          expect(Number(rows[0]!.up_to)).to.be.at.least(1);
          break;
        }
        if (Date.now() > deadline) throw new Error(`${rows[0]!.n} rows left in the outbox`);
        await sleep(50);
      }
    } finally {
      await admin.end();
    }
  });

  // What committed while the engine was away reaches a listener on its own connection either as
  // an event or, when the relay's connection came back first and published before this listener
  // had subscribed again, through the resync that listener says after subscribing (a client then
  // reads it back from its position). Which of the two depends on which connection reconnects
  // first, so the test takes either, and then asks that what commits next arrives live, once.
  it('when the engine is killed and restarted then the listener resyncs, what committed meanwhile is relayed, and what commits next arrives live', async () => {
    const engine = testEngine();
    if (!engine) return;
    const before = resyncs;
    const w = await writer();
    const admin = new pg.Client({ connectionString: c.databaseUrl });
    await admin.connect();
    try {
      await engine.kill();
      const { rows } = await w.query<{ id: string }>(
        `SELECT msgr_bus($1), pg_sequence_last_value('bus_outbox_id_seq'::regclass) AS id`,
        [typing(9005)],
      );
      const id = Number(rows[0]!.id);
      await sleep(300);
      await engine.start();
      await until('a resync', () => resyncs > before, 20_000);
      const relayedUpTo = async () =>
        Number(
          (await admin.query<{ up_to: string }>('SELECT up_to FROM bus_relay')).rows[0]?.up_to,
        );
      await until(
        'the row committed meanwhile relayed',
        async () => (await relayedUpTo()) >= id,
        20_000,
      );
      expect(heardUsers().filter((u) => u === 9005)).to.have.length.at.most(1);
      await w.query('SELECT msgr_bus($1)', [typing(9007)]);
      await until('the row committed after the reconnect', () => heardUsers().includes(9007));
      expect(heardUsers().filter((u) => u === 9007)).to.have.length(1);
      // The server's own subscriber reconnects on its own backoff, maybe after the listener here.
      await until(
        'the server ready again',
        async () => (await c.api.get('/readyz')).status === 200,
        20_000,
      );
    } finally {
      await w.end();
      await admin.end();
    }
  });

  it('when the server sends Typing then it goes straight onto the bus, never into the outbox', async () => {
    expect(bus.usesOutbox).to.equal(true);
    const before = heard.length;
    await bus.publishEphemeral({ t: 'Typing', chat_id: 0, user_id: 9006 });
    await until('the ephemeral event', () => heard.length > before);
    expect(heardUsers()).to.include(9006);
  });
});

describe('bus: PostgreSQL (the default)', () => {
  it('when the bus is postgres then logged changes are announced by NOTIFY and the outbox stays empty', async function () {
    if (testBus().kind !== 'postgres') this.skip();
    const c = await startCluster();
    const admin = new pg.Client({ connectionString: c.databaseUrl });
    await admin.connect();
    try {
      const heard: string[] = [];
      admin.on('notification', (n) => heard.push(n.payload ?? ''));
      await admin.query('LISTEN msgr_events');
      const alice = await c.api.newUser('alice');
      const bob = await c.api.newUser('bob');
      const sent = (await c.api.send({ user: bob.userId }, 'hello', 1, alice.token)).body;
      await until('the notification', () =>
        heard.some((p) => p === `{"t":"Log","ids":[${sent.id}]}`),
      );
      const { rows } = await admin.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM bus_outbox',
      );
      expect(rows[0]!.n).to.equal(0);
    } finally {
      await admin.end();
      await c.close();
    }
  });
});
