/* eslint-disable no-control-regex -- these tests look for control characters */
import { expect } from 'chai';
import { chatListItems } from '../../src/view/chat-list.js';
import { inputRows } from '../../src/view/input-rows.js';
import { READ, SENT, messageRows, paneView, type Row } from '../../src/view/message-rows.js';
import { truncate, widthOf, wrap } from '../../src/view/text.js';
import { isBot, userName } from '../../src/state/selectors.js';
import { ANN, ME, apply, loadedState, message } from '../support/fixtures.js';

const text = (row: Row): string => row.segments.map((s) => s.text).join('');

describe('tui text', () => {
  it('wraps words to the width, cuts words wider than a line, keeps line breaks', () => {
    expect(wrap('the quick brown fox', 10)).to.deep.equal(['the quick', 'brown fox']);
    expect(wrap('abcdefghij klm', 4)).to.deep.equal(['abcd', 'efgh', 'ij', 'klm']);
    expect(wrap('one\ntwo', 20)).to.deep.equal(['one', 'two']);
    expect(wrap('日本語のテキスト', 6).every((l) => widthOf(l) <= 6)).to.equal(true);
  });

  it('cuts text to a width with …', () => {
    expect(truncate('abcdef', 4)).to.equal('abc…');
    expect(truncate('abc', 4)).to.equal('abc');
  });
});

describe('tui message rows', () => {
  function openChat(
    page = [
      message(1, 10, ANN.id, 'hello there'),
      message(2, 10, ME.id, 'hi'),
      message(3, 10, ME.id, 'read one', true),
    ],
  ) {
    const state = apply(
      loadedState(),
      { type: 'open', key: 'c10' },
      { type: 'historyLoaded', key: 'c10', messages: page, mode: 'latest', limit: 50 },
    );
    return { state, chat: state.chats.c10! };
  }
  const ctx = (width = 40) => {
    const { state } = openChat();
    return { meId: ME.id, width, nameOf: (id: number) => userName(state, id) };
  };

  it('never lets escape sequences or bidi overrides through: names and texts show them', () => {
    const { chat } = openChat([
      message(1, 10, ANN.id, 'hi\u001b]0;owned\u0007 \u202ethere\u0000\tx\r\ny'),
    ]);
    const nameOf = () => 'Ann\u001b[2J\n\u009b';
    const rows = messageRows(chat, { meId: ME.id, width: 60, nameOf }).map(text);
    expect(rows.join('\n')).to.not.match(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(rows[2]).to.match(/^\d\d:\d\d Ann␛\[2J \ufffd: hi␛\]0;owned␇ \ufffdthere␀ {4}x$/);
    expect(rows[3]).to.equal('      y');
  });

  it('marks the messages of a bot (a sender whose lookup said is_bot) with [bot] after its name', () => {
    const BOT = { id: 9, email: null, name: 'Deploy', is_bot: true };
    const { state: opened } = openChat([message(1, 10, BOT.id, 'build 42 passed')]);
    const state = apply(opened, { type: 'usersSeen', users: [BOT] });
    const chat = state.chats.c10!;
    const rows = messageRows(chat, {
      meId: ME.id,
      width: 60,
      nameOf: (id) => userName(state, id),
      isBot: (id) => isBot(state, id),
    }).map(text);
    expect(
      rows.some((r) => /^\d\d:\d\d Deploy \[bot\]: build 42 passed$/.test(r)),
      rows.join('\n'),
    ).to.be.true;
    // Without the lookup's answer (or for people) there is no mark.
    const plain = messageRows(chat, {
      meId: ME.id,
      width: 60,
      nameOf: (id) => userName(state, id),
    });
    expect(plain.map(text).join('\n')).to.not.include('[bot]');
    expect(isBot(state, ANN.id)).to.equal(false);
  });

  it('shows sender names, times, and ticks on my messages: ✓ sent, ✓✓ read by all', () => {
    const { chat } = openChat();
    const rows = messageRows(chat, ctx()).map(text);
    expect(rows[0]).to.match(/start of the conversation/);
    expect(rows[1]).to.match(/2025-01-01/);
    expect(rows[2]).to.match(/^\d\d:\d\d Ann: hello there$/);
    expect(rows[3]).to.match(new RegExp(`^\\d\\d:\\d\\d You: hi ${SENT}$`));
    expect(rows[4]).to.match(new RegExp(`You: read one ${READ}$`));
  });

  it('puts the "new messages" divider before the first unread and marks pending and failed sends', () => {
    let { state } = openChat();
    state = apply(state, {
      type: 'sendStarted',
      key: 'c10',
      localId: 1,
      text: 'on its way',
      now: Date.now(),
    });
    const chat = { ...state.chats.c10!, dividerBeforeId: 2 };
    const rows = messageRows(chat, ctx()).map(text);
    expect(rows.indexOf(rows.find((r) => r.includes('new messages'))!)).to.equal(
      rows.findIndex((r) => r.includes('You: hi')) - 1,
    );
    expect(rows[rows.length - 1]).to.match(/You: on its way …$/);
    const failed = {
      ...chat,
      pending: [{ localId: 1, text: 'lost', timestamp: new Date().toISOString(), error: 'x' }],
    };
    expect(text(messageRows(failed, ctx()).at(-1)!)).to.match(/lost ✗ not sent$/);
  });

  it('wraps long messages under the name and keeps every row within the width', () => {
    const long = 'word '.repeat(30).trim();
    const { chat } = openChat([message(1, 10, ANN.id, long)]);
    const rows = messageRows(chat, ctx(30));
    expect(rows.every((r) => widthOf(text(r)) <= 30)).to.equal(true);
    expect(rows.filter((r) => r.messageId === 1).length).to.be.greaterThan(4);
  });

  it('shows the window at the scroll position and tells what is on screen', () => {
    const rows: Row[] = Array.from({ length: 20 }, (_, i) => ({
      segments: [{ text: `r${i}` }],
      messageId: i + 1,
    }));
    const bottom = paneView(rows, 0, 5);
    expect(bottom.visible.map(text)).to.deep.equal(['r15', 'r16', 'r17', 'r18', 'r19']);
    expect(bottom.newestVisibleId).to.equal(20);
    expect(bottom.isAtTop).to.equal(false);
    const top = paneView(rows, 99, 5);
    expect(top.scroll).to.equal(15);
    expect(top.isAtTop).to.equal(true);
    expect(top.newestVisibleId).to.equal(5);
  });
});

describe('tui input rows and the chat list window', () => {
  it('wraps the draft by width and keeps the cursor row in view', () => {
    const rows = inputRows({ text: 'abcdefghij', cursor: 10 }, 5, 5);
    expect(rows.map((r) => r.text)).to.deep.equal(['abcd', 'efgh', 'ij']);
    expect(rows[2]!.cursorAt).to.equal(2);
    const scrolled = inputRows({ text: '1\n2\n3\n4\n5\n6\n7', cursor: 0 }, 10, 3);
    expect(scrolled.map((r) => r.text)).to.deep.equal(['1', '2', '3']);
    expect(scrolled[0]!.cursorAt).to.equal(0);
    expect(inputRows({ text: 'secret', cursor: 6 }, 20, 1, '•')[0]!.text).to.equal('••••••');
  });

  it('shows a window of chats around the selection', () => {
    const state = apply(loadedState(), { type: 'select', delta: 2 });
    const items = chatListItems(state, 2);
    expect(items.map((i) => i.key)).to.deep.equal(['c20', 'c30']);
    expect(items[1]!.isSelected).to.equal(true);
    expect(items[1]!.unread).to.equal(2);
  });
});
