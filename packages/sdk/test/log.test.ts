/**
 * v1.2 in the SDK, against real server processes (2 instances on one database): a subscription
 * of either kind keeps its position and, resumed from it on the other host, gets every kind of
 * change it missed, once; `sync()` and `changes()` catch up without a socket; an expired
 * position says so in each of them.
 */
import { expect } from 'chai';
import pg from 'pg';
import WebSocket from 'ws';
import { startServerProcesses, type ServerProcesses } from '../../server/test/support/processes.js';
import {
  MessengerClient,
  MessengerError,
  type ChangeEvent,
  type Message,
  type SubscriptionEvent,
  type WebSocketLike,
} from '../src/index.js';
import { EventLog } from './support/event-log.js';

const changesOf = (events: SubscriptionEvent[]) => events.filter((e) => e.type !== 'State');

describe('@msgr/sdk v1.2 (one log of every change) against real servers', function () {
  this.timeout(60_000);
  let servers: ServerProcesses;
  let stamp = 0;
  const logs: EventLog[] = [];

  before(async () => {
    // The leader trims often, so a test can age events and see them go.
    servers = await startServerProcesses(2, { EVENT_TRIM_INTERVAL_MS: '200' });
  });
  after(() => servers.close());
  afterEach(() => {
    for (const log of logs.splice(0)) log.close();
  });

  async function person(name: string) {
    const email = `${name}-${Date.now()}-${++stamp}@example.com`;
    const user = await new MessengerClient({ hosts: servers.urls }).register({
      email,
      name,
      password: 'password123',
    });
    const device = async (clientId: string, host = 0) => {
      const client = new MessengerClient({ hosts: [servers.urls[host]!] });
      await client.login({ email, password: 'password123', clientId });
      return client;
    };
    return { user, device };
  }

  /** Every kind of change in `group` while bob is away; bob's laptop reads. Answers the kinds. */
  async function changesWhileAway(
    alice: MessengerClient,
    bobLaptop: MessengerClient,
    groupId: number,
  ): Promise<{ kinds: string[]; last: Message }> {
    const m = await alice.sendToGroup(groupId, 'while you were away');
    await alice.editMessage(m.id, 'while you were away (edited)');
    await alice.react(m.id, '👍');
    await alice.renameGroup(groupId, 'renamed while away');
    await bobLaptop.markRead(m.id);
    const gone = await alice.sendToGroup(groupId, 'soon gone');
    await alice.deleteMessage(gone.id);
    const last = await alice.sendToGroup(groupId, 'the last one');
    const kinds = [
      'Message',
      'MessageEdited',
      'Reaction',
      'ChatUpdated',
      'ReadMarker',
      'Message',
      'MessageDeleted',
      'Message',
    ];
    return { kinds, last };
  }

  for (const kind of ['all chats', 'one chat'] as const) {
    it(`when a subscription to ${kind} is away while every kind of change happens then, resumed from its position on the other host, it gets each once`, async () => {
      const a = await person('Alice');
      const b = await person('Bob');
      const alice = await a.device('desk', 0);
      const bobPhone = await b.device('phone', 0);
      const bobLaptop = await b.device('laptop', 1);
      const group = await alice.createGroup({ name: 'team', participantUserIds: [b.user.id] });
      const chatId = kind === 'one chat' ? group.chat_id : undefined;

      const first = new EventLog(bobPhone.subscribe({ chatId }));
      logs.push(first);
      await first.open();
      const probe = await alice.sendToGroup(group.group_id, 'are you there?');
      await first.until((e) => e.some((x) => x.type === 'Message' && x.message.id === probe.id));
      const position = first.subscription.position;
      expect(position).to.match(/^\d+(\.\d+)*$/);
      first.close();

      const { kinds, last } = await changesWhileAway(alice, bobLaptop, group.group_id);
      const phoneAgain = new MessengerClient({ hosts: [servers.urls[1]!] });
      await phoneAgain.login({ email: b.user.email!, password: 'password123', clientId: 'phone' });
      const resumed = new EventLog(phoneAgain.subscribe({ chatId, position }));
      logs.push(resumed);
      await resumed.until((e) => e.some((x) => x.type === 'Message' && x.message.id === last.id));
      const got = changesOf(resumed.events);
      expect(got.map((e) => e.type)).to.deep.equal(kinds);
      // Positions are the subscription's business: no seq or mark on an event.
      for (const e of got) expect(e).to.not.have.any.keys('seq', 'mark');
      expect(resumed.subscription.position).to.not.equal(position);
    });
  }

  it('when events wait unread in a subscription then its position stays after the last one taken, so a saved position never skips one', async () => {
    const a = await person('Alice');
    const b = await person('Bob');
    const alice = await a.device('desk');
    let frames = 0;
    class CountingWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        this.addEventListener('message', (ev) => {
          const text =
            typeof ev.data === 'string' ? ev.data : Buffer.from(ev.data as Buffer).toString();
          if (text.startsWith('{"type":"Message"')) frames++;
        });
      }
    }
    const bob = new MessengerClient({
      hosts: [servers.urls[1]!],
      WebSocket: CountingWebSocket as unknown as WebSocketLike,
    });
    await bob.login({ email: b.user.email!, password: 'password123', clientId: 'phone' });
    const sub = bob.subscribe();
    const iterator = sub[Symbol.asyncIterator]();
    while ((await iterator.next()).value?.type !== 'State' || sub.state !== 'open');
    const before = sub.position!;
    const sent: number[] = [];
    for (const text of ['one', 'two', 'three'])
      sent.push((await alice.sendToUser(b.user.id, text)).id);
    const deadline = Date.now() + 10_000;
    while (frames < 3) {
      if (Date.now() > deadline) throw new Error(`only ${frames} frames arrived`);
      await new Promise((r) => setTimeout(r, 10));
    }
    // Three events arrived, none taken: the position is where it was.
    expect(sub.position).to.equal(before);
    const first = (await iterator.next()).value;
    expect(first).to.deep.include({ type: 'Message' });
    const afterOne = sub.position!;
    expect(afterOne).to.not.equal(before);
    // What a crash right now would resume from: the two not taken, and nothing else.
    const rest = await bob.sync({ position: afterOne });
    expect(rest.events.map((e) => (e.type === 'Message' ? e.message.id : 0))).to.deep.equal(
      sent.slice(1),
    );
    sub.close();
  });

  it('when sync() pages from a position then every change comes once, without seq or mark, and nothing is consumed', async () => {
    const a = await person('Alice');
    const b = await person('Bob');
    const alice = await a.device('desk');
    const bob = await b.device('phone', 1);
    const bobLaptop = await b.device('laptop');
    const group = await alice.createGroup({ name: 'team', participantUserIds: [b.user.id] });
    const { position: start, events: none } = await bob.sync();
    expect(none).to.deep.equal([]);
    const { kinds } = await changesWhileAway(alice, bobLaptop, group.group_id);
    const got: string[] = [];
    let position = start;
    for (;;) {
      const page = await bob.sync({ position, limit: 3 });
      got.push(...page.events.map((e) => e.type));
      for (const e of page.events) expect(e).to.not.have.any.keys('seq', 'mark');
      position = page.position;
      if (page.events.length < 3) break;
    }
    expect(got).to.deep.equal(kinds);
    const again = await bob.sync({ position: start, limit: 1000 });
    expect(again.events.map((e) => e.type)).to.deep.equal(kinds);
  });

  it('when changes() is iterated then it long-polls, yields each change once as it happens, and a position kept after any event resumes from there', async () => {
    const a = await person('Alice');
    const b = await person('Bob');
    const alice = await a.device('desk');
    const bob = await b.device('bot', 1);
    const { position: start } = await bob.sync();
    const changes = bob.changes({ position: start, waitSeconds: 20 });
    const seen: { event: ChangeEvent; position: string | undefined }[] = [];
    const iterating = (async () => {
      for await (const event of changes) {
        seen.push({ event, position: changes.position });
        if (seen.length === 3) break;
      }
    })();
    const sent: number[] = [];
    for (const text of ['one', 'two', 'three']) {
      const t0 = Date.now();
      sent.push((await alice.sendToUser(b.user.id, text)).id);
      // Each arrives while the poll waits, long before its 20 s are up.
      const deadline = Date.now() + 5000;
      while (seen.length < sent.length && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(seen.length, `${text} after ${Date.now() - t0} ms`).to.equal(sent.length);
    }
    await iterating;
    expect(seen.map((s) => (s.event.type === 'Message' ? s.event.message.id : 0))).to.deep.equal(
      sent,
    );
    // Restarted from the position kept after the first event: the other two, and then caught up.
    const rest: number[] = [];
    for await (const e of bob.changes({ position: seen[0]!.position, untilCaughtUp: true })) {
      if (e.type === 'Message') rest.push(e.message.id);
    }
    expect(rest).to.deep.equal(sent.slice(1));
  });

  it('when a position is older than the log keeps then sync() rejects with position_expired, changes() and subscribe() say PositionExpired and go on from now', async () => {
    const a = await person('Alice');
    const b = await person('Bob');
    const alice = await a.device('desk');
    const bob = await b.device('phone');
    const { position: old } = await bob.sync();
    const aged = await alice.sendToUser(b.user.id, 'forty days ago');
    const db = new pg.Client({ connectionString: servers.databaseUrl });
    await db.connect();
    try {
      await db.query(`UPDATE events SET created_at = now() - interval '40 days' WHERE id <= $1`, [
        aged.id,
      ]);
      const deadline = Date.now() + 15_000;
      while (
        Number((await db.query('SELECT trimmed_to FROM stream_marks')).rows[0].trimmed_to) < aged.id
      ) {
        if (Date.now() > deadline) throw new Error('the log was never trimmed');
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await db.end();
    }
    const err = await bob.sync({ position: old }).then(
      () => expect.fail('an expired position was answered'),
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(MessengerError);
    expect(err).to.include({ status: 410, code: 'position_expired' });

    const sub = new EventLog(bob.subscribe({ position: old }));
    logs.push(sub);
    await sub.until((e) => e.some((x) => x.type === 'PositionExpired'));
    const live = await alice.sendToUser(b.user.id, 'after the reload');
    await sub.until((e) => e.some((x) => x.type === 'Message' && x.message.id === live.id));
    expect(changesOf(sub.events).map((e) => e.type)).to.deep.equal(['PositionExpired', 'Message']);

    const kinds: string[] = [];
    const changes = bob.changes({ position: old, untilCaughtUp: true });
    for await (const e of changes) {
      kinds.push(e.type);
      // Where it goes on from is known with the event itself.
      expect(changes.position).to.match(/^\d+(\.\d+)*$/);
    }
    expect(kinds).to.deep.equal(['PositionExpired']);
  });

  it('when a subscription starts from a position the server never handed out then it ends with 422 position_invalid, not retrying for ever', async () => {
    const b = await person('Bob');
    const bob = await b.device('phone');
    const log = new EventLog(bob.subscribe({ after: 900_000_000_000 }));
    logs.push(log);
    await log.ended();
    expect(log.failure).to.be.instanceOf(MessengerError);
    expect(log.failure).to.include({ status: 422, code: 'position_invalid' });
  });
});
