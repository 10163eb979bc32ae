/* eslint-disable no-control-regex -- a test looks for control characters */
/** @jsxRuntime automatic */
import { MessengerError } from '@msgr/sdk';
import { expect } from 'chai';
import { render } from 'ink-testing-library';
import { App } from '../../src/components/App.js';
import type { TuiOptions } from '../../src/options.js';
import { FakeClient, waitFor, type FakeData } from '../support/fake-client.js';
import { loggedInConfig } from '../support/config-file.js';
import { ANN, BOB, ME, direct, group, message } from '../support/fixtures.js';

const OPTIONS: TuiOptions = {
  hostFlags: [],
  isBellOn: true,
  desktopNotify: 'osc9',
  editor: 'true',
};
const tick = () => new Promise((r) => setTimeout(r, 20));

describe('tui App (ink-testing-library, fake client)', function () {
  const configFile = loggedInConfig('msgr-tui-app-');

  function start(data: Partial<FakeData> = {}) {
    const fake = new FakeClient({
      me: ME,
      users: [ME, ANN, BOB],
      chats: [
        direct(10, ANN, message(5, 10, ANN.id, 'hello from Ann'), 1),
        group(20, 7, 'Team', message(4, 20, BOB.id)),
        direct(30, BOB, message(3, 30, BOB.id)),
      ],
      history: { 10: [message(2, 10, ME.id, 'earlier'), message(5, 10, ANN.id, 'hello from Ann')] },
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

  it('from the saved session: lists chats, opens one with Enter, sends with Enter, shows ✓ then ✓✓', async () => {
    const { fake, ui, frame, until } = start();
    await until((f) => f.includes('Team') && f.includes('›@ Ann'));
    await waitFor(() => fake.subscriptions.length === 1, frame);
    // From the position taken before the list loaded, not from a message id.
    expect(fake.subscribedFrom).to.equal('4242');
    expect(fake.subscribedAfter).to.equal(undefined);
    fake.subscriptions[0]!.push({ type: 'State', state: 'open' });
    await until((f) => f.includes('● connected'));

    ui.stdin.write('\r');
    await until((f) => f.includes('Ann: hello from Ann') && f.includes('You: earlier'));
    await waitFor(() => fake.reads.includes(5), frame); // what is shown is marked read

    ui.stdin.write('hi Ann');
    await until((f) => f.includes('> hi Ann'));
    ui.stdin.write('\r');
    await until((f) => f.includes('You: hi Ann ✓'));
    expect(fake.sent).to.deep.equal([{ to: 'user:2', text: 'hi Ann' }]);
    expect(fake.subscriptions[0]!.typed).to.deep.equal([10]);

    fake.subscriptions[0]!.push({ type: 'Read', chat_id: 10, message_id: 1001, reader_ids: [2] });
    await until((f) => f.includes('You: hi Ann ✓✓'));
    ui.unmount();
  });

  it('live: a message for another chat moves it up with its unread count, rings, and the status bar follows reconnects', async () => {
    const { fake, ui, frame, until, written } = start();
    await waitFor(() => fake.subscriptions.length === 1, frame);
    const live = fake.subscriptions[0]!;
    live.push(
      { type: 'State', state: 'open' },
      { type: 'Message', message: message(6, 30, BOB.id, 'psst') },
    );
    await until(
      (f) => /›@ Ann/.test(f) && /@ Bob +1/.test(f) && f.indexOf('Bob') < f.indexOf('Ann'),
    );
    expect(written).to.deep.equal(['\u0007', '\u001b]9;Bob: psst\u0007']);

    // A burst of 50 messages is one state update: a frame or two, not a hundred.
    const framesBefore = ui.frames.length;
    const burst = Array.from({ length: 50 }, (_, i) => message(100 + i, 20, ANN.id, `b${i}`));
    live.push(...burst.map((m) => ({ type: 'Message' as const, message: m })));
    await until((f) => /# Team +50/.test(f));
    expect(ui.frames.length - framesBefore).to.be.at.most(3);

    live.push({ type: 'State', state: 'reconnecting' });
    await until((f) => f.includes('◌ reconnecting…'));
    live.push({ type: 'State', state: 'open' });
    await until((f) => f.includes('● connected'));
    ui.unmount();
  });

  it('keys: Tab and Esc move the focus, ? shows the help, Ctrl+N finds people', async () => {
    const { ui, until } = start();
    await until((f) => f.includes('›@ Ann'));
    ui.stdin.write('\u001b[B'); // ↓
    await until((f) => f.includes('›# Team'));
    ui.stdin.write('\t');
    await until((f) => f.includes('Team · 3 members') && f.includes('Enter send'));
    ui.stdin.write('x');
    await until((f) => f.includes('> x'));
    ui.stdin.write('\u001b'); // Esc: the draft goes, back to the list
    await until((f) => f.includes('Enter open') && !f.includes('> x'));
    await tick();
    ui.stdin.write('?');
    await until((f) => f.includes('Keys') && f.includes('Press any key to close.'));
    ui.stdin.write('q');
    await until((f) => !f.includes('Press any key to close.'));
    ui.stdin.write('\u000e'); // Ctrl+N
    await until((f) => f.includes('New chat') && f.includes('Bob <bob@test.com>'));
    ui.stdin.write('B');
    await until((f) => f.includes('Find: B') && !f.includes('Ann <ann@test.com>'));
    ui.stdin.write('\r');
    await until((f) => f.includes('›@ Bob') && !f.includes('New chat'));
    ui.unmount();
  });

  it('names: group members outside the known users show as user #id, then by name; a burst costs one lookup per 100 people', async () => {
    const carol = { id: 40, email: 'carol@test.com', name: 'Carol', is_bot: false };
    const crowd = Array.from({ length: 120 }, (_, i) => ({
      id: 100 + i,
      email: `c${i}@test.com`,
      name: `Crowd ${i}`,
      is_bot: false,
    }));
    let release = () => {};
    const { fake, ui, frame, until } = start({
      users: [ME, ANN, BOB, carol, ...crowd],
      chats: [group(20, 7, 'Team', message(6, 20, carol.id, 'hi from Carol'))],
      history: {
        20: [message(4, 20, BOB.id, 'from Bob'), message(6, 20, carol.id, 'hi from Carol')],
      },
    });
    fake.lookupGate = new Promise<void>((r) => (release = r));
    await until((f) => f.includes('›# Team'));
    await waitFor(() => fake.subscriptions.length === 1, frame);
    ui.stdin.write('\r');
    // Rendering does not wait for the name; Bob is named by nobody here either.
    await until((f) => f.includes('user #40: hi from Carol') && f.includes('user #3: from Bob'));
    // The list's last message asked for Carol; opening the chat, for the other members at once.
    expect(fake.lookups).to.deep.equal([[carol.id], [ANN.id, BOB.id]]);
    release();
    await until((f) => f.includes('Carol: hi from Carol') && f.includes('Bob: from Bob'));

    // A burst from 120 strangers: one state update, two lookups (100 + 20), no repeats.
    fake.subscriptions[0]!.push(
      ...crowd.map((u, i) => ({ type: 'Message' as const, message: message(200 + i, 20, u.id) })),
    );
    await waitFor(() => fake.lookups.length === 4, frame);
    expect(fake.lookups.slice(2).map((ids) => ids.length)).to.deep.equal([100, 20]);
    expect(fake.lookups[2]![0]).to.equal(100);
    await until((f) => f.includes('Crowd 119: m319'));
    await tick();
    expect(fake.lookups).to.have.lengthOf(4);
    ui.unmount();
  });

  it('hostile text: a typing name and a server detail in the status bar show their stand-ins', async () => {
    const hostile = '\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202e';
    const shown = '␛]0;pwned␇␛[2J\ufffd31m\ufffd';
    const eve = { ...BOB, name: `Eve${hostile}` };
    const { fake, ui, frame, until } = start({
      users: [ME, ANN, eve],
      chats: [
        group(20, 7, 'Team', message(4, 20, ANN.id)),
        direct(30, eve, message(3, 30, eve.id)),
      ],
      history: { 20: [message(4, 20, ANN.id, 'hello team')] },
    });
    await until((f) => f.includes('›# Team'));
    await waitFor(() => fake.subscriptions.length === 1, frame);
    ui.stdin.write('\r');
    await until((f) => f.includes('Ann: hello team'));
    fake.subscriptions[0]!.push({ type: 'Typing', chat_id: 20, user_id: eve.id });
    await until((f) => f.includes('typing…'));
    expect(frame()).to.include(`Eve${shown}`);

    fake.sendError = new MessengerError(
      422,
      'validation_failed',
      `refused ${hostile} by the server`,
    );
    ui.stdin.write('hi');
    await until((f) => f.includes('> hi'));
    ui.stdin.write('\r');
    await until((f) => f.includes('not sent:'));
    expect(frame()).to.include(`not sent: refused ${shown.slice(0, 8)}`);
    // The frame holds Ink's own output only: no byte of the data's escapes or controls.
    expect(frame()).to.not.match(/[\u0007\u001b\u0080-\u009f\u202e]/);
    ui.unmount();
  });

  it('rate limited: the status bar says when to try again, the message stays marked, Ctrl+R sends it with its id', async () => {
    const { fake, ui, frame, until } = start();
    await until((f) => f.includes('›@ Ann'));
    await waitFor(() => fake.subscriptions.length === 1, frame);
    ui.stdin.write('\r');
    await until((f) => f.includes('Ann: hello from Ann'));
    const limited = new MessengerError(429, 'rate_limited', 'over the budget', {
      retryAfterSeconds: 30,
    });
    limited.operationId = 77; // the SDK says which id the refused send used
    fake.sendError = limited;
    ui.stdin.write('too fast');
    await until((f) => f.includes('> too fast'));
    ui.stdin.write('\r');
    await until((f) => f.includes('Sending too fast: try again in 30 s'));
    expect(frame()).to.include('You: too fast ✗ not sent (Ctrl+R retries)');
    expect(frame()).to.not.include('> too fast'); // not handed back to the input
    expect(fake.sent).to.deep.equal([]);

    fake.sendError = undefined;
    ui.stdin.write('\u0012'); // Ctrl+R
    await until((f) => f.includes('You: too fast ✓'));
    expect(frame()).to.not.include('not sent');
    expect(fake.sent).to.deep.equal([{ to: 'user:2', text: 'too fast', operationId: 77 }]);
    ui.unmount();
  });
});
