/**
 * v1.4 mentions and threads in the SDK, against real server processes (2 instances on one
 * database): sends that name people and reply in threads, `mentions()`, `threads()`,
 * `history({ threadId | topLevel })`, following and reading threads, `unread()`, edits that
 * change mentions; refusals are `MessengerError`s with the contract's codes.
 */
import { expect } from 'chai';
import { startServerProcesses, type ServerProcesses } from '../../server/test/support/processes.js';
import { MessengerClient, type User } from '../src/index.js';
import { refusal } from './support/refusal.js';

describe('@msgr/sdk v1.4 (mentions and threads) against real servers', function () {
  this.timeout(60_000);
  let servers: ServerProcesses;
  let stamp = 0;

  before(async () => {
    servers = await startServerProcesses(2);
  });
  after(() => servers.close());

  /** A new user logged in on host `host`. */
  async function person(name: string, host = 0): Promise<{ user: User; client: MessengerClient }> {
    const email = `${name}-${Date.now()}-${++stamp}@example.com`;
    const client = new MessengerClient({ hosts: [servers.urls[host]!] });
    const user = await client.register({ email, name, password: 'password123' });
    await client.login({ email, password: 'password123' });
    return { user, client };
  }

  it('when a send names people and replies in a thread then the messages, mentions(), threads() and history() agree', async () => {
    const ann = await person('Ann');
    const bob = await person('Bob', 1);
    const group = await ann.client.createGroup({ name: 'team', participantUserIds: [bob.user.id] });
    const root = await ann.client.sendToGroup(group.group_id, 'plan?');
    const { message: reply } = await bob.client.send({ groupId: group.group_id }, '@Ann yes', {
      mentions: [ann.user.id],
      threadId: root.id,
    });
    expect(reply).to.deep.include({
      thread_id: root.id,
      mentions: [ann.user.id],
      mention_all: false,
    });
    const all = await bob.client.sendToGroup(group.group_id, 'everyone', { mentionAll: true });

    expect((await ann.client.mentions()).map((m) => m.id)).to.deep.equal([all.id, reply.id]);
    expect(
      (await ann.client.mentions({ before: all.id, limit: 1 })).map((m) => m.id),
    ).to.deep.equal([reply.id]);
    const [thread] = await ann.client.threads(group.chat_id);
    expect(thread!.id).to.equal(root.id);
    expect(thread!.thread).to.deep.include({ reply_count: 1, last_reply_id: reply.id });
    expect(
      (await ann.client.history(group.chat_id, { threadId: root.id })).map((m) => m.id),
    ).to.deep.equal([root.id, reply.id]);
    expect(
      (await ann.client.history(group.chat_id, { topLevel: true })).map((m) => m.id),
    ).to.deep.equal([root.id, all.id]);
    expect(await ann.client.unread()).to.deep.equal({ chats: 1, messages: 2, mentions: 2 });
    expect(await ann.client.message(reply.id)).to.deep.include({
      id: reply.id,
      thread_id: root.id,
    });
  });

  it('when iterateHistory is given topLevel or threadId then every page keeps to it', async () => {
    const ann = await person('Ann');
    const group = await ann.client.createGroup({ name: 'pages', participantUserIds: [] });
    const root = await ann.client.sendToGroup(group.group_id, 'root');
    const replies: number[] = [];
    const top: number[] = [root.id];
    for (let i = 0; i < 3; i++) {
      const sent = await ann.client.send({ groupId: group.group_id }, `reply ${i}`, {
        threadId: root.id,
      });
      replies.push(sent.message.id);
      top.push((await ann.client.sendToGroup(group.group_id, `top ${i}`)).id);
    }
    const ids = async (options: { topLevel?: boolean; threadId?: number }) => {
      const seen: number[] = [];
      for await (const m of ann.client.iterateHistory(group.chat_id, { ...options, pageSize: 2 })) {
        seen.push(m.id);
      }
      return seen;
    };
    expect(await ids({ topLevel: true })).to.deep.equal(top);
    expect(await ids({ threadId: root.id })).to.deep.equal([root.id, ...replies]);
    expect(await ids({})).to.have.length(top.length + replies.length);
  });

  it('when threads are followed and read then followedThreads() and unreadThreads() follow; unfollowing sticks', async () => {
    const ann = await person('Ann');
    const bob = await person('Bob', 1);
    const group = await ann.client.createGroup({ name: 't', participantUserIds: [bob.user.id] });
    const root = await ann.client.sendToGroup(group.group_id, 'root');
    const first = await bob.client.sendToGroup(group.group_id, 'r1', { threadId: root.id });
    const second = await bob.client.sendToGroup(group.group_id, 'r2', { threadId: root.id });
    const unread = async () =>
      (await ann.client.unreadThreads()).map((t) => [t.root.id, t.unread_count]);
    expect(await unread()).to.deep.equal([[root.id, 2]]);
    expect(await ann.client.markThreadRead(root.id, first.id)).to.deep.equal({
      root_id: root.id,
      last_read_message_id: first.id,
    });
    expect(await unread()).to.deep.equal([[root.id, 1]]);
    await ann.client.markThreadRead(root.id, second.id);
    expect(await unread()).to.deep.equal([]);
    expect((await ann.client.followedThreads()).map((t) => t.unread_count)).to.deep.equal([0]);
    await ann.client.unfollowThread(root.id);
    await bob.client.sendToGroup(group.group_id, 'r3', {
      threadId: root.id,
      mentions: [ann.user.id],
    });
    expect(await ann.client.followedThreads()).to.deep.equal([]);
    await ann.client.followThread(root.id);
    expect(await unread()).to.deep.equal([[root.id, 1]]);
  });

  it('when an edit changes mentions then the message names the new people; refusals carry the contract codes', async () => {
    const ann = await person('Ann');
    const bob = await person('Bob');
    const stranger = await person('Cy');
    const group = await ann.client.createGroup({ name: 'e', participantUserIds: [bob.user.id] });
    const m = await ann.client.sendToGroup(group.group_id, 'hi', { mentions: [bob.user.id] });
    const edited = await ann.client.editMessage(m.id, 'hi all', { mentions: [], mentionAll: true });
    expect(edited).to.deep.include({ mentions: [], mention_all: true, text: 'hi all' });
    const wrongName = await refusal(
      ann.client.sendToGroup(group.group_id, 'x', { mentions: [stranger.user.id] }),
    );
    expect([wrongName.status, wrongName.code]).to.deep.equal([422, 'mention_invalid']);
    const reply = await bob.client.sendToGroup(group.group_id, 'r', { threadId: m.id });
    const wrongThread = await refusal(
      ann.client.sendToGroup(group.group_id, 'x', { threadId: reply.id }),
    );
    expect([wrongThread.status, wrongThread.code]).to.deep.equal([422, 'thread_invalid']);
    const notRoot = await refusal(ann.client.followThread(reply.id));
    expect(notRoot.code).to.equal('thread_invalid');
  });
});
