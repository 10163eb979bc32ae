/** The v1.1 keys: edit, pick a message, react, search, members, confirmations. */
import type { Message } from '@msgr/sdk';
import { expect } from 'chai';
import { intentsFor, type Intent } from '../../src/state/keymap.js';
import { PICKER_EMOJI } from '../../src/state/messages.js';
import type { State } from '../../src/state/types.js';
import {
  ANN,
  BOB,
  ME,
  apply,
  direct,
  group,
  key,
  loadedState,
  message,
} from '../support/fixtures.js';

const CTX = { pageRows: 10, maxScroll: 100, threadPageRows: 10, threadMaxScroll: 100 };
const press = (state: State, input: string, overrides = {}): Intent[] =>
  intentsFor(state, input, key(overrides), CTX);
const actions = (intents: Intent[]) =>
  intents.map((i) => ('action' in i ? i.action.type : i.command.type));

/** Ann's chat open: Ann 1, me 2 (🎉 mine), Ann 3. */
function annOpen(): State {
  const mine: Message = {
    ...message(2, 10, ME.id, 'mine'),
    reactions: [{ emoji: '🎉', count: 1, me: true }],
  };
  return apply(
    loadedState(),
    { type: 'open', key: 'c10' },
    {
      type: 'historyLoaded',
      key: 'c10',
      messages: [message(1, 10, ANN.id, 'hey'), mine, message(3, 10, ANN.id, 'yo')],
      mode: 'latest',
      limit: 50,
    },
  );
}

/** The Team group (c20), owned by `ownerId`, with the members panel open. */
function teamPanel(ownerId: number): State {
  return apply(
    loadedState(),
    {
      type: 'chatsRefreshed',
      chats: [direct(10, ANN), { ...group(20, 7, 'Team'), owner_id: ownerId }, direct(30, BOB)],
    },
    { type: 'usersSeen', users: [ANN, BOB] },
    { type: 'membersOpen', key: 'c20' },
  );
}

