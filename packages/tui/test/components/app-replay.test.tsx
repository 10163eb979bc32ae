/** @jsxRuntime automatic */
import { MessengerError } from '@msgr/sdk';
import { expect } from 'chai';
import { render } from 'ink-testing-library';
import { App } from '../../src/components/App.js';
import type { TuiOptions } from '../../src/options.js';
import { FakeClient, waitFor } from '../support/fake-client.js';
import { loggedInConfig } from '../support/config-file.js';
import { ANN, BOB, ME, direct, group, message } from '../support/fixtures.js';

const OPTIONS: TuiOptions = {
  hostFlags: [],
  isBellOn: false,
  desktopNotify: 'off',
  editor: 'true',
};
const settle = () => new Promise((r) => setTimeout(r, 150));

describe('tui App: what a reconnect replays (ink-testing-library, fake client)', function () {
  const configFile = loggedInConfig('msgr-tui-replay-');

  /** Ann's chat open (the most recent), the Team group, and Bob's chat with 3 unread. */
  async function started() {
    const fake = new FakeClient({
      me: ME,
      users: [ME, ANN, BOB],
      chats: [
        direct(10, ANN, message(5, 10, ANN.id, 'hello from Ann')),
        { ...group(20, 7, 'Team', message(4, 20, BOB.id)), owner_id: ANN.id },
        direct(30, BOB, message(9, 30, BOB.id, 'are you there?'), 3),
      ],
      history: {
        10: [message(2, 10, ME.id, 'earlier'), message(5, 10, ANN.id, 'hello from Ann')],
      },
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
    await until((f) => f.includes('›@ Ann') && /@ Bob +3│/.test(f));
    await waitFor(() => fake.subscriptions.length === 1, frame);
    const live = fake.subscriptions[0]!;
    live.push({ type: 'State', state: 'open' });
    ui.stdin.write('\r');
    await until((f) => f.includes('Ann: hello from Ann') && f.includes('● connected'));
    return { fake, ui, frame, until, live };
  }

  it('after a reconnect the replayed changes show — an edit, a reaction, a rename, a chat read on another device — and nothing is read again', async () => {
    const { fake, ui, frame, until, live } = await started();
    const chatReads = fake.chatsCalls;
    const historyReads = fake.historyCalls.length;

    live.push({ type: 'State', state: 'reconnecting' });
    await until((f) => f.includes('◌ reconnecting…'));
    live.push(
      { type: 'State', state: 'open' },
      {
        type: 'MessageEdited',
        message: {
          ...message(5, 10, ANN.id, 'hello again'),
          edited_at: '2025-02-01T00:00:00.000Z',
        },
      },
      { type: 'Reaction', chat_id: 10, message_id: 5, emoji: '👍', user_id: ANN.id, added: true },
      { type: 'ChatUpdated', chat_id: 20, group_id: 7, name: 'Team B' },
      { type: 'ReadMarker', chat_id: 30, message_id: 9 },
    );
    await until(
      (f) =>
        f.includes('● connected') &&
        f.includes('Ann: hello again (edited)') &&
        f.includes('👍 1') &&
        f.includes('# Team B') &&
        /@ Bob +│/.test(f),
    );
    expect(frame()).to.not.include('hello from Ann');
    await settle();
    expect(fake.chatsCalls).to.equal(chatReads);
    expect(fake.historyCalls).to.have.length(historyReads);
    ui.unmount();
  });

  it('a ReadMarker at a message before the last keeps the count of what follows it', async () => {
    const { fake, ui, until, live } = await started();
    // Bob's chat has not loaded; its 3 unread end with m9: a pointer at m8 leaves… m9, as the
    // count of 3 cannot say otherwise: the list is read again once, and says 1.
    fake.serve({
      chats: [
        direct(10, ANN, message(5, 10, ANN.id, 'hello from Ann')),
        { ...group(20, 7, 'Team', message(4, 20, BOB.id)), owner_id: ANN.id },
        direct(30, BOB, message(9, 30, BOB.id, 'are you there?'), 1),
      ],
    });
    const chatReads = fake.chatsCalls;
    live.push({ type: 'ReadMarker', chat_id: 30, message_id: 7 });
    await until((f) => /@ Bob +1│/.test(f));
    await settle();
    expect(fake.chatsCalls).to.equal(chatReads + 1);
    ui.unmount();
  });

  it('a read that could not reach the server is sent again until it does', async () => {
    const fake = new FakeClient({
      me: ME,
      users: [ME, ANN],
      chats: [direct(10, ANN, message(5, 10, ANN.id, 'hello from Ann'), 1)],
      history: { 10: [message(5, 10, ANN.id, 'hello from Ann')] },
    });
    fake.markReadErrors.push(new MessengerError(0, 'network_error', 'cut off'));
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
    await waitFor(() => frame().includes('›@ Ann'), frame);
    ui.stdin.write('\r');
    await waitFor(() => fake.reads.length === 1, frame);
    expect(frame()).to.not.include('could not mark read');
    await waitFor(() => fake.reads.length === 2, frame, 3000);
    expect(fake.reads).to.deep.equal([5, 5]);
    ui.unmount();
  });

  it('PositionExpired reads the chat list and the open chat again', async () => {
    const { fake, ui, frame, until, live } = await started();
    const chatReads = fake.chatsCalls;
    fake.serve({
      chats: [
        direct(10, ANN, message(12, 10, ANN.id, 'while you were away')),
        { ...group(20, 7, 'Team C', message(4, 20, BOB.id)), owner_id: ANN.id },
        direct(30, BOB, message(9, 30, BOB.id, 'are you there?'), 0),
      ],
      history: {
        10: [
          message(2, 10, ME.id, 'earlier'),
          { ...message(5, 10, ANN.id, ''), deleted: true },
          message(12, 10, ANN.id, 'while you were away'),
        ],
      },
    });
    live.push({ type: 'PositionExpired' });
    await until(
      (f) =>
        f.includes('Ann: while you were away') &&
        f.includes('Ann: message deleted') &&
        f.includes('# Team C') &&
        /@ Bob +│/.test(f),
    );
    expect(frame()).to.not.include('hello from Ann');
    await settle();
    expect(fake.chatsCalls).to.equal(chatReads + 1);
    ui.unmount();
  });

  it('a group made with me in it shows at once; one read of the list names it', async () => {
    const { fake, ui, frame, until, live } = await started();
    const chatReads = fake.chatsCalls;
    const party = {
      ...group(40, 9, 'Party', message(41, 40, BOB.id, 'come over')),
      unread_count: 1,
    };
    fake.serve({
      chats: [
        { ...party, owner_id: BOB.id },
        direct(10, ANN, message(5, 10, ANN.id, 'hello from Ann')),
        { ...group(20, 7, 'Team', message(4, 20, BOB.id)), owner_id: ANN.id },
        direct(30, BOB, message(9, 30, BOB.id, 'are you there?'), 3),
      ],
    });
    live.push(
      {
        type: 'MembersChanged',
        chat_id: 40,
        group_id: 9,
        added: [ME.id, ANN.id, BOB.id],
        removed: [],
        owner_id: BOB.id,
      },
      { type: 'Message', message: message(41, 40, BOB.id, 'come over') },
    );
    await until((f) => /# Party +1│/.test(f));
    expect(frame().indexOf('# Party')).to.be.below(frame().indexOf('@ Ann'));
    await settle();
    expect(fake.chatsCalls).to.equal(chatReads + 1);
    ui.unmount();
  });
});
