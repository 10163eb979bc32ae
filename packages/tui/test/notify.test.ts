/* eslint-disable no-control-regex -- these tests look for control characters */
import { expect } from 'chai';
import { createBatcher } from '../src/batcher.js';
import { parseCommandLine } from '../src/options.js';
import { notificationFor } from '../src/state/notifications.js';
import { desktopNotification, detectDesktopNotify } from '../src/terminal.js';
import { ANN, BOB, ME, apply, live, loadedState, message } from './support/fixtures.js';

const NOW = Date.UTC(2025, 0, 1, 12);

describe('tui notifications', () => {
  it("notifies for other people's messages in chats not open, once per batch", () => {
    const state = apply(loadedState(), { type: 'open', key: 'c10' });
    expect(notificationFor(state, [live(message(9, 10, ANN.id))], NOW)).to.equal(undefined);
    expect(notificationFor(state, [live(message(9, 30, ME.id))], NOW)).to.equal(undefined);
    const one = notificationFor(state, [live(message(9, 20, BOB.id, 'lunch?'))], NOW);
    expect(one).to.deep.equal({
      title: 'Bob in Team',
      body: 'lunch?',
      count: 1,
      chatId: 20,
      messageIds: [9],
    });
    const two = notificationFor(
      state,
      [live(message(9, 20, BOB.id)), live(message(10, 30, BOB.id, 'hey'))],
      NOW,
    );
    expect(two?.title).to.equal('2 new messages');
    expect(two?.body).to.equal('last from Bob: hey');
  });

  it('does not notify a replayed message the chat already holds (listed before the subscription began)', () => {
    const state = loadedState(); // Team's last message is Bob's m4
    expect(notificationFor(state, [live(message(4, 20, BOB.id))], NOW)).to.equal(undefined);
    expect(notificationFor(state, [live(message(8, 20, BOB.id, 'new'))], NOW)?.body).to.equal(
      'new',
    );
  });

  it('writes OSC 9 / OSC 777 with the text made harmless', () => {
    expect(desktopNotification('osc9', 'Bob', 'hi')).to.equal('\u001b]9;Bob: hi\u0007');
    expect(desktopNotification('osc777', 'Bob;x', 'a\u0007b\u001b')).to.equal(
      '\u001b]777;notify;Bob,x;a␇b␛\u0007',
    );
    // Nothing from the data can end the sequence (BEL, ST) or start another, on one line.
    const hostile = 'x\u001b\\\u001b]0;pwned\u0007\u009c\n\u202e';
    for (const kind of ['osc9', 'osc777'] as const) {
      const bytes = desktopNotification(kind, hostile, hostile);
      const payload = bytes.slice(bytes.indexOf(';') + 1, -1);
      expect(payload, kind).to.not.match(/[\u0000-\u001f\u007f-\u009f\u202e]/);
      expect(payload, kind).to.include('x␛\\␛]0,pwned␇\ufffd \ufffd');
    }
    expect(desktopNotification('off', 'Bob', 'hi')).to.equal('');
  });

  it('detects the terminal, and the environment or the flags turn things off', () => {
    expect(detectDesktopNotify({ TERM_PROGRAM: 'iTerm.app' })).to.equal('osc9');
    expect(detectDesktopNotify({ VTE_VERSION: '7600' })).to.equal('osc777');
    expect(detectDesktopNotify({ TERM_PROGRAM: 'iTerm.app', TMUX: '/tmp/x' })).to.equal('off');
    expect(detectDesktopNotify({ TERM: 'xterm-256color' })).to.equal('off');
    expect(detectDesktopNotify({ MSGR_TUI_NOTIFY: 'osc777', TMUX: 'x' })).to.equal('osc777');
    expect(detectDesktopNotify({ MSGR_TUI_NOTIFY: 'off', TERM_PROGRAM: 'WezTerm' })).to.equal(
      'off',
    );
    const quiet = parseCommandLine(
      ['--no-bell', '--no-notify', '--host', 'http://a', '--host', 'http://b'],
      {
        TERM_PROGRAM: 'WezTerm',
      },
    );
    expect(quiet).to.deep.include({ kind: 'run' });
    if (quiet.kind === 'run') {
      expect(quiet.options).to.deep.include({
        isBellOn: false,
        desktopNotify: 'off',
        hostFlags: ['http://a', 'http://b'],
      });
    }
    const env = parseCommandLine([], { MSGR_TUI_BELL: '0', EDITOR: 'nano' });
    expect(env.kind === 'run' && env.options).to.deep.include({ isBellOn: false, editor: 'nano' });
    expect(parseCommandLine(['--bogus'], {}).kind).to.equal('error');
    expect(parseCommandLine(['-h'], {}).kind).to.equal('help');
  });
});

describe('tui event batching', () => {
  it('when events arrive within the window then they flush as one batch', async () => {
    const batches: number[][] = [];
    const batcher = createBatcher<number>((items) => batches.push(items), 20);
    for (let i = 0; i < 50; i++) batcher.push(i);
    await new Promise((r) => setTimeout(r, 40));
    batcher.push(99);
    batcher.close();
    expect(batches.map((b) => b.length)).to.deep.equal([50, 1]);
  });
});
