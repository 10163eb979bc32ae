/* eslint-disable no-control-regex -- these tests look for control characters */
/** Rows for v1.1: reply quotes, "edited", tombstones, reactions, the banner, dialog lines. */
import type { Message } from '@msgr/sdk';
import { expect } from 'chai';
import { userName } from '../../src/state/selectors.js';
import type { State } from '../../src/state/types.js';
import { composeBanner } from '../../src/view/banner.js';
import { dialogView } from '../../src/view/dialog-views.js';
import { EDITED, TOMBSTONE, messageRows, paneView, type Row } from '../../src/view/message-rows.js';
import { widthOf } from '../../src/view/text.js';
import { ANN, BOB, ME, apply, direct, group, loadedState, message } from '../support/fixtures.js';

const text = (row: Row): string => row.segments.map((s) => s.text).join('');
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/;

function annWith(page: Message[]): State {
  return apply(
    loadedState(),
    { type: 'usersSeen', users: [ANN] },
    { type: 'open', key: 'c10' },
    { type: 'historyLoaded', key: 'c10', messages: page, mode: 'latest', limit: 50 },
  );
}
const rowsOf = (state: State, width = 50) =>
  messageRows(state.chats.c10!, { meId: ME.id, width, nameOf: (id) => userName(state, id) });

describe('tui rows: conversations that change', () => {
  it('a reply shows `↳ Name: preview` above it; an unloaded original says so', () => {
    const reply = { ...message(2, 10, ME.id, 'fine, thanks'), reply_to: 1 };
    const orphan = { ...message(3, 10, ANN.id, 'and?'), reply_to: 999 };
    const rows = rowsOf(annWith([message(1, 10, ANN.id, 'how are you\ntoday'), reply, orphan])).map(
      text,
    );
    const at = rows.findIndex((r) => r.includes('You: fine, thanks'));
    expect(rows[at - 1]).to.equal('      ↳ Ann: how are you today');
    expect(rows[rows.length - 2]).to.equal('      ↳ an earlier message');
  });

  it('an edited message ends with (edited) before its tick; a tombstone says "message deleted"', () => {
    const edited = { ...message(1, 10, ME.id, 'fixed'), edited_at: '2025-01-01T12:00:00Z' };
    const gone = { ...message(2, 10, ANN.id, ''), deleted: true };
    const rows = rowsOf(annWith([edited, gone]));
    expect(text(rows.at(-2)!)).to.match(
      new RegExp(`You: fixed ${EDITED.replace(/[()]/g, '\\$&')} ✓$`),
    );
    const tomb = rows.at(-1)!;
    expect(text(tomb)).to.match(new RegExp(`Ann: ${TOMBSTONE}$`));
    expect(tomb.segments.at(-1)).to.include({ isDim: true, isItalic: true });
  });

  it('reactions show under the message, most used first, mine highlighted; emoji are shown safe', () => {
    const m: Message = {
      ...message(1, 10, ANN.id, 'party'),
      reactions: [
        { emoji: '🎉', count: 3, me: true },
        { emoji: 'x\u001b[2J', count: 1, me: false },
      ],
    };
    const rows = rowsOf(annWith([m]));
    const under = rows.at(-1)!;
    expect(text(under)).to.equal('      🎉 3  x␛[2J 1');
    expect(under.messageId).to.equal(1);
    expect(under.segments[1]).to.include({ color: 'cyan', isBold: true });
    expect(under.segments[2]).to.include({ isDim: true });
    expect(rows.map(text).join('\n')).to.not.match(UNSAFE);
  });

  it('a window in the middle of the history ends with a row saying newer messages load', () => {
    const state = apply(
      loadedState(),
      { type: 'openAt', chatId: 10, messageId: 5 },
      {
        type: 'historyAround',
        key: 'c10',
        messageId: 5,
        older: [message(5, 10, ANN.id)],
        newer: [message(6, 10, ANN.id)],
        limit: 1,
      },
    );
    expect(text(rowsOf(state).at(-1)!)).to.equal('↓ newer messages load here');
  });

  it('the pane follows a highlighted message, moving as little as it can', () => {
    const rows: Row[] = Array.from({ length: 20 }, (_, i) => ({
      segments: [{ text: `r${i}` }],
      messageId: Math.floor(i / 2) + 1, // two rows per message
    }));
    expect(paneView(rows, 0, 5, 10).scroll).to.equal(0); // the newest: already on screen
    const up = paneView(rows, 0, 5, 3); // rows 4–5: brought to the top
    expect(up.visible.map(text)).to.deep.equal(['r4', 'r5', 'r6', 'r7', 'r8']);
    expect(up.isAtBottom).to.equal(false);
    const down = paneView(rows, 15, 5, 6); // rows 10–11: brought to the bottom
    expect(down.visible.map(text).at(-1)).to.equal('r11');
  });
});

