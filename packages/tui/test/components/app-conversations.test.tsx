/** @jsxRuntime automatic */
import { MessengerError, type Message } from '@msgr/sdk';
import { expect } from 'chai';
import { render } from 'ink-testing-library';
import { App } from '../../src/components/App.js';
import type { TuiOptions } from '../../src/options.js';
import { FakeClient, waitFor, type FakeData } from '../support/fake-client.js';
import { loggedInConfig } from '../support/config-file.js';
import { ANN, BOB, ME, direct, group, message } from '../support/fixtures.js';

const OPTIONS: TuiOptions = {
  hostFlags: [],
  isBellOn: false,
  desktopNotify: 'off',
  editor: 'true',
};
const UP = '\u001b[A';
const ESC = '\u001b';
const CTRL_K = '\u000b';
const CTRL_F = '\u0006';
const CTRL_P = '\u0010';
const CTRL_U = '\u0015';
const tick = () => new Promise((r) => setTimeout(r, 30));

describe('tui App: conversations that change (ink-testing-library, fake client)', function () {
  const configFile = loggedInConfig('msgr-tui-v11-');

  function start(data: Partial<FakeData> = {}) {
    const fake = new FakeClient({
      me: ME,
      users: [ME, ANN, BOB],
      chats: [
        direct(10, ANN, message(5, 10, ANN.id, 'hello from Ann')),
        { ...group(20, 7, 'Team', message(4, 20, BOB.id)), owner_id: ME.id },
      ],
      history: {
        10: [message(2, 10, ME.id, 'earlier'), message(5, 10, ANN.id, 'hello from Ann')],
        20: [message(4, 20, BOB.id, 'from Bob')],
      },
      ...data,
    });
    const ui = render(
      <App
        options={OPTIONS}
        configFile={configFile()}
        env={{}}
        createClient={() => fake.asClient()}
        write={() => {}}
      />,
    );
    const frame = () => ui.lastFrame() ?? '';
    const until = (check: (f: string) => boolean) => waitFor(() => check(frame()), frame);
    return { fake, ui, frame, until };
  }

  /** Starts, opens the selected (first) chat and waits for `text` in it. */
  async function opened(text: string, data: Partial<FakeData> = {}) {
    const started = start(data);
    await started.until((f) => f.includes('›@ Ann') || f.includes('›# Team'));
    await waitFor(() => started.fake.subscriptions.length === 1, started.frame);
    started.ui.stdin.write('\r');
    await started.until((f) => f.includes(text));
    return started;
  }

  it('↑ on the empty input edits my last message; Enter saves it, marked (edited); live edits and deletes of others show', async () => {
    const { fake, ui, frame, until } = await opened('You: earlier');
    ui.stdin.write(UP);
    await until((f) => f.includes('Editing your message') && f.includes('> earlier'));
    ui.stdin.write(CTRL_U);
    await tick();
    ui.stdin.write('earlier, fixed');
    await until((f) => f.includes('> earlier, fixed'));
    ui.stdin.write('\r');
    await until((f) => f.includes('You: earlier, fixed (edited) ✓'));
    expect(fake.calls).to.deep.include(['editMessage', 2, 'earlier, fixed']);
    expect(frame()).to.not.include('Editing your message');

    const live = fake.subscriptions[0]!;
    const edited: Message = { ...message(5, 10, ANN.id, 'hello again'), edited_at: 'now' };
    live.push({ type: 'MessageEdited', message: edited });
    await until((f) => f.includes('Ann: hello again (edited)'));
    live.push({ type: 'MessageDeleted', chat_id: 10, message_id: 5 });
    await until((f) => f.includes('Ann: message deleted'));
    ui.unmount();
  });

  it('Esc while editing gives the draft back untouched, and nothing is saved', async () => {
    const { fake, ui, until } = await opened('You: earlier');
    ui.stdin.write(UP);
    await until((f) => f.includes('Editing your message'));
    ui.stdin.write(ESC);
    await until((f) => !f.includes('Editing your message') && f.includes('Enter send'));
    expect(fake.calls).to.deep.equal([]);
    ui.unmount();
  });

  it('Ctrl+K then d asks first, then deletes: the row becomes a tombstone', async () => {
    const { fake, ui, until } = await opened('You: earlier');
    ui.stdin.write(CTRL_K);
    await until((f) => f.includes('e edit · d delete'));
    ui.stdin.write('k'); // up to my message
    await tick();
    ui.stdin.write('d');
    await until((f) => f.includes('Delete message') && f.includes('“earlier”'));
    ui.stdin.write('n');
    await until((f) => !f.includes('Delete message') && f.includes('You: earlier'));
    expect(fake.calls).to.deep.equal([]);
    ui.stdin.write('d');
    await until((f) => f.includes('Delete message'));
    ui.stdin.write('y');
    await until((f) => f.includes('You: message deleted'));
    expect(fake.calls).to.deep.equal([['deleteMessage', 2]]);
    ui.unmount();
  });

  it('Ctrl+K then r quotes the message above the input; the reply is sent with replyTo and shows its quote', async () => {
    const { fake, ui, until } = await opened('Ann: hello from Ann');
    ui.stdin.write(CTRL_K);
    await until((f) => f.includes('e edit · d delete'));
    ui.stdin.write('r');
    await until((f) => f.includes('↳ Reply to Ann: hello from Ann · Esc cancel'));
    ui.stdin.write('sure');
    await until((f) => f.includes('> sure'));
    ui.stdin.write('\r');
    await until((f) => f.includes('You: sure ✓') && !f.includes('Reply to'));
    expect(fake.sent).to.deep.equal([{ to: 'user:2', text: 'sure', replyTo: 5 }]);
    expect(ui.lastFrame()).to.match(/↳ Ann: hello from Ann[^\n]*\n[^\n]*You: sure ✓/);
    ui.unmount();
  });

  it('Ctrl+K then + opens the picker; a digit reacts, again takes it back; live reactions count', async () => {
    const { fake, ui, until } = await opened('Ann: hello from Ann');
    ui.stdin.write(CTRL_K);
    await until((f) => f.includes('e edit · d delete'));
    ui.stdin.write('+');
    await until((f) => f.includes('React: [1👍]'));
    ui.stdin.write('1');
    await until((f) => /👍 1/.test(f) && !f.includes('React:'));
    expect(fake.calls).to.deep.equal([['react', 5, '👍']]);
    fake.subscriptions[0]!.push({
      type: 'Reaction',
      chat_id: 10,
      message_id: 5,
      emoji: '👍',
      user_id: BOB.id,
      added: true,
    });
    await until((f) => /👍 2/.test(f));
    ui.stdin.write('+');
    await until((f) => f.includes('React:'));
    ui.stdin.write('1');
    // My answer from the server (the fake counts only mine): taken back.
    await until((f) => !/👍/.test(f.split('\n').slice(0, -3).join('\n')));
    expect(fake.calls.at(-1)).to.deep.equal(['unreact', 5, '👍']);
    ui.unmount();
  });

  it('Ctrl+F finds messages newest first; Enter opens the chat at an old one, loading the history around it', async () => {
    const long = Array.from({ length: 120 }, (_, i) =>
      message(
        100 + i,
        20,
        i % 2 ? BOB.id : ANN.id,
        i === 10 ? 'the lost cake recipe' : `chat ${i}`,
      ),
    );
    const { fake, ui, frame, until } = start({
      chats: [{ ...group(20, 7, 'Team', long.at(-1)), owner_id: ME.id }],
      history: { 20: long, 10: [message(5, 10, ANN.id, 'cake later')] },
    });
    await until((f) => f.includes('›# Team'));
    ui.stdin.write(CTRL_F);
    await until((f) => f.includes('Search messages'));
    ui.stdin.write('cake');
    await until((f) => f.includes('the lost cake recipe') && f.includes('cake later'));
    const f = ui.lastFrame()!;
    expect(f.indexOf('the lost cake recipe')).to.be.lessThan(f.indexOf('cake later')); // newest first
    ui.stdin.write('\r');
    await until(
      (fr) => fr.includes('Ann: the lost cake recipe') && fr.includes('e edit · d delete'),
    );
    expect(fake.historyCalls).to.deep.include({
      chatId: 20,
      before: 111,
      after: undefined,
      limit: 25,
    });
    expect(fake.historyCalls).to.deep.include({
      chatId: 20,
      before: undefined,
      after: 110,
      limit: 25,
    });
    // Moving down to the newest loaded message loads the next page, up to the newest of all.
    const END = '\u001b[F';
    ui.stdin.write(END);
    await until((fr) => fr.includes('chat 35') && !fr.includes('recipe'));
    await waitFor(() => fake.historyCalls.some((c) => c.after === 135), frame);
    ui.stdin.write(END);
    await until((fr) => fr.includes('chat 85'));
    await waitFor(() => fake.historyCalls.some((c) => c.after === 185), frame);
    ui.stdin.write(END);
    await until((fr) => fr.includes('Bob: chat 119') && !fr.includes('newer messages'));
    ui.unmount();
  });

  it('Ctrl+P: the owner removes a member after confirming; when I am removed live the chat and pane go', async () => {
    const { fake, ui, until } = await opened('Bob: from Bob', {
      chats: [
        { ...group(20, 7, 'Team', message(4, 20, BOB.id)), owner_id: ME.id },
        direct(10, ANN, message(5, 10, ANN.id)),
      ],
    });
    ui.stdin.write(CTRL_P);
    await until((f) => f.includes('#Team · 3 members') && f.includes('Me (you) ★ owner'));
    ui.stdin.write('j'); // Ann
    await tick();
    ui.stdin.write('x');
    await until((f) => f.includes('Remove Ann from #Team?'));
    ui.stdin.write('y');
    await until((f) => f.includes('#Team · 2 members') && !f.includes('Ann'));
    expect(fake.calls).to.deep.equal([['removeMember', 7, ANN.id]]);
    ui.stdin.write(ESC);
    await until((f) => f.includes('Team · 2 members') && f.includes('Bob: from Bob'));

    fake.subscriptions[0]!.push({
      type: 'MembersChanged',
      chat_id: 20,
      group_id: 7,
      added: [],
      removed: [ME.id],
      owner_id: BOB.id,
    });
    await until((f) => f.includes('You were removed from #Team') && f.includes('No chat open.'));
    expect(ui.lastFrame()).to.not.include('# Team');
    ui.unmount();
  });

  it('Ctrl+P, l: anyone may leave, after confirming; the group goes and the status bar says so', async () => {
    const { fake, ui, until } = await opened('Bob: from Bob', {
      chats: [
        { ...group(20, 7, 'Team', message(4, 20, BOB.id)), owner_id: BOB.id },
        direct(10, ANN, message(2, 10, ANN.id)),
      ],
    });
    ui.stdin.write(CTRL_P);
    await until((f) => f.includes('Bob ★ owner') && f.includes('l leave the group'));
    ui.stdin.write('x'); // not the owner
    await until((f) => f.includes("Only the group's owner can remove members"));
    ui.stdin.write('l');
    await until((f) => f.includes('Leave group') && f.includes('Leave #Team?'));
    ui.stdin.write('\r');
    await until((f) => f.includes('You left #Team') && f.includes('No chat open.'));
    expect(fake.calls).to.deep.equal([['leaveGroup', 7]]);
    expect(ui.lastFrame()).to.include('›@ Ann').and.not.include('# Team');
    ui.unmount();
  });

  it('when a send to a group answers chat_forbidden (the removal event was missed) then the group goes too', async () => {
    const { fake, ui, until } = await opened('Bob: from Bob', {
      chats: [
        { ...group(20, 7, 'Team', message(4, 20, BOB.id)), owner_id: BOB.id },
        direct(10, ANN, message(2, 10, ANN.id)),
      ],
    });
    fake.sendError = new MessengerError(403, 'chat_forbidden', 'you are not a member of this chat');
    ui.stdin.write('anyone?');
    await until((f) => f.includes('> anyone?'));
    ui.stdin.write('\r');
    await until((f) => f.includes('You were removed from #Team') && f.includes('No chat open.'));
    expect(ui.lastFrame()).to.not.include('# Team');
    ui.unmount();
  });

  it('members panel: the owner adds someone found by name and renames the group; live renames show', async () => {
    const zed = { id: 9, email: 'zed@test.com', name: 'Zed', is_bot: false };
    const { fake, ui, until } = await opened('Bob: from Bob', {
      users: [ME, ANN, BOB, zed],
      chats: [{ ...group(20, 7, 'Team', message(4, 20, BOB.id)), owner_id: ME.id }],
    });
    ui.stdin.write(CTRL_P);
    await until((f) => f.includes('#Team · 3 members'));
    ui.stdin.write('a');
    await until((f) => f.includes('Add:'));
    ui.stdin.write('Z');
    await until((f) => f.includes('Zed <zed@test.com>') && !f.includes('Bob <bob'));
    ui.stdin.write('\r');
    await until((f) => f.includes('#Team · 4 members') && f.includes('✓ Zed'));
    expect(fake.calls).to.deep.equal([['addMembers', 7, [9]]]);
    ui.stdin.write(ESC);
    await until((f) => f.includes('r rename'));
    ui.stdin.write('r');
    await until((f) => f.includes('New name: Team'));
    ui.stdin.write(CTRL_U);
    await tick();
    ui.stdin.write('Crew');
    await until((f) => f.includes('New name: Crew'));
    ui.stdin.write('\r');
    await until((f) => f.includes('#Crew · 4 members'));
    ui.stdin.write(ESC);
    await until((f) => f.includes('# Crew'));
    fake.subscriptions[0]!.push({ type: 'ChatUpdated', chat_id: 20, group_id: 7, name: 'Squad' });
    await until((f) => f.includes('# Squad') && f.includes('Squad · 4 members'));
    ui.unmount();
  });
});
