import { expect } from 'chai';
import { splitTyped } from '../../src/state/chunks.js';
import { editField } from '../../src/state/field.js';
import { intentsFor, type Intent } from '../../src/state/keymap.js';
import type { State } from '../../src/state/types.js';
import { ANN, apply, key, loadedState } from '../support/fixtures.js';

const CTX = { pageRows: 10, maxScroll: 100, threadPageRows: 10, threadMaxScroll: 100 };
const press = (state: State, input: string, overrides = {}): Intent[] =>
  intentsFor(state, input, key(overrides), CTX);
const inInput = (): State => apply(loadedState(), { type: 'open', key: 'c10' });

describe('tui keymap', () => {
  it('in the list: arrows move the selection, Enter opens, ? helps, s sorts, u jumps to unread', () => {
    const list = loadedState();
    expect(press(list, '', { downArrow: true })).to.deep.equal([
      { action: { type: 'select', delta: 1 } },
    ]);
    expect(press(list, 'k')).to.deep.equal([{ action: { type: 'select', delta: -1 } }]);
    expect(press(list, '\r', { return: true })).to.deep.equal([
      { action: { type: 'open', key: 'c10' } },
    ]);
    expect(press(list, '?')).to.deep.equal([{ action: { type: 'dialogOpen', kind: 'help' } }]);
    expect(press(list, 's')).to.deep.equal([{ action: { type: 'toggleSort' } }]);
    expect(press(list, 'u')).to.deep.equal([{ action: { type: 'openNextUnread' } }]);
  });

  it('in the input: Enter sends, Alt+Enter and Ctrl+J break the line, Esc cancels back to the list', () => {
    const state = inInput();
    expect(state.focus).to.equal('input');
    expect(press(state, '\r', { return: true })).to.deep.equal([{ command: { type: 'send' } }]);
    const newline = [
      { action: { type: 'edit', target: 'draft', op: { kind: 'insert', text: '\n' } } },
    ];
    expect(press(state, '\r', { return: true, meta: true })).to.deep.equal(newline);
    expect(press(state, '\n')).to.deep.equal(newline);
    expect(press(state, '', { escape: true, meta: true })).to.deep.equal([
      { action: { type: 'edit', target: 'draft', op: { kind: 'clear' } } },
      { action: { type: 'focus', focus: 'list' } },
    ]);
    expect(press(state, '?')).to.deep.equal([
      { action: { type: 'edit', target: 'draft', op: { kind: 'insert', text: '?' } } },
    ]);
    expect(press(state, 'x', { ctrl: true })).to.deep.equal([{ command: { type: 'editor' } }]);
    expect(press(state, 'r', { ctrl: true })).to.deep.equal([{ command: { type: 'retry' } }]);
    // Ctrl+R retries the open chat's failed sends; with no chat open there is nothing to retry.
    expect(press(loadedState(), 'r', { ctrl: true })).to.deep.equal([]);
  });

  it('anywhere: Tab toggles focus, Ctrl+N / Ctrl+G open the dialogs, PgUp scrolls a page, Ctrl+C quits', () => {
    for (const state of [loadedState(), inInput()]) {
      expect(press(state, '', { tab: true })).to.deep.equal([{ action: { type: 'toggleFocus' } }]);
      expect(press(state, 'n', { ctrl: true })).to.deep.equal([
        { action: { type: 'dialogOpen', kind: 'direct' } },
      ]);
      expect(press(state, 'g', { ctrl: true })).to.deep.equal([
        { action: { type: 'dialogOpen', kind: 'group' } },
      ]);
      expect(press(state, '', { pageUp: true })).to.deep.equal([
        { action: { type: 'scroll', delta: 9, max: 100 } },
      ]);
      expect(press(state, 'c', { ctrl: true })).to.deep.equal([{ command: { type: 'quit' } }]);
    }
  });

  it('in the new-chat dialog: typing searches, Enter starts the chat with the highlighted person', () => {
    let state = apply(loadedState(), { type: 'dialogOpen', kind: 'direct' });
    expect(press(state, 'a')).to.deep.equal([
      { action: { type: 'edit', target: 'dialog.query', op: { kind: 'insert', text: 'a' } } },
    ]);
    state = apply(
      state,
      { type: 'edit', target: 'dialog.query', op: { kind: 'insert', text: 'a' } },
      { type: 'dialogResults', query: 'a', users: [ANN] },
    );
    expect(press(state, '\r', { return: true })).to.deep.equal([
      { action: { type: 'startDirect', user: ANN } },
    ]);
    expect(press(state, '', { escape: true })).to.deep.equal([{ action: { type: 'dialogClose' } }]);
  });

  it('in the group dialog: Enter toggles a member, and on Create creates', () => {
    let state = apply(
      loadedState(),
      { type: 'dialogOpen', kind: 'group' },
      { type: 'dialogField', field: 'members' },
      { type: 'dialogResults', query: '', users: [ANN] },
    );
    expect(press(state, '\r', { return: true })).to.deep.equal([
      { action: { type: 'groupToggleMember' } },
    ]);
    state = apply(state, { type: 'groupToggleMember' });
    expect(state.dialog?.kind === 'group' && state.dialog.members).to.deep.equal([ANN]);
    state = apply(state, { type: 'dialogField', field: 'create' });
    expect(press(state, '\r', { return: true })).to.deep.equal([
      { command: { type: 'createGroup' } },
    ]);
  });

  it('on the login screen: Enter on the email goes to the password, Enter there logs in', () => {
    const state = apply(
      loadedState(),
      { type: 'sessionExpired', error: 'x' },
      { type: 'loginField', field: 'email' },
    );
    expect(press(state, '\r', { return: true })).to.deep.equal([
      { action: { type: 'loginField', field: 'password' } },
    ]);
    const atPassword = apply(state, { type: 'loginField', field: 'password' });
    expect(press(atPassword, '\r', { return: true })).to.deep.equal([
      { command: { type: 'login' } },
    ]);
  });
});

describe('tui input chunks and fields', () => {
  it('when text and Enter arrive in one read then they become text, then Enter', () => {
    const parts = splitTyped('hello\r', key());
    expect(parts.map(([text, k]) => [text, k.return])).to.deep.equal([
      ['hello', false],
      ['\r', true],
    ]);
    const withCtrl = splitTyped('ab\u0018', key());
    expect(withCtrl.map(([text, k]) => [text, k.ctrl])).to.deep.equal([
      ['ab', false],
      ['x', true],
    ]);
    expect(splitTyped('plain', key())).to.have.length(1);
  });

  it('edits by code point, words and lines', () => {
    let field = editField({ text: '', cursor: 0 }, { kind: 'insert', text: 'hi 👋 there' });
    field = editField(field, { kind: 'deleteWord' });
    expect(field).to.deep.equal({ text: 'hi 👋 ', cursor: 6 });
    field = editField(field, { kind: 'left' });
    field = editField(field, { kind: 'backspace' });
    expect(field.text).to.equal('hi  ');
    field = editField({ text: 'one\ntwo', cursor: 7 }, { kind: 'home' });
    expect(field.cursor).to.equal(4);
    expect(editField(field, { kind: 'insert', text: 'a\r\nb' }).text).to.equal('one\na\nbtwo');
  });
});
