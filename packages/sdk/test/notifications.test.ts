/**
 * v1.4 notification levels in the SDK, against real server processes (2 instances on one
 * database): `setNotifications()` and what `chats()` shows; another device of the same user
 * hears of the change (`NotificationsChanged`, live and from `sync()`), the device that made it
 * does not; refusals are `MessengerError`s.
 *
 * "Does not" is shown without waiting for nothing: after its own change, the acting device's
 * subscription gets a message sent after it, and events of one chat arrive in log order.
 */
import { expect } from 'chai';
import { startServerProcesses, type ServerProcesses } from '../../server/test/support/processes.js';
import {
  MessengerClient,
  type ChatNotifications,
  type NotificationsChangedEvent,
  type User,
} from '../src/index.js';
import { EventLog } from './support/event-log.js';
import { refusal } from './support/refusal.js';

describe('@msgr/sdk v1.4 (notification levels) against real servers', function () {
  this.timeout(60_000);
  let servers: ServerProcesses;
  let stamp = 0;
  const logs: EventLog[] = [];

  before(async () => {
    servers = await startServerProcesses(2);
  });
  after(() => servers.close());
  afterEach(() => {
    for (const log of logs.splice(0)) log.close();
  });

  /** A new user, with a client per device: `device(clientId, hostIndex)`. */
  async function person(name: string) {
    const email = `${name}-${Date.now()}-${++stamp}@example.com`;
    const anonymous = new MessengerClient({ hosts: servers.urls });
    const user: User = await anonymous.register({ email, name, password: 'password123' });
    const device = async (clientId: string, host = 0) => {
      const client = new MessengerClient({ hosts: [servers.urls[host]!] });
      await client.login({ email, password: 'password123', clientId });
      return client;
    };
    return { user, device };
  }

  it('when each level is set then it resolves to the level now and chats() shows it', async () => {
    const a = await person('Alice');
    const alice = await a.device('desk');
    const group = await alice.createGroup({ name: 'team', participantUserIds: [] });
    const levelIn = async (client: MessengerClient) =>
      (await client.chats()).find((c) => c.chat_id === group.chat_id)!.notifications;
    expect(await levelIn(alice)).to.deep.equal({ level: 'all', muted_until: null });

    const at = new Date(Date.now() + 8 * 3600_000);
    const muted: ChatNotifications = await alice.setNotifications(group.chat_id, 'none', {
      until: at,
    });
    expect(muted).to.deep.equal({
      chat_id: group.chat_id,
      level: 'none',
      muted_until: at.toISOString(),
    });
    expect(await levelIn(await a.device('phone', 1))).to.deep.equal({
      level: 'none',
      muted_until: at.toISOString(),
    });
    // An RFC 3339 string with an offset is the same instant.
    const shifted = new Date(at.getTime() + 3600_000).toISOString().replace('Z', '+01:00');
    expect(
      (await alice.setNotifications(group.chat_id, 'mentions', { until: shifted })).muted_until,
    ).to.equal(at.toISOString());
    expect(await alice.setNotifications(group.chat_id, 'mentions')).to.deep.equal({
      chat_id: group.chat_id,
      level: 'mentions',
      muted_until: null,
    });
    expect(await alice.setNotifications(group.chat_id, 'all')).to.deep.equal({
      chat_id: group.chat_id,
      level: 'all',
      muted_until: null,
    });
    expect(await levelIn(alice)).to.deep.equal({ level: 'all', muted_until: null });
  });

  it("when a device changes the level then the user's other device hears NotificationsChanged, live and from sync(); the device that did it does not", async () => {
    const a = await person('Alice');
    const b = await person('Bob');
    const alice = await a.device('desk');
    const bobPhone = await b.device('phone', 0);
    const bobLaptop = await b.device('laptop', 1);
    const group = await alice.createGroup({ name: 'team', participantUserIds: [b.user.id] });
    const { position } = await bobPhone.sync();
    const phone = new EventLog(bobPhone.subscribe());
    const laptop = new EventLog(bobLaptop.subscribe({ chatId: group.chat_id }));
    logs.push(phone, laptop);
    await Promise.all([phone.open(), laptop.open()]);
    // Live for events once a message sent after they opened has come (see the header).
    const probe = await alice.sendToGroup(group.group_id, 'are you there?');
    const hasMessage = (id: number) => (events: EventLog['events']) =>
      events.some((e) => e.type === 'Message' && e.message.id === id);
    await Promise.all([phone.until(hasMessage(probe.id)), laptop.until(hasMessage(probe.id))]);

    const until = new Date(Date.now() + 3600_000).toISOString();
    await bobLaptop.setNotifications(group.chat_id, 'none', { until });
    const expected: NotificationsChangedEvent = {
      type: 'NotificationsChanged',
      chat_id: group.chat_id,
      level: 'none',
      muted_until: until,
    };
    await phone.until((events) => events.some((e) => e.type === 'NotificationsChanged'));
    expect(phone.ofTypes('NotificationsChanged')).to.deep.equal([expected]);
    const after = await alice.sendToGroup(group.group_id, 'after');
    await laptop.until(hasMessage(after.id));
    expect(laptop.ofTypes('NotificationsChanged')).to.deep.equal([]);

    const { events } = await bobPhone.sync({ position });
    expect(events.filter((e) => e.type === 'NotificationsChanged')).to.deep.equal([expected]);
  });

  it('when the level cannot be set then a MessengerError says why', async () => {
    const a = await person('Alice');
    const c = await person('Carol');
    const alice = await a.device('desk');
    const carol = await c.device('desk');
    const group = await alice.createGroup({ name: 'team', participantUserIds: [] });

    const past = await refusal(
      alice.setNotifications(group.chat_id, 'none', { until: new Date(Date.now() - 60_000) }),
    );
    expect([past.status, past.code]).to.deep.equal([422, 'validation_failed']);
    const withAll = await refusal(
      alice.setNotifications(group.chat_id, 'all', { until: new Date(Date.now() + 60_000) }),
    );
    expect([withAll.status, withAll.code]).to.deep.equal([422, 'validation_failed']);
    const stranger = await refusal(carol.setNotifications(group.chat_id, 'none'));
    expect([stranger.status, stranger.code]).to.deep.equal([403, 'chat_forbidden']);
    const unknown = await refusal(alice.setNotifications(9_007_199_254_740_991, 'none'));
    expect([unknown.status, unknown.code]).to.deep.equal([404, 'chat_not_found']);
    // Refused before anything is sent.
    const invalid = await refusal(
      alice.setNotifications(group.chat_id, 'none', { until: new Date(Number.NaN) }),
    );
    expect([invalid.status, invalid.code]).to.deep.equal([0, 'invalid_argument']);
    const badId = await refusal(alice.setNotifications(0, 'none'));
    expect(badId.code).to.equal('invalid_argument');
  });
});