describe('tui banner above the input', () => {
  it('says what Enter does: reply to whom, an edit in progress, the picker with its keys', () => {
    const nameOf = (id: number) => (id === ANN.id ? 'Ann\u001b]0;x\u0007' : 'You');
    let state = annWith([message(1, 10, ANN.id, 'how\tare you'), message(2, 10, ME.id, 'mine')]);
    state = apply(state, { type: 'replyStart', messageId: 1 });
    const reply = composeBanner(state.chats.c10, nameOf, 60)!
      .map((s) => s.text)
      .join('');
    expect(reply).to.equal('↳ Reply to Ann␛]0;x␇: how are you · Esc cancel');
    state = apply(state, { type: 'editStart' });
    expect(
      composeBanner(state.chats.c10, nameOf, 60)!
        .map((s) => s.text)
        .join(''),
    ).to.contain('Editing your message');
    state = apply(
      state,
      { type: 'editCancel' },
      { type: 'replyCancel' },
      { type: 'messageSelect', edge: 'last' },
      { type: 'pickerOpen' },
    );
    const picker = composeBanner(state.chats.c10, nameOf, 200)!
      .map((s) => s.text)
      .join('');
    expect(picker).to.match(/^React: \[1👍\] 2😂 /);
    const narrow = composeBanner(state.chats.c10, nameOf, 20)!;
    expect(widthOf(narrow.map((s) => s.text).join(''))).to.be.at.most(20);
    expect(composeBanner(annWith([]).chats.c10, nameOf, 60)).to.equal(undefined);
  });
});

describe('tui dialog lines', () => {
  it('search results name their chat, sender and time; the members panel marks the owner; all safe', () => {
    let state = apply(
      loadedState(),
      {
        type: 'chatsRefreshed',
        chats: [direct(10, ANN), { ...group(20, 7, 'Te\u202eam'), owner_id: BOB.id }],
      },
      { type: 'usersSeen', users: [ANN, { ...BOB, name: 'Bob\u0007' }] },
      { type: 'dialogOpen', kind: 'search' },
      { type: 'edit', target: 'dialog.query', op: { kind: 'set', text: 'cake' } },
      {
        type: 'searchResults',
        query: 'cake',
        messages: [message(9, 20, BOB.id, 'cake\u001b[2J'), message(8, 10, ANN.id, 'cake?')],
        isMore: false,
        limit: 20,
      },
    );
    const found = dialogView(state).found;
    expect(found[0]).to.include({ where: '#Te\ufffdam', who: 'Bob␇', text: 'cake␛[2J' });
    expect(found[0]!.when).to.match(/^2025-01-01 \d\d:\d\d$/);
    expect(found[1]).to.include({ where: '@Ann', who: 'Ann' });
    state = apply(state, { type: 'membersOpen', key: 'c20' });
    const view = dialogView(state);
    expect(view.groupName).to.equal('Te\ufffdam');
    expect(view.isOwner).to.equal(false);
    expect(view.members.map((m) => m.name)).to.deep.equal(['Bob␇', 'Ann', 'Me (you)']);
    expect(view.members[0]!.isOwner).to.equal(true);
  });
});