describe('tui keymap: v1.1', () => {
  it('↑ on an empty input edits my last message; with text, or with nothing of mine, it scrolls', () => {
    const state = annOpen();
    expect(press(state, '', { upArrow: true })).to.deep.equal([{ action: { type: 'editStart' } }]);
    const typed = apply(state, { type: 'edit', target: 'draft', op: { kind: 'set', text: 'x' } });
    expect(actions(press(typed, '', { upArrow: true }))).to.deep.equal(['scroll']);
    const bob = apply(loadedState(), { type: 'open', key: 'c30' });
    expect(actions(press(bob, '', { upArrow: true }))).to.deep.equal(['scroll']);
  });

  it('Esc cancels the edit first, then the reply, then the message', () => {
    const editing = apply(annOpen(), { type: 'editStart' });
    expect(actions(press(editing, '', { escape: true }))).to.deep.equal(['editCancel']);
    expect(press(editing, '\r', { return: true })).to.deep.equal([{ command: { type: 'send' } }]);
    const replying = apply(annOpen(), { type: 'replyStart', messageId: 1 });
    expect(actions(press(replying, '', { escape: true }))).to.deep.equal(['replyCancel']);
    expect(actions(press(annOpen(), '', { escape: true }))).to.deep.equal(['edit', 'focus']);
  });

  it('Ctrl+K picks a message, Ctrl+F searches, Ctrl+P and m open a group’s members', () => {
    expect(press(annOpen(), 'k', { ctrl: true })).to.deep.equal([
      { action: { type: 'messageSelect', edge: 'last' } },
    ]);
    expect(press(loadedState(), 'k', { ctrl: true })).to.deep.equal([]); // no chat open
    expect(press(loadedState(), 'f', { ctrl: true })).to.deep.equal([
      { action: { type: 'dialogOpen', kind: 'search' } },
    ]);
    const onTeam = apply(loadedState(), { type: 'select', delta: 1 });
    expect(press(onTeam, 'm')).to.deep.equal([{ action: { type: 'membersOpen', key: 'c20' } }]);
    expect(press(onTeam, 'p', { ctrl: true })).to.deep.equal([
      { action: { type: 'membersOpen', key: 'c20' } },
    ]);
    // A direct chat has no members panel: the status bar says so.
    expect(actions(press(annOpen(), 'p', { ctrl: true }))).to.deep.equal(['notice']);
  });

  it('on a highlighted message: arrows move, ↓ past the newest goes back to the input, e d r + act', () => {
    const state = apply(annOpen(), { type: 'messageSelect', edge: 'last' });
    expect(press(state, '', { upArrow: true })).to.deep.equal([
      { action: { type: 'messageSelect', delta: -1 } },
    ]);
    expect(press(state, '', { downArrow: true })).to.deep.equal([
      { action: { type: 'focus', focus: 'input' } },
    ]);
    expect(press(state, 'r')).to.deep.equal([{ action: { type: 'replyStart', messageId: 3 } }]);
    expect(press(state, '+')).to.deep.equal([{ action: { type: 'pickerOpen' } }]);
    // Ann's message: no edit, no delete (a direct chat has no owner).
    expect(press(state, 'e')[0]).to.deep.include({
      action: { type: 'notice', text: 'Only your own messages can be edited' },
    });
    expect(actions(press(state, 'd'))).to.deep.equal(['notice']);
    const mine = apply(state, { type: 'messageSelect', delta: -1 });
    expect(press(mine, 'e')).to.deep.equal([{ action: { type: 'editStart', messageId: 2 } }]);
    const [confirm] = press(mine, 'd');
    expect(confirm).to.deep.nested.include({
      'action.type': 'confirmOpen',
      'action.command': { type: 'deleteMessage', key: 'c10', messageId: 2 },
    });
    expect((confirm as { action: { question: string } }).action.question).to.contain('“mine”');
    expect(press(mine, '', { escape: true })).to.deep.equal([
      { action: { type: 'focus', focus: 'input' } },
    ]);
  });

  it('the group owner may delete anyone’s message', () => {
    const team = apply(
      teamPanel(ME.id),
      { type: 'dialogClose' },
      { type: 'open', key: 'c20' },
      {
        type: 'historyLoaded',
        key: 'c20',
        messages: [message(4, 20, BOB.id)],
        mode: 'latest',
        limit: 50,
      },
      { type: 'messageSelect', edge: 'last' },
    );
    expect(actions(press(team, 'd'))).to.deep.equal(['confirmOpen']);
    expect((press(team, 'd')[0] as { action: { question: string } }).action.question).to.contain(
      "Bob's message",
    );
  });

  it('in the picker: digits and Enter react, toggling off what is already mine', () => {
    const mine = apply(
      annOpen(),
      { type: 'messageSelect', edge: 'last' },
      { type: 'messageSelect', delta: -1 },
      { type: 'pickerOpen' },
    );
    expect(press(mine, '1')).to.deep.equal([
      { action: { type: 'pickerClose' } },
      {
        command: {
          type: 'react',
          key: 'c10',
          messageId: 2,
          emoji: PICKER_EMOJI[0],
          isAdding: true,
        },
      },
    ]);
    const party = String(PICKER_EMOJI.indexOf('🎉') + 1);
    expect(press(mine, party)[1]).to.deep.equal({
      command: { type: 'react', key: 'c10', messageId: 2, emoji: '🎉', isAdding: false },
    });
    const moved = apply(mine, { type: 'pickerMove', delta: 1 });
    expect(press(moved, '\r', { return: true })[1]).to.deep.include({
      command: { type: 'react', key: 'c10', messageId: 2, emoji: PICKER_EMOJI[1], isAdding: true },
    });
    expect(press(mine, '', { rightArrow: true })).to.deep.equal([
      { action: { type: 'pickerMove', delta: 1 } },
    ]);
    expect(press(mine, '', { escape: true })).to.deep.equal([{ action: { type: 'pickerClose' } }]);
  });

  it('in the search dialog: typing edits the words, Enter opens the chat at the highlighted result', () => {
    let state = apply(loadedState(), { type: 'dialogOpen', kind: 'search' });
    expect(actions(press(state, 'c'))).to.deep.equal(['edit']);
    expect(press(state, '\r', { return: true })).to.deep.equal([]);
    state = apply(
      state,
      { type: 'edit', target: 'dialog.query', op: { kind: 'set', text: 'cake' } },
      {
        type: 'searchResults',
        query: 'cake',
        messages: [message(9, 20, BOB.id, 'cake')],
        isMore: false,
        limit: 20,
      },
    );
    expect(press(state, '\r', { return: true })).to.deep.equal([
      { action: { type: 'openAt', chatId: 20, messageId: 9 } },
    ]);
  });

  it('in the members panel: the owner adds, removes, renames; anyone leaves; others are told who may', () => {
    const owner = teamPanel(ME.id);
    expect(press(owner, 'a')).to.deep.equal([{ action: { type: 'membersMode', mode: 'add' } }]);
    expect(press(owner, 'r')).to.deep.equal([{ action: { type: 'membersMode', mode: 'rename' } }]);
    // The list: Me (owner), Ann, Bob. Removing myself is leaving.
    expect(press(owner, 'x')[0]).to.deep.nested.include({ 'action.type': 'notice' });
    const onAnn = apply(owner, { type: 'membersMove', delta: 1 });
    expect(press(onAnn, 'x')[0]).to.deep.nested.include({
      'action.type': 'confirmOpen',
      'action.command': { type: 'removeMember', key: 'c20', userId: ANN.id },
    });
    expect(press(owner, 'l')[0]).to.deep.nested.include({
      'action.command': { type: 'leaveGroup', key: 'c20' },
    });
    const member = teamPanel(ANN.id);
    for (const letter of ['a', 'r', 'x']) {
      expect(press(member, letter)[0]).to.deep.nested.include({ 'action.type': 'notice' });
    }
    expect(actions(press(member, 'l'))).to.deep.equal(['confirmOpen']);
  });

  it('adding: Enter adds the highlighted person (not one already in); renaming: Enter saves; Esc goes back', () => {
    let adding = apply(teamPanel(ME.id), { type: 'membersMode', mode: 'add' });
    adding = apply(adding, {
      type: 'dialogResults',
      query: '',
      users: [ANN, { id: 9, email: 'z@z', name: 'Zed', is_bot: false }],
    });
    expect(press(adding, '\r', { return: true })).to.deep.equal([]); // Ann is in already
    const onZed = apply(adding, { type: 'dialogMove', delta: 1 });
    expect(press(onZed, '\r', { return: true })).to.deep.equal([
      { command: { type: 'addMember', key: 'c20', userId: 9 } },
    ]);
    expect(actions(press(adding, 'z'))).to.deep.equal(['edit']);
    expect(press(adding, '', { escape: true })).to.deep.equal([
      { action: { type: 'membersMode', mode: 'list' } },
    ]);
    const renaming = apply(teamPanel(ME.id), { type: 'membersMode', mode: 'rename' });
    expect(press(renaming, '\r', { return: true })).to.deep.equal([
      { command: { type: 'renameGroup', key: 'c20' } },
    ]);
  });

  it('a confirmation: Enter or y carries it out, Esc or n goes back; nothing while it runs', () => {
    const state = apply(loadedState(), {
      type: 'confirmOpen',
      title: 'Leave group',
      question: 'Leave?',
      yes: 'Leave',
      command: { type: 'leaveGroup', key: 'c20' },
    });
    expect(press(state, 'y')).to.deep.equal([{ command: { type: 'confirmed' } }]);
    expect(press(state, '\r', { return: true })).to.deep.equal([
      { command: { type: 'confirmed' } },
    ]);
    expect(press(state, 'n')).to.deep.equal([{ action: { type: 'confirmDone' } }]);
    expect(press(state, '', { escape: true })).to.deep.equal([{ action: { type: 'confirmDone' } }]);
    expect(press(apply(state, { type: 'confirmBusy' }), 'y')).to.deep.equal([]);
  });
});
