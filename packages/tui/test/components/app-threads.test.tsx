/** @jsxRuntime automatic */
import type { Message } from '@msgr/sdk';
import { expect } from 'chai';
import { render } from 'ink-testing-library';
import { App } from '../../src/components/App.js';
import type { TuiOptions } from '../../src/options.js';
import { loggedInConfig } from '../support/config-file.js';
import { FakeClient, waitFor, type FakeData } from '../support/fake-client.js';
import { ANN, BOB, ME, direct, group, message } from '../support/fixtures.js';

const OPTIONS: TuiOptions = {
  hostFlags: [],
  isBellOn: true,
  desktopNotify: 'off',
  editor: 'true',
};
const CTRL_K = '\u000b';
const CTRL_T = '\u0014';
const ESC = '\u001b';
const UP = '\u001b[A';
const tick = () => new Promise((r) => setTimeout(r, 20));

const reply = (id: number, rootId: number, senderId: number, text: string): Message => ({
  ...message(id, 20, senderId, text),
  thread_id: rootId,
});
const ROOT: Message = {
  ...message(40, 20, BOB.id, 'who brings the cake?'),
  thread: { reply_count: 1, last_reply_at: null, last_reply_id: 41, participant_ids: [3, 2] },
};

describe('tui App: mentions, threads and notification levels (ink-testing-library, fake client)', function () {
  const configFile = loggedInConfig('msgr-tui-threads-');

  function start(data: Partial<FakeData> = {}) {
    const fake = new FakeClient({
      me: ME,
      users: [ME, ANN, BOB],
      chats: [
        group(20, 7, 'Team', message(43, 20, BOB.id, 'after')),
        direct(10, ANN, message(5, 10, ANN.id, 'hello from Ann')),
        {
          ...group(30, 8, 'Quiet', message(6, 30, BOB.id)),
          notifications: { level: 'none', muted_until: null },
        },
      ],
      history: {
        20: [ROOT, reply(41, 40, ANN.id, 'me, a big one'), message(43, 20, BOB.id, 'after')],
      },
      ...data,
    });
    const written: string[] = [];
    const ui = render(
      <App
        options={OPTIONS}
        configFile={configFile()}
        env={{}}
        createClient={() => fake.asClient()}
        write={(d) => written.push(d)}
      />,
    );
    const frame = () => ui.lastFrame() ?? '';
    const until = (check: (f: string) => boolean) => waitFor(() => check(frame()), frame);
    return { fake, ui, frame, until, written };
  }

  it('@ offers the members; Tab inserts the name; the send names them', async () => {
    const { fake, ui, until } = start();
    await until((f) => f.includes('›# Team'));
    ui.stdin.write('\r');
    await until((f) => f.includes('who brings the cake?'));
    ui.stdin.write('ok @b');
    await until((f) => f.includes('› @Bob') && f.includes('bob@test.com'));
    ui.stdin.write('\t');
    await until((f) => f.includes('> ok @Bob ') && !f.includes('› @Bob'));
    ui.stdin.write('and @all');
    await until((f) => f.includes('› @all') && f.includes('everyone in the chat'));
    ui.stdin.write(ESC); // closes the completion, keeps the text
    await until((f) => !f.includes('› @all') && f.includes('> ok @Bob and @all'));
    ui.stdin.write('\r');
    await until((f) => f.includes('You: ok @Bob and @all'));
    expect(fake.sent).to.deep.equal([
      { to: 'group:7', text: 'ok @Bob and @all', mentions: [BOB.id], mentionAll: true },
    ]);
    // ↑ edits it: whom it names comes along, and what the new text still names is saved.
    ui.stdin.write(UP);
    await until((f) => f.includes('Editing your message') && f.includes('> ok @Bob and @all'));
    ui.stdin.write('\u0017\u0017'); // Ctrl+W twice: "and @all" goes
    await until((f) => f.includes('> ok @Bob '));
    ui.stdin.write('please');
    await until((f) => f.includes('> ok @Bob please'));
    ui.stdin.write('\r');
    await until((f) => f.includes('You: ok @Bob please (edited)'));
    expect(fake.calls.at(-1)).to.deep.equal([
      'editMessage',
      1001,
      'ok @Bob please',
      { mentions: [BOB.id], mentionAll: false },
    ]);
    ui.unmount();
  });

  it('Ctrl+K on a root, t: the thread opens beside, loads, replies with Enter; live replies move the count', async () => {
    const { fake, ui, frame, until } = start();
    await until((f) => f.includes('›# Team'));
    ui.stdin.write('\r');
    await until((f) => f.includes('💬 1 reply') && !f.includes('me, a big one'));
    ui.stdin.write(CTRL_K);
    await until((f) => f.includes('t thread'));
    ui.stdin.write(UP);
    await tick();
    ui.stdin.write('t');
    await until((f) => f.includes('Thread · #Team') && f.includes('me, a big one'));
    expect(fake.historyCalls.at(-1)).to.include({ chatId: 20, threadId: 40 });
    await waitFor(() => fake.calls.some((c) => c[0] === 'markThreadRead'), frame);
    expect(fake.calls.find((c) => c[0] === 'markThreadRead')).to.deep.equal([
      'markThreadRead',
      40,
      41,
    ]);

    ui.stdin.write('I can @a');
    await until((f) => f.includes('› @Ann'));
    ui.stdin.write('\r');
    await until((f) => f.includes('> I can @Ann '));
    ui.stdin.write('\r');
    await until((f) => f.includes('You: I can @Ann') && f.includes('💬 2 replies'));
    expect(fake.sent.at(-1)).to.deep.equal({
      to: 'group:7',
      text: 'I can @Ann ',
      mentions: [ANN.id],
      threadId: 40,
    });

    fake.subscriptions[0]!.push({
      type: 'Message',
      message: reply(1050, 40, ANN.id, 'then I bring tea'),
    });
    await until((f) => f.includes('then I bring tea') && f.includes('💬 3 replies'));
    fake.subscriptions[0]!.push({ type: 'MessageDeleted', chat_id: 20, message_id: 1050 });
    await until((f) => f.includes('💬 2 replies'));

    ui.stdin.write(ESC);
    await until((f) => !f.includes('Thread · #Team') && f.includes('Enter send'));
    ui.unmount();
  });

  it('Ctrl+T lists the followed threads with unread replies; Enter opens one', async () => {
    const { fake, ui, until } = start();
    fake.threadsWithUnread = [{ root: ROOT, unread_count: 2 }];
    await until((f) => f.includes('›# Team'));
    ui.stdin.write(CTRL_T);
    await until((f) => f.includes('Threads with unread replies') && f.includes('2 new'));
    expect(fake.calls).to.deep.include(['unreadThreads']);
    ui.stdin.write('\r');
    await until((f) => f.includes('Thread · #Team') && f.includes('me, a big one'));
    ui.unmount();
  });

  it('rings by level: a muted chat never, n cycles the level and tells the server', async () => {
    const { fake, ui, frame, until, written } = start();
    await until((f) => f.includes('›# Team'));
    await waitFor(() => fake.subscriptions.length === 1, frame);
    const live = fake.subscriptions[0]!;
    live.push({ type: 'Message', message: message(60, 30, BOB.id, 'shh') });
    await until((f) => /# Quiet +1/.test(f));
    // The muted chat did not ring; the next message elsewhere does (so the first was seen).
    live.push({ type: 'Message', message: message(61, 10, ANN.id, 'ding') });
    await until((f) => /@ Ann +1/.test(f));
    await waitFor(() => written.length > 0, frame);
    expect(written).to.deep.equal(['\u0007']);

    // n on Team: all → mentions; a plain message no longer rings, one naming me does.
    ui.stdin.write('n');
    await until((f) => f.includes('only messages that name you ring'));
    await waitFor(() => fake.calls.some((c) => c[0] === 'setNotifications'), frame);
    expect(fake.calls).to.deep.include(['setNotifications', 20, 'mentions']);
    live.push({ type: 'Message', message: message(62, 20, BOB.id, 'plain') });
    live.push({
      type: 'Message',
      message: { ...message(63, 20, BOB.id, 'hey @Me'), mentions: [ME.id] },
    });
    await until((f) => /# Team +@1 2/.test(f));
    await waitFor(() => written.length === 2, frame);
    // Another device of mine mutes it: nothing rings, even for me.
    live.push({ type: 'NotificationsChanged', chat_id: 20, level: 'none', muted_until: null });
    live.push({
      type: 'Message',
      message: { ...message(64, 20, BOB.id, 'hey again'), mention_all: true },
    });
    live.push({ type: 'Message', message: message(65, 10, ANN.id, 'ding 2') });
    await until((f) => /@ Ann +2/.test(f));
    await waitFor(() => written.length === 3, frame);
    expect(written).to.deep.equal(['\u0007', '\u0007', '\u0007']);
    ui.unmount();
  });
});
