/**
 * v1.1 against real server processes (2 instances on one database): groups that change
 * (members, owner, name), messages that change (edits, tombstones, replies, reactions), search,
 * and the events of each change reaching subscribers on the other instance — but not the
 * device that caused it.
 *
 * "Not the device" is shown without waiting for nothing: after a device's own changes, another
 * device of the same user makes a change of the same kind; the subscriber gets that one, and
 * events of one chat reach a socket in commit order, so an echo of its own would have come first.
 *
 * A socket is open before the server has registered it for events (it claims a lease first):
 * so each subscription is first shown live by a message sent after it opened, and the changes
 * under test are made after it arrived (log.test.ts shows the replay of every kind).
 */
import { expect } from 'chai';
import { startServerProcesses, type ServerProcesses } from '../../server/test/support/processes.js';
import { MessengerClient, MessengerError, type Message, type User } from '../src/index.js';
import { EventLog } from './support/event-log.js';
import { refusal } from './support/refusal.js';

describe('@msgr/sdk v1.1 (conversations that change) against real servers', function () {
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
    const device = async (clientId: string, host: number) => {
      const client = new MessengerClient({ hosts: [servers.urls[host]!] });
      await client.login({ email, password: 'password123', clientId });
      return client;
    };
    let notes: MessengerClient | undefined;
    /** A message to themselves from a device of their own that none of the tests uses. */
    const noteToSelf = async () => {
      notes ??= await device('notes', 0);
      return notes.sendToUser(user.id, 'a note to self');
    };
    return { user, device, noteToSelf };
  }

  /**
   * A subscription, live for events before this resolves: open, then `probe()`'s message has
   * arrived (see the header). Its log starts after that message.
   */
  async function watch(
    client: MessengerClient,
    probe: () => Promise<Message>,
    options: { chatId?: number } = {},
  ) {
    const log = new EventLog(client.subscribe(options));
    logs.push(log);
    await log.open();
    const { id } = await probe();
    await log.until((e) => e.some((x) => x.type === 'Message' && x.message.id === id));
    log.clear();
    return log;
  }

  it('when members are added, the group renamed and someone removed then every member hears it on the other instance, the device that did it does not', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const carol = await person('Carol');
    // The device a1 writes through instance 0 and listens through instance 1.
    const a1 = await alice.device('a1', 0);
    const a1Listener = await alice.device('a1', 1);
    const a2 = await alice.device('a2', 0);
    const bobClient = await bob.device('b', 1);
    const carolClient = await carol.device('c', 1);
    const group = await a1.createGroup({ name: 'Team', participantUserIds: [bob.user.id] });
    expect(group.owner_id).to.equal(alice.user.id);
    const [mine, bobs, carols] = await Promise.all([
      watch(a1Listener, alice.noteToSelf),
      watch(bobClient, bob.noteToSelf),
      watch(carolClient, carol.noteToSelf),
    ]);

    const grown = await a1.addMembers(group.group_id, [carol.user.id, bob.user.id]);
    expect(grown.member_ids).to.have.members([alice.user.id, bob.user.id, carol.user.id]);
    expect(grown).to.include({ owner_id: alice.user.id, name: 'Team' });
    const renamed = await a1.renameGroup(group.group_id, 'Team One');
    expect(renamed).to.deep.equal({ ...grown, name: 'Team One' });
    await a1.removeMember(group.group_id, carol.user.id);
    await a2.renameGroup(group.group_id, 'Team Two');

    const added = {
      type: 'MembersChanged',
      chat_id: group.chat_id,
      group_id: group.group_id,
      added: [carol.user.id],
      removed: [],
      owner_id: alice.user.id,
    };
    const removed = { ...added, added: [], removed: [carol.user.id] };
    const named = (name: string) => ({
      type: 'ChatUpdated',
      chat_id: group.chat_id,
      group_id: group.group_id,
      name,
    });
    await bobs.until((e) => e.some((x) => x.type === 'ChatUpdated' && x.name === 'Team Two'));
    expect(bobs.changes).to.deep.equal([added, named('Team One'), removed, named('Team Two')]);
    await mine.until((e) => e.some((x) => x.type === 'ChatUpdated'));
    expect(mine.changes).to.deep.equal([named('Team Two')]);

    // Carol heard of her joining and her removal, then nothing more of the chat.
    await carols.until((e) => e.some((x) => x.type === 'MembersChanged' && x.removed.length > 0));
    const note = await bobClient.sendToUser(carol.user.id, 'you were removed');
    await carols.until((e) => e.some((x) => x.type === 'Message' && x.message.id === note.id));
    expect(carols.changes).to.deep.equal([
      added,
      named('Team One'),
      removed,
      { type: 'Message', message: note },
    ]);
    expect((await carolClient.chats()).map((c) => c.chat_id)).to.not.include(group.chat_id);
    const shut = await refusal(carolClient.history(group.chat_id));
    expect([shut.status, shut.code]).to.deep.equal([403, 'chat_forbidden']);
  });

  it('when someone who is not the owner manages the group then 403 not_group_owner; unknown people 404', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const a = await alice.device('a', 0);
    const b = await bob.device('b', 1);
    const group = await a.createGroup({ name: 'Mine', participantUserIds: [bob.user.id] });
    const tries = [
      b.addMembers(group.group_id, [alice.user.id]),
      b.renameGroup(group.group_id, 'Ours'),
      b.removeMember(group.group_id, alice.user.id),
    ];
    for (const attempt of tries) {
      const err = await refusal(attempt);
      expect([err.status, err.code]).to.deep.equal([403, 'not_group_owner']);
    }
    const unknown = await refusal(a.addMembers(group.group_id, [999_999]));
    expect([unknown.status, unknown.code]).to.deep.equal([404, 'user_not_found']);
    const outsider = await person('Outsider');
    const notIn = await refusal(a.removeMember(group.group_id, outsider.user.id));
    expect([notIn.status, notIn.code]).to.deep.equal([404, 'member_not_found']);
    expect((await a.group(group.group_id)).member_ids).to.have.members([
      alice.user.id,
      bob.user.id,
    ]);
    const bad = await refusal(a.removeMember(group.group_id, 0));
    expect([bad.status, bad.code]).to.deep.equal([0, 'invalid_argument']);
  });

  it('when members leave then the others hear it, the group is gone for them, and the earliest member inherits it', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const carol = await person('Carol');
    const a = await alice.device('a', 0);
    const b = await bob.device('b', 0);
    const c = await carol.device('c', 1);
    const group = await a.createGroup({ name: 'Leaving', participantUserIds: [bob.user.id] });
    await a.addMembers(group.group_id, [carol.user.id]);
    const carols = await watch(c, carol.noteToSelf);
    const base = { type: 'MembersChanged', chat_id: group.chat_id, group_id: group.group_id };

    await b.leaveGroup(group.group_id);
    await a.leaveGroup(group.group_id);
    await carols.until((e) => e.filter((x) => x.type === 'MembersChanged').length >= 2);
    expect(carols.ofTypes('MembersChanged')).to.deep.equal([
      { ...base, added: [], removed: [bob.user.id], owner_id: alice.user.id },
      // Bob left first: Carol, who joined after him, is the earliest member left.
      { ...base, added: [], removed: [alice.user.id], owner_id: carol.user.id },
    ]);
    expect(await c.group(group.group_id)).to.include({ owner_id: carol.user.id });
    for (const gone of [a, b]) {
      expect((await gone.chats()).map((x) => x.chat_id)).to.not.include(group.chat_id);
      const err = await refusal(gone.leaveGroup(group.group_id));
      expect(err.status).to.be.oneOf([403, 404]);
    }
  });

  it('when a one-chat subscriber is removed then it gets MembersChanged, then ends with 403', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const a = await alice.device('a', 0);
    const b = await bob.device('b', 1);
    const group = await a.createGroup({ name: 'Out', participantUserIds: [bob.user.id] });
    const bobs = await watch(b, () => a.sendToGroup(group.group_id, 'are you there?'), {
      chatId: group.chat_id,
    });
    await a.removeMember(group.group_id, bob.user.id);
    await bobs.ended();
    expect(bobs.changes).to.deep.equal([
      {
        type: 'MembersChanged',
        chat_id: group.chat_id,
        group_id: group.group_id,
        added: [],
        removed: [bob.user.id],
        owner_id: alice.user.id,
      },
    ]);
    expect(bobs.failure).to.be.instanceOf(MessengerError);
    expect(bobs.failure).to.include({ status: 403, code: 'chat_forbidden' });
  });

  it('when messages are edited, replied to, reacted to and deleted then the other members hear each change, the device that did it does not', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const a1 = await alice.device('a1', 0);
    const a1Listener = await alice.device('a1', 1);
    const a2 = await alice.device('a2', 0);
    const b = await bob.device('b', 0);
    const bobListener = await bob.device('b-listener', 1);
    const group = await a1.createGroup({ name: 'Talk', participantUserIds: [bob.user.id] });
    const [mine, bobs] = await Promise.all([
      watch(a1Listener, alice.noteToSelf),
      watch(bobListener, bob.noteToSelf),
    ]);

    const question = await a1.sendToGroup(group.group_id, 'what time is it?');
    expect(question).to.include({ edited_at: null, deleted: false, reply_to: null });
    expect(question.reactions).to.deep.equal([]);
    const answer = await a1.sendToGroup(group.group_id, 'noon', { replyTo: question.id });
    expect(answer.reply_to).to.equal(question.id);

    const edited = await a1.editMessage(question.id, 'what time is it now?');
    expect(edited).to.deep.include({ id: question.id, text: 'what time is it now?' });
    expect(edited.edited_at).to.be.a('string');
    const thumbs = await a1.react(question.id, '👍');
    expect(thumbs).to.deep.equal({
      message_id: question.id,
      reactions: [{ emoji: '👍', count: 1, me: true }],
    });
    expect(await a1.react(question.id, '👍')).to.deep.equal(thumbs); // idempotent
    const both = await b.react(question.id, '👍');
    expect(both.reactions).to.deep.equal([{ emoji: '👍', count: 2, me: true }]);
    const taken = await a1.unreact(question.id, '👍');
    expect(taken.reactions).to.deep.equal([{ emoji: '👍', count: 1, me: false }]);
    await a1.deleteMessage(answer.id);
    await a1.deleteMessage(answer.id); // again: fine, nothing new
    // Alice's other device: the one change her first device hears.
    const byA2 = await a2.editMessage(question.id, 'who knows the time?');

    const reaction = (user: number, added: boolean) => ({
      type: 'Reaction',
      chat_id: group.chat_id,
      message_id: question.id,
      emoji: '👍',
      user_id: user,
      added,
    });
    await bobs.until((e) =>
      e.some((x) => x.type === 'MessageEdited' && x.message.text === byA2.text),
    );
    expect(bobs.changes.map(withoutVolatile)).to.deep.equal(
      [
        { type: 'Message', message: question },
        { type: 'Message', message: answer },
        { type: 'MessageEdited', message: edited },
        reaction(alice.user.id, true),
        reaction(bob.user.id, true),
        reaction(alice.user.id, false),
        { type: 'MessageDeleted', chat_id: group.chat_id, message_id: answer.id },
        { type: 'MessageEdited', message: byA2 },
      ].map(withoutVolatile),
    );
    await mine.until((e) => e.some((x) => x.type === 'MessageEdited'));
    expect(mine.changes.map(withoutVolatile)).to.deep.equal(
      [reaction(bob.user.id, true), { type: 'MessageEdited', message: byA2 }].map(withoutVolatile),
    );

    const history = await b.history(group.chat_id);
    const [q, tomb] = history as [Message, Message];
    expect(q).to.deep.include({ text: 'who knows the time?', deleted: false });
    expect(q.reactions).to.deep.equal([{ emoji: '👍', count: 1, me: true }]);
    expect(tomb).to.deep.include({ id: answer.id, text: '', deleted: true, reply_to: question.id });
    expect(tomb.reactions).to.deep.equal([]);
  });

  it('when a change is not allowed then the server says why: not the sender, deleted, foreign replies, too many reactions', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const a = await alice.device('a', 0);
    const b = await bob.device('b', 1);
    const group = await a.createGroup({ name: 'Rules', participantUserIds: [bob.user.id] });
    const mine = await a.sendToGroup(group.group_id, 'mine');
    const bobs = await b.sendToGroup(group.group_id, 'bob wrote this');

    const notSender = await refusal(b.editMessage(mine.id, 'hijacked'));
    expect([notSender.status, notSender.code]).to.deep.equal([403, 'not_message_sender']);
    const notTheirs = await refusal(b.deleteMessage(mine.id));
    expect([notTheirs.status, notTheirs.code]).to.deep.equal([403, 'not_message_sender']);
    // The owner may delete anyone's message.
    await a.deleteMessage(bobs.id);
    const editDeleted = await refusal(b.editMessage(bobs.id, 'back'));
    expect([editDeleted.status, editDeleted.code]).to.deep.equal([409, 'message_deleted']);
    const reactDeleted = await refusal(a.react(bobs.id, '👍'));
    expect([reactDeleted.status, reactDeleted.code]).to.deep.equal([409, 'message_deleted']);

    const elsewhere = await a.sendToUser(bob.user.id, 'in our direct chat');
    const foreign = await refusal(a.sendToGroup(group.group_id, 'x', { replyTo: elsewhere.id }));
    expect([foreign.status, foreign.code]).to.deep.equal([422, 'reply_to_invalid']);

    const emoji = Array.from({ length: 20 }, (_, i) => String.fromCodePoint(0x1f600 + i));
    for (const e of emoji) await a.react(mine.id, e);
    const tooMany = await refusal(a.react(mine.id, '🙏'));
    expect([tooMany.status, tooMany.code]).to.deep.equal([422, 'too_many_reactions']);
    const empty = await refusal(a.react(mine.id, ''));
    expect([empty.status, empty.code]).to.deep.equal([0, 'invalid_argument']);
  });

  it('when an emoji holds characters a URL reserves then it still reaches the server exactly', async () => {
    const alice = await person('Alice');
    const a = await alice.device('a', 0);
    const m = await a.sendToUser(alice.user.id, 'saved');
    for (const emoji of ['100%', 'a/b', '?#&', '❤️', '👩‍👩‍👧']) {
      const { reactions } = await a.react(m.id, emoji);
      expect(reactions.map((r) => r.emoji)).to.include(emoji);
    }
    const { reactions } = await a.unreact(m.id, 'a/b');
    expect(reactions.map((r) => r.emoji)).to.have.members(['100%', '?#&', '❤️', '👩‍👩‍👧']);
  });

  it('when a reply repeats its operation id then it is a replay; with another replyTo a conflict', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const a = await alice.device('a', 0);
    const first = await a.sendToUser(bob.user.id, 'first');
    const second = await a.sendToUser(bob.user.id, 'second');
    const operationId = 4242;
    const sent = await a.send({ userId: bob.user.id }, 'reply', { operationId, replyTo: first.id });
    const again = await a.send({ userId: bob.user.id }, 'reply', {
      operationId,
      replyTo: first.id,
    });
    expect(again).to.deep.equal({ message: sent.message, isReplay: true, operationId });
    const other = await refusal(
      a.send({ userId: bob.user.id }, 'reply', { operationId, replyTo: second.id }),
    );
    expect([other.code, other.operationId]).to.deep.equal(['operation_id_conflict', operationId]);
  });

  it('when searching then matches come newest first, page by page, never deleted ones', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const a = await alice.device('a', 0);
    const b = await bob.device('b', 1);
    const word = `zebra${Date.now()}`;
    const group = await a.createGroup({ name: 'Search', participantUserIds: [bob.user.id] });
    const inGroup: number[] = [];
    for (let i = 0; i < 5; i++) {
      inGroup.push((await a.sendToGroup(group.group_id, `${word} number ${i}`)).id);
    }
    const direct = await a.sendToUser(bob.user.id, `${word.toUpperCase()} in private`);
    const gone = await a.sendToGroup(group.group_id, `${word} deleted`);
    await a.deleteMessage(gone.id);

    const all = await b.search(word);
    expect(all.map((m) => m.id)).to.deep.equal([direct.id, ...[...inGroup].reverse()]);
    const onlyGroup = await b.search(`${word} num`, { chatId: group.chat_id, limit: 2 });
    expect(onlyGroup.map((m) => m.id)).to.deep.equal([inGroup[4], inGroup[3]]);
    const nextPage = await b.search(word, { chatId: group.chat_id, before: inGroup[3], limit: 2 });
    expect(nextPage.map((m) => m.id)).to.deep.equal([inGroup[2], inGroup[1]]);

    const iterated: number[] = [];
    for await (const m of b.iterateSearch(word, { chatId: group.chat_id, pageSize: 2 })) {
      iterated.push(m.id);
    }
    expect(iterated).to.deep.equal([...inGroup].reverse());
    const everything: number[] = [];
    for await (const m of b.iterateSearch(word)) everything.push(m.id);
    expect(everything).to.deep.equal(all.map((m) => m.id));

    const outsider = await (await person('Outsider')).device('o', 0);
    expect(await outsider.search(word)).to.deep.equal([]);
    const forbidden = await refusal(outsider.search(word, { chatId: group.chat_id }));
    expect(forbidden.status).to.be.oneOf([403, 404]);
  });
});

/**
 * An event (or a REST answer placed in one) without what depends on who reads it: a live
 * message's `reactions` are `[]` (shared by every receiver), a REST answer's are the caller's.
 */
function withoutVolatile(event: object): object {
  if (!('message' in event)) return event;
  const message: Partial<Message> = { ...(event.message as Message) };
  delete message.reactions;
  return { ...event, message };
}
