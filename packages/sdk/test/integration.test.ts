/**
 * The SDK against real server processes (3 instances on one database): exactly-once sends with
 * `race`, failover past a dead host, and a subscription that outlives its instance.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import pg from 'pg';
import { listen } from '../../server/test/support/net-proxy.js';
import { startServerProcesses, type ServerProcesses } from '../../server/test/support/processes.js';
import { RACE_LOSER_GRACE_MS } from '../src/transport.js';
import {
  MessengerClient,
  MessengerError,
  type Message,
  type SubscriptionEvent,
} from '../src/index.js';

async function countMessages(databaseUrl: string, chatId: number): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      'SELECT count(*)::int AS n FROM messages WHERE chat_id = $1',
      [chatId],
    );
    return rows[0].n;
  } finally {
    await client.end();
  }
}

/** Reads events until `predicate` has seen enough, with a deadline. */
async function readUntil(
  iterator: AsyncIterator<SubscriptionEvent>,
  isDone: (events: SubscriptionEvent[]) => boolean,
  timeoutMs = 15_000,
): Promise<SubscriptionEvent[]> {
  const events: SubscriptionEvent[] = [];
  const deadline = Date.now() + timeoutMs;
  while (!isDone(events)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out; got ${JSON.stringify(events.map((e) => e.type))}`);
    const next = await Promise.race([
      iterator.next(),
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), left)),
    ]);
    if (next === 'timeout') continue;
    if (next.done) throw new Error('the subscription ended');
    events.push(next.value);
  }
  return events;
}

const messagesOf = (events: SubscriptionEvent[]): Message[] =>
  events.flatMap((e) => (e.type === 'Message' ? [e.message] : []));

describe('@msgr/sdk against real servers', function () {
  this.timeout(60_000);
  let servers: ServerProcesses;
  before(async () => {
    servers = await startServerProcesses(3);
  });
  after(() => servers.close());

  it('when logged in then every REST method answers the contract shapes', async () => {
    const client = new MessengerClient({ hosts: servers.urls });
    const email = `sdk-${Date.now()}@example.com`;
    const registered = await client.register({ email, name: 'Sdk', password: 'password123' });
    expect(registered).to.include({ email, name: 'Sdk' });
    const pair = await client.login({ email, password: 'password123', clientId: 'laptop' });
    expect(pair.token_type).to.equal('bearer');
    expect(await client.me()).to.deep.equal(registered);
    const [bob] = await client.users({ query: 'test2@' });
    expect(bob!.email).to.equal('test2@test.com');
    expect(await client.users({ ids: [bob!.id, registered.id] })).to.deep.equal(
      [bob, registered].sort((x, y) => x!.id - y!.id),
    );
    const sent = await client.sendToUser(bob!.id, 'hello bob');
    expect(sent).to.include({ sender_id: registered.id, text: 'hello bob', is_read: false });
    const group = await client.createGroup({ name: 'sdk group', participantUserIds: [bob!.id] });
    expect(group.member_ids).to.have.members([registered.id, bob!.id]);
    expect(await client.group(group.group_id)).to.deep.equal(group);
    const inGroup = await client.sendToGroup(group.group_id, 'hello group');
    const chats = await client.chats();
    expect(chats.map((c) => c.chat_id)).to.deep.equal([group.chat_id, sent.chat_id]);
    expect(await client.history(group.chat_id)).to.deep.equal([inGroup]);
    expect(await client.markRead(inGroup.id)).to.deep.equal({
      chat_id: group.chat_id,
      last_read_message_id: inGroup.id,
    });
    await client.logout();
    const error = await client.me().catch((e: unknown) => e);
    expect(error).to.be.instanceOf(MessengerError);
    expect(error).to.include({ status: 401, code: 'not_logged_in' });
  });

  it('when iterating history then every page is visited once, in order', async () => {
    const client = new MessengerClient({ hosts: servers.urls });
    await client.login({ email: 'test1@test.com', password: 'test' });
    const ids: number[] = [];
    for (let i = 0; i < 25; i++) ids.push((await client.sendToUser(3, `page ${i}`)).id);
    const chatId = (await client.chats()).find((c) => c.peer_user_id === 3)!.chat_id;
    const seen: number[] = [];
    for await (const m of client.iterateHistory(chatId, { after: ids[0]! - 1, pageSize: 7 }))
      seen.push(m.id);
    expect(seen).to.deep.equal(ids);
  });

  it('when the server refuses then a MessengerError carries status, code and detail', async () => {
    const client = new MessengerClient({ hosts: servers.urls });
    await client.login({ email: 'test1@test.com', password: 'test' });
    const error = (await client
      .sendToUser(999_999, 'nobody')
      .catch((e: unknown) => e)) as MessengerError;
    expect(error).to.be.instanceOf(MessengerError);
    expect(error).to.include({ status: 404, code: 'user_not_found' });
    expect(error.detail).to.be.a('string').and.not.be.empty;
    const bad = (await client
      .login({ email: 'test1@test.com', password: 'wrong' })
      .catch((e: unknown) => e)) as MessengerError;
    expect(bad).to.include({ status: 401, code: 'invalid_credentials' });
  });

  it('when racing 3 hosts then one message exists per send (20 sends)', async () => {
    const client = new MessengerClient({ hosts: servers.urls, strategy: 'race' });
    await client.login({ email: 'test2@test.com', password: 'test', clientId: 'race' });
    const sent: Message[] = [];
    for (let i = 0; i < 20; i++) sent.push(await client.sendToUser(3, `race ${i}`));
    expect(new Set(sent.map((m) => m.id)).size).to.equal(20);
    const chatId = sent[0]!.chat_id;
    const history = await client.history(chatId, { limit: 100 });
    expect(history.filter((m) => m.text.startsWith('race ')).map((m) => m.id)).to.deep.equal(
      sent.map((m) => m.id),
    );
    expect(await countMessages(servers.databaseUrl, chatId)).to.equal(history.length);
  });

  it('when racing then the answers that lose are read, not aborted: the connections stay open for the next send', async () => {
    const proxies = await Promise.all(servers.urls.map((u) => listen(Number(new URL(u).port))));
    try {
      const client = new MessengerClient({ hosts: proxies.map((p) => p.url), strategy: 'race' });
      await client.login({ email: 'test2@test.com', password: 'test', clientId: 'keep-alive' });
      for (let i = 0; i < 20; i++) await client.sendToUser(3, `kept ${i}`);
      // Aborting a loser destroys its connection (20 sends: about 40 closed and opened again).
      // Losers still answering when the next send starts make the pool grow, never shrink.
      const closed = proxies.map((p) => p.stats.accepted - p.openConnections);
      const opened = proxies.map((p) => p.stats.accepted);
      expect(closed, `connections opened per host: ${opened.join(', ')}`).to.deep.equal([0, 0, 0]);
    } finally {
      await Promise.all(proxies.map((p) => p.close()));
    }
  });

  it('when racing and a host never answers then its request is ended once the grace after the win is over', async () => {
    const silent = http.createServer(() => undefined);
    // The one request it gets (it may arrive after the race is won: this process runs both).
    const stalled = once(silent, 'request', { signal: AbortSignal.timeout(10_000) }) as Promise<
      [http.IncomingMessage]
    >;
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    try {
      const port = (silent.address() as AddressInfo).port;
      const hosts = [...servers.urls.slice(0, 2), `http://127.0.0.1:${port}`];
      const client = new MessengerClient({ hosts, strategy: 'race', timeoutMs: 30_000 });
      await client.login({ email: 'test2@test.com', password: 'test', clientId: 'grace' });
      await client.sendToUser(3, 'one host is silent');
      const won = Date.now();
      const [req] = await stalled;
      await once(req.socket, 'close', { signal: AbortSignal.timeout(5_000) });
      expect(Date.now() - won).to.be.within(RACE_LOSER_GRACE_MS - 100, 4_000);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('when the same operation id is sent again then send() says it is a replay of the same message', async () => {
    const client = new MessengerClient({ hosts: servers.urls });
    await client.login({ email: 'test1@test.com', password: 'test' });
    const operationId = 12_345;
    const first = await client.send({ userId: 2 }, `replayed ${Date.now()}`, { operationId });
    expect(first).to.include({ isReplay: false, operationId });
    const again = await client.send({ userId: 2 }, first.message.text, { operationId });
    expect(again).to.deep.equal({ message: first.message, isReplay: true, operationId });
    const fresh = await client.send({ userId: 2 }, first.message.text);
    expect(fresh.isReplay).to.be.false;
    expect(fresh.message.id).to.not.equal(first.message.id);
  });

  it('when the first host is down then failover sends once through another', async () => {
    await servers.kill(0);
    try {
      const client = new MessengerClient({
        hosts: servers.urls,
        retry: { baseDelayMs: 10, maxDelayMs: 50 },
      });
      await client.login({ email: 'test3@test.com', password: 'test', clientId: 'failover' });
      const before = (await client.chats()).find((c) => c.peer_user_id === 1);
      const m = await client.sendToUser(1, 'through a live host');
      const after = await client.history(m.chat_id, { after: before?.last_message?.id ?? 0 });
      expect(after.map((x) => x.id)).to.deep.equal([m.id]);
    } finally {
      await servers.start(0);
    }
  });

  it('when its instance stops then the subscription moves on and ends with every message once', async () => {
    const reader = new MessengerClient({ hosts: servers.urls });
    await reader.login({ email: 'test2@test.com', password: 'test', clientId: 'reader' });
    // The writer avoids instance 0, which is about to stop.
    const writer = new MessengerClient({ hosts: servers.urls.slice(1) });
    await writer.login({ email: 'test1@test.com', password: 'test', clientId: 'writer' });
    const first = await writer.sendToUser(2, 'before the subscription');
    const sub = reader.subscribe({ chatId: first.chat_id });
    const iterator = sub[Symbol.asyncIterator]();
    try {
      await readUntil(iterator, (events) =>
        events.some((e) => e.type === 'State' && e.state === 'open'),
      );
      const sent: number[] = [];
      for (let i = 0; i < 10; i++) sent.push((await writer.sendToUser(2, `live ${i}`)).id);
      const stopping = servers.stop(0);
      for (let i = 10; i < 30; i++) sent.push((await writer.sendToUser(2, `live ${i}`)).id);
      await stopping;
      const events = await readUntil(iterator, (e) => messagesOf(e).length >= sent.length);
      const ids = messagesOf(events).map((m) => m.id);
      expect(ids).to.deep.equal(sent);
      expect(ids).to.not.include(first.id);
      expect(events.some((e) => e.type === 'State' && e.state === 'reconnecting')).to.be.true;
    } finally {
      sub.close();
      await servers.start(0);
    }
  });

  it('when a message is read by its peer then the sender sees a Read event', async () => {
    const alice = new MessengerClient({ hosts: servers.urls });
    await alice.login({ email: 'test1@test.com', password: 'test', clientId: 'receipts' });
    const bob = new MessengerClient({ hosts: servers.urls.slice(2) });
    await bob.login({ email: 'test3@test.com', password: 'test' });
    const sub = alice.subscribe();
    const iterator = sub[Symbol.asyncIterator]();
    try {
      await readUntil(iterator, (events) =>
        events.some((e) => e.type === 'State' && e.state === 'open'),
      );
      const m = await alice.sendToUser(3, 'read me please');
      await bob.markRead(m.id);
      const events = await readUntil(iterator, (e) =>
        e.some((x) => x.type === 'Read' && x.message_id === m.id),
      );
      // The sending device does not get its own message back.
      expect(messagesOf(events).map((x) => x.id)).to.not.include(m.id);
    } finally {
      sub.close();
    }
  });

  it('when a send holds a lower id while a later message is delivered and the connection is lost, then subscribe({}) still delivers it, once', async () => {
    const db = new pg.Client({ connectionString: servers.databaseUrl });
    await db.connect();
    const reader = new MessengerClient({ hosts: [servers.urls[0]!, servers.urls[1]!] });
    await reader.login({ email: 'test3@test.com', password: 'test', clientId: 'held-reader' });
    const sub = reader.subscribe();
    const iterator = sub[Symbol.asyncIterator]();
    try {
      await db.query(`
        CREATE OR REPLACE FUNCTION test_hold_sdk() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.text = 'HOLD' THEN PERFORM pg_advisory_xact_lock_shared(515151); END IF;
          RETURN NEW;
        END $$;
        DROP TRIGGER IF EXISTS test_hold_sdk ON messages;
        CREATE TRIGGER test_hold_sdk AFTER INSERT ON messages
          FOR EACH ROW EXECUTE FUNCTION test_hold_sdk();
      `);
      const alice = new MessengerClient({ hosts: [servers.urls[2]!] });
      await alice.login({ email: 'test1@test.com', password: 'test', clientId: 'held-a' });
      const bob = new MessengerClient({ hosts: [servers.urls[2]!] });
      await bob.login({ email: 'test2@test.com', password: 'test', clientId: 'held-b' });
      await readUntil(iterator, (events) =>
        events.some((e) => e.type === 'State' && e.state === 'open'),
      );
      await db.query('SELECT pg_advisory_lock(515151)');
      const held = alice.sendToUser(3, 'HOLD');
      for (let waited = 0; ; waited += 10) {
        const { rows } = await db.query(
          `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = 515151 AND NOT granted`,
        );
        if (rows.length > 0) break;
        if (waited > 10_000) throw new Error('the held send never reached its lock');
        await new Promise((r) => setTimeout(r, 10));
      }
      const later = await bob.sendToUser(3, 'later, another chat');
      await readUntil(iterator, (e) => messagesOf(e).some((m) => m.id === later.id));
      // The reader's instance goes away; the held send commits while it reconnects elsewhere.
      await servers.stop(0);
      await db.query('SELECT pg_advisory_unlock(515151)');
      const heldMessage = await held;
      expect(heldMessage.id).to.be.below(later.id);
      const events = await readUntil(iterator, (e) =>
        messagesOf(e).some((m) => m.id === heldMessage.id),
      );
      expect(messagesOf(events).map((m) => m.id)).to.deep.equal([heldMessage.id]);
    } finally {
      sub.close();
      await db.query('DROP TRIGGER IF EXISTS test_hold_sdk ON messages').catch(() => undefined);
      await db.end();
      await servers.start(0);
    }
  });

  it("when a new subscription starts from an old one's position then it gets exactly what the old one missed", async () => {
    const reader = new MessengerClient({ hosts: servers.urls });
    await reader.login({ email: 'test2@test.com', password: 'test', clientId: 'position-reader' });
    const writer = new MessengerClient({ hosts: servers.urls });
    await writer.login({ email: 'test1@test.com', password: 'test', clientId: 'position-writer' });
    const first = reader.subscribe();
    const firstIterator = first[Symbol.asyncIterator]();
    await readUntil(firstIterator, (e) => e.some((x) => x.type === 'State' && x.state === 'open'));
    const seen = (await writer.sendToUser(2, 'seen live')).id;
    await readUntil(firstIterator, (e) => messagesOf(e).some((m) => m.id === seen));
    const position = first.position;
    expect(position)
      .to.be.a('string')
      .that.matches(/^\d+(\.\d+)*$/);
    first.close();
    const missed = [];
    for (let i = 0; i < 5; i++) missed.push((await writer.sendToUser(2, `missed ${i}`)).id);
    const second = reader.subscribe({ position });
    try {
      const events = await readUntil(
        second[Symbol.asyncIterator](),
        (e) => messagesOf(e).length >= 5,
      );
      expect(messagesOf(events).map((m) => m.id)).to.deep.equal(missed);
    } finally {
      second.close();
    }
  });
});
