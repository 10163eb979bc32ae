/** v1.1 in the reducer: edits, tombstones, replies, reactions, search jumps, group members. */
import type { Message, SubscriptionEvent } from '@msgr/sdk';
import { expect } from 'chai';
import { PICKER_EMOJI } from '../../src/state/messages.js';
import { wantsMoreResults } from '../../src/state/panels.js';
import { memberList, unnamedUserIds } from '../../src/state/selectors.js';
import type { State } from '../../src/state/types.js';
import {
  ANN,
  BOB,
  ME,
  apply,
  direct,
  group,
  live,
  loadedState,
  message,
} from '../support/fixtures.js';

const NOW = 1_700_000_000_000;
const events = (...list: SubscriptionEvent[]) =>
  ({ type: 'events', events: list, now: NOW }) as const;
const withReactions = (m: Message, reactions: Message['reactions']): Message => ({
  ...m,
  reactions,
});

/** Ann's chat (c10) open with a page: Ann 1, me 2, Ann 3 (👍 2, mine among them), me 4. */
function annOpen(): State {
  const page = [
    message(1, 10, ANN.id, 'hello'),
    message(2, 10, ME.id, 'first of mine'),
    withReactions(message(3, 10, ANN.id, 'how are you'), [{ emoji: '👍', count: 2, me: true }]),
    message(4, 10, ME.id, 'second of mine'),
  ];
  return apply(
    loadedState(),
    { type: 'open', key: 'c10' },
    { type: 'historyLoaded', key: 'c10', messages: page, mode: 'latest', limit: 50 },
  );
}

/** The Team group (c20, group 7) open, owned by me: Bob's message 4. */
function teamOpen(ownerId = ME.id): State {
  const state = apply(loadedState(), {
    type: 'chatsRefreshed',
    chats: [
      direct(10, ANN, message(5, 10, ME.id)),
      { ...group(20, 7, 'Team', message(4, 20, BOB.id)), owner_id: ownerId },
      direct(30, BOB, message(3, 30, BOB.id), 2),
    ],
  });
  return apply(
    state,
    { type: 'open', key: 'c20' },
    {
      type: 'historyLoaded',
      key: 'c20',
      messages: [message(4, 20, BOB.id, 'from bob')],
      mode: 'latest',
      limit: 50,
    },
  );
}

const held = (state: State, key: string, id: number) =>
  state.chats[key]!.messages.find((m) => m.id === id)!;

describe('tui reducer: messages that change', () => {
  it('when a MessageEdited event arrives then the text changes, edited_at is set, my reactions stay', () => {
    const edited = { ...message(3, 10, ANN.id, 'how are you doing'), edited_at: 'x' };
    const state = apply(annOpen(), events({ type: 'MessageEdited', message: edited }));
    const m = held(state, 'c10', 3);
    expect(m.text).to.equal('how are you doing');
    expect(m.edited_at).to.equal('x');
    expect(m.reactions).to.deep.equal([{ emoji: '👍', count: 2, me: true }]);
  });

  it('when a live Message copy of a held message arrives then its reaction counts stay', () => {
    const state = apply(annOpen(), events(live(message(3, 10, ANN.id, 'how are you'))));
    expect(held(state, 'c10', 3).reactions).to.have.length(1);
  });

  it('when a MessageDeleted event arrives then the message is a tombstone and no longer unread', () => {
    let state = apply(loadedState(), events(live(message(6, 30, BOB.id, 'oops'))));
    expect(state.chats.c30!.unread).to.equal(3);
    state = apply(state, events({ type: 'MessageDeleted', chat_id: 30, message_id: 6 }));
    expect(state.chats.c30!.unread).to.equal(2);
    expect(state.chats.c30!.lastMessage).to.include({ deleted: true, text: '' });
    // Deleting it again (a repeat) counts nothing twice.
    state = apply(state, events({ type: 'MessageDeleted', chat_id: 30, message_id: 6 }));
    expect(state.chats.c30!.unread).to.equal(2);

    const open = apply(annOpen(), events({ type: 'MessageDeleted', chat_id: 10, message_id: 3 }));
    expect(held(open, 'c10', 3)).to.include({ deleted: true, text: '' });
    expect(held(open, 'c10', 3).reactions).to.deep.equal([]);
  });

  it('when the message I am editing is deleted elsewhere then the edit ends and my draft returns', () => {
    let state = apply(annOpen(), {
      type: 'edit',
      target: 'draft',
      op: { kind: 'set', text: 'wip' },
    });
    state = apply(state, { type: 'editStart', messageId: 2 });
    expect(state.chats.c10!.draft.text).to.equal('first of mine');
    state = apply(state, events({ type: 'MessageDeleted', chat_id: 10, message_id: 2 }));
    expect(state.chats.c10!.editing).to.equal(undefined);
    expect(state.chats.c10!.draft.text).to.equal('wip');
  });

  it('when Reaction events arrive then counts go up and down, mine are marked, repeats change nothing', () => {
    const reaction = (emoji: string, userId: number, added: boolean): SubscriptionEvent => ({
      type: 'Reaction',
      chat_id: 10,
      message_id: 3,
      emoji,
      user_id: userId,
      added,
    });
    let state = apply(
      annOpen(),
      events(reaction('🎉', BOB.id, true), reaction('🎉', ANN.id, true), reaction('🎉', 9, true)),
    );
    // Most used first.
    expect(held(state, 'c10', 3).reactions).to.deep.equal([
      { emoji: '🎉', count: 3, me: false },
      { emoji: '👍', count: 2, me: true },
    ]);
    // My other device adds what this one already counts as mine: nothing changes.
    state = apply(state, events(reaction('👍', ME.id, true)));
    expect(held(state, 'c10', 3).reactions[1]).to.deep.equal({ emoji: '👍', count: 2, me: true });
    // ...and takes it back: the count drops and it is no longer mine.
    state = apply(state, events(reaction('👍', ME.id, false)));
    expect(held(state, 'c10', 3).reactions[1]).to.deep.equal({ emoji: '👍', count: 1, me: false });
    state = apply(state, events(reaction('👍', BOB.id, false), reaction('😢', BOB.id, false)));
    expect(held(state, 'c10', 3).reactions.map((r) => r.emoji)).to.deep.equal(['🎉']);
  });

  it('when my react call answers then its counts replace what was held', () => {
    const state = apply(annOpen(), {
      type: 'reactionsSet',
      chatId: 10,
      messageId: 1,
      reactions: [{ emoji: '🔥', count: 1, me: true }],
    });
    expect(held(state, 'c10', 1).reactions).to.deep.equal([{ emoji: '🔥', count: 1, me: true }]);
  });
});

describe('tui reducer: edit, reply, pick', () => {
  it('editStart with no id edits my last message; cancel brings back the draft and the reply', () => {
    let state = apply(annOpen(), { type: 'replyStart', messageId: 1 });
    state = apply(state, { type: 'edit', target: 'draft', op: { kind: 'set', text: 'half' } });
    state = apply(state, { type: 'editStart' });
    const chat = state.chats.c10!;
    expect(chat.editing).to.deep.include({ messageId: 4, isSaving: false });
    expect(chat.draft).to.deep.equal({ text: 'second of mine', cursor: 14 });
    expect(chat.replyTo).to.equal(undefined);
    expect(state.focus).to.equal('input');
    state = apply(state, { type: 'editCancel' });
    expect(state.chats.c10!.draft.text).to.equal('half');
    expect(state.chats.c10!.replyTo).to.equal(1);
  });

  it('editStart on a message of someone else, or a tombstone, changes nothing', () => {
    const state = annOpen();
    expect(apply(state, { type: 'editStart', messageId: 3 })).to.equal(state);
    const gone = apply(state, events({ type: 'MessageDeleted', chat_id: 10, message_id: 4 }));
    expect(apply(gone, { type: 'editStart', messageId: 4 }).chats.c10!.editing).to.equal(undefined);
    // With 4 gone, "my last message" is 2.
    expect(apply(gone, { type: 'editStart' }).chats.c10!.editing!.messageId).to.equal(2);
  });

  it('when the edit is saved then the message shows the new text and the input is as before', () => {
    let state = apply(annOpen(), { type: 'editStart', messageId: 2 }, { type: 'editSaving' });
    expect(state.chats.c10!.editing!.isSaving).to.equal(true);
    state = apply(state, { type: 'editFailed', key: 'c10', error: 'not saved: offline' });
    expect(state.chats.c10!.editing!.isSaving).to.equal(false);
    expect(state.notice).to.deep.equal({ text: 'not saved: offline', isError: true });
    const saved = { ...message(2, 10, ME.id, 'first, fixed'), edited_at: 'now' };
    state = apply(state, { type: 'messageEdited', message: saved });
    expect(held(state, 'c10', 2).text).to.equal('first, fixed');
    expect(state.chats.c10!.editing).to.equal(undefined);
    expect(state.chats.c10!.draft.text).to.equal('');
  });

  it('a reply is composed with the quoted message and sent with it; the pending copy keeps it', () => {
    let state = apply(annOpen(), { type: 'replyStart', messageId: 3 });
    expect(state.chats.c10!.replyTo).to.equal(3);
    state = apply(state, {
      type: 'sendStarted',
      key: 'c10',
      localId: 1,
      text: 'fine',
      now: NOW,
      replyTo: 3,
    });
    expect(state.chats.c10!.replyTo).to.equal(undefined);
    expect(state.chats.c10!.pending[0]).to.include({ text: 'fine', replyTo: 3 });
    expect(
      apply(annOpen(), { type: 'replyStart', messageId: 3 }, { type: 'replyCancel' }).chats.c10!
        .replyTo,
    ).to.equal(undefined);
  });

  it('messageSelect highlights the newest first, moves within the loaded messages, leaves with the focus', () => {
    let state = apply(annOpen(), { type: 'messageSelect', edge: 'last' });
    expect(state.focus).to.equal('messages');
    expect(state.chats.c10!.selectedId).to.equal(4);
    state = apply(state, { type: 'messageSelect', delta: -2 });
    expect(state.chats.c10!.selectedId).to.equal(2);
    state = apply(state, { type: 'messageSelect', delta: -10 });
    expect(state.chats.c10!.selectedId).to.equal(1);
    state = apply(state, { type: 'messageSelect', delta: 99 });
    expect(state.chats.c10!.selectedId).to.equal(4);
    state = apply(
      state,
      { type: 'messageSelect', edge: 'first' },
      { type: 'focus', focus: 'input' },
    );
    expect(state.focus).to.equal('input');
    expect(state.chats.c10!.selectedId).to.equal(undefined);
  });

  it('the picker opens over the highlighted message, wraps around, and closes', () => {
    let state = apply(annOpen(), { type: 'messageSelect', edge: 'last' }, { type: 'pickerOpen' });
    expect(state.chats.c10!.pickerIndex).to.equal(0);
    state = apply(state, { type: 'pickerMove', delta: -1 });
    expect(state.chats.c10!.pickerIndex).to.equal(PICKER_EMOJI.length - 1);
    state = apply(state, { type: 'pickerMove', delta: 2 });
    expect(state.chats.c10!.pickerIndex).to.equal(1);
    state = apply(state, { type: 'pickerClose' });
    expect(state.chats.c10!.pickerIndex).to.equal(undefined);
  });
});

describe('tui reducer: search and jumping to a message', () => {
  const found = [message(90, 10, ANN.id, 'cake'), message(40, 20, BOB.id, 'cake again')];

  it('search results are filed under their query; an older query answer is dropped; more pages append', () => {
    let state = apply(loadedState(), { type: 'dialogOpen', kind: 'search' });
    state = apply(state, {
      type: 'edit',
      target: 'dialog.query',
      op: { kind: 'set', text: 'cake ' },
    });
    state = apply(state, {
      type: 'searchResults',
      query: 'ca',
      messages: found,
      isMore: false,
      limit: 2,
    });
    expect(state.dialog).to.deep.include({ results: [] });
    state = apply(state, {
      type: 'searchResults',
      query: 'cake',
      messages: found,
      isMore: false,
      limit: 2,
    });
    expect(state.dialog).to.deep.include({ resultsFor: 'cake', hasMore: true });
    const dialog = () => state.dialog as Extract<State['dialog'], { kind: 'search' }>;
    expect(wantsMoreResults(dialog())).to.equal(undefined); // the highlight is not at the end yet
    state = apply(state, { type: 'dialogMove', delta: 1 });
    expect(wantsMoreResults(dialog())).to.equal(40);
    state = apply(state, {
      type: 'searchResults',
      query: 'cake',
      messages: [message(7, 30, BOB.id, 'cake at last')],
      isMore: true,
      limit: 2,
    });
    expect(dialog().results.map((m) => m.id)).to.deep.equal([90, 40, 7]);
    expect(dialog().hasMore).to.equal(false);
    expect(dialog().index).to.equal(1);
  });

  it('openAt a loaded message highlights it at once', () => {
    const state = apply(
      annOpen(),
      { type: 'dialogOpen', kind: 'search' },
      { type: 'openAt', chatId: 10, messageId: 3 },
    );
    expect(state.dialog).to.equal(undefined);
    expect(state.focus).to.equal('messages');
    expect(state.chats.c10!.selectedId).to.equal(3);
    expect(state.chats.c10!.jumpTo).to.equal(undefined);
  });

  it('openAt an older message loads a window around it; live messages wait until the gap is filled', () => {
    let state = apply(loadedState(), { type: 'openAt', chatId: 10, messageId: 30 });
    expect(state.openKey).to.equal('c10');
    expect(state.chats.c10!.jumpTo).to.equal(30);
    const older = Array.from({ length: 3 }, (_, i) => message(28 + i, 10, ANN.id));
    const newer = Array.from({ length: 3 }, (_, i) => message(31 + i, 10, ANN.id));
    state = apply(state, {
      type: 'historyAround',
      key: 'c10',
      messageId: 30,
      older,
      newer,
      limit: 3,
    });
    const chat = state.chats.c10!;
    expect(chat.messages.map((m) => m.id)).to.deep.equal([28, 29, 30, 31, 32, 33]);
    expect(chat).to.include({ hasOlder: true, hasNewer: true, selectedId: 30, jumpTo: undefined });
    // A live message is newer than the gap: it is counted, not shown out of place.
    state = apply(state, events(live(message(99, 10, ANN.id))));
    expect(state.chats.c10!.messages.map((m) => m.id)).to.not.include(99);
    expect(state.chats.c10!.lastMessage!.id).to.equal(99);
    // A newest page (a reconnect's) would leave a gap too: ignored while the window fills in.
    state = apply(state, {
      type: 'historyLoaded',
      key: 'c10',
      messages: [message(99, 10, ANN.id)],
      mode: 'latest',
      limit: 50,
    });
    expect(state.chats.c10!.messages.map((m) => m.id)).to.not.include(99);
    // The pages after it fill in; a short one means the newest is reached.
    state = apply(state, {
      type: 'historyLoaded',
      key: 'c10',
      messages: [message(34, 10, ANN.id), message(99, 10, ANN.id)],
      mode: 'newer',
      limit: 50,
    });
    expect(state.chats.c10!.hasNewer).to.equal(false);
    state = apply(state, events(live(message(100, 10, ANN.id))));
    expect(state.chats.c10!.messages.at(-1)!.id).to.equal(100);
  });

  it('sending from a window in the middle goes back to the newest page', () => {
    let state = apply(loadedState(), { type: 'openAt', chatId: 10, messageId: 30 });
    state = apply(state, {
      type: 'historyAround',
      key: 'c10',
      messageId: 30,
      older: [message(30, 10, ANN.id)],
      newer: [message(31, 10, ANN.id)],
      limit: 1,
    });
    state = apply(state, { type: 'sendStarted', key: 'c10', localId: 1, text: 'hi', now: NOW });
    expect(state.chats.c10!).to.include({ isLoaded: false, hasNewer: false });
    expect(state.chats.c10!.messages).to.deep.equal([]);
  });
});

describe('tui reducer: group members', () => {
  it('MembersChanged adds and removes others and moves the owner', () => {
    let state = teamOpen();
    state = apply(
      state,
      events({
        type: 'MembersChanged',
        chat_id: 20,
        group_id: 7,
        added: [9],
        removed: [BOB.id],
        owner_id: ANN.id,
      }),
    );
    expect(state.chats.c20!.memberIds).to.deep.equal([ME.id, ANN.id, 9]);
    expect(state.chats.c20!.ownerId).to.equal(ANN.id);
    expect(unnamedUserIds(state)).to.include(9);
  });

  it('when I am removed from the open group then it leaves the list, the pane closes, a notice says so', () => {
    let state = apply(teamOpen(ANN.id), { type: 'membersOpen', key: 'c20' });
    state = apply(
      state,
      events({
        type: 'MembersChanged',
        chat_id: 20,
        group_id: 7,
        added: [],
        removed: [ME.id],
        owner_id: ANN.id,
      }),
    );
    expect(state.chats.c20).to.equal(undefined);
    expect(state.order).to.deep.equal(['c10', 'c30']);
    expect(state.openKey).to.equal(undefined);
    expect(state.focus).to.equal('list');
    expect(state.selectedKey).to.equal('c30');
    expect(state.dialog).to.equal(undefined);
    expect(state.notice).to.deep.equal({ text: 'You were removed from #Team', isError: true });
    // Later events of that chat bring nothing back.
    const after = apply(
      state,
      events({ type: 'ChatUpdated', chat_id: 20, group_id: 7, name: 'x' }),
    );
    expect(after.chats.c20).to.equal(undefined);
  });

  it('when I am added to a group I did not know then a placeholder appears until the list names it', () => {
    const state = apply(
      loadedState(),
      events({
        type: 'MembersChanged',
        chat_id: 77,
        group_id: 70,
        added: [ME.id],
        removed: [],
        owner_id: ANN.id,
      }),
    );
    expect(state.order[0]).to.equal('c77');
    expect(state.chats.c77!.isPlaceholder).to.equal(true);
  });

  it('ChatUpdated renames; groupUpdated takes the server group; memberRemoved and groupLeft apply', () => {
    let state = apply(
      teamOpen(),
      events({ type: 'ChatUpdated', chat_id: 20, group_id: 7, name: 'Crew' }),
    );
    expect(state.chats.c20!.title).to.equal('Crew');
    state = apply(
      state,
      { type: 'membersOpen', key: 'c20' },
      { type: 'membersMode', mode: 'rename' },
    );
    expect(state.dialog).to.deep.include({ mode: 'rename', name: { text: 'Crew', cursor: 4 } });
    state = apply(state, {
      type: 'groupUpdated',
      group: {
        group_id: 7,
        chat_id: 20,
        name: 'Squad',
        creator_id: ME.id,
        owner_id: ME.id,
        member_ids: [ME.id, ANN.id, BOB.id, 9],
      },
    });
    expect(state.chats.c20!).to.include({ title: 'Squad' });
    expect(state.chats.c20!.memberIds).to.have.length(4);
    expect(state.dialog).to.deep.include({ mode: 'list', isBusy: false });
    state = apply(state, { type: 'memberRemoved', chatId: 20, userId: 9 });
    expect(state.chats.c20!.memberIds).to.deep.equal([ME.id, ANN.id, BOB.id]);
    state = apply(state, { type: 'groupLeft', chatId: 20 });
    expect(state.chats.c20).to.equal(undefined);
    expect(state.notice).to.deep.equal({ text: 'You left #Squad', isError: false });
  });

  it('membershipLost (a call answered chat_forbidden) drops a group as a removal would; not a direct chat', () => {
    const state = apply(teamOpen(), { type: 'membershipLost', key: 'c20' });
    expect(state.chats.c20).to.equal(undefined);
    expect(state.notice).to.deep.equal({ text: 'You were removed from #Team', isError: true });
    const direct = annOpen();
    expect(apply(direct, { type: 'membershipLost', key: 'c10' })).to.equal(direct);
  });

  it('the members panel lists the owner first, then by name; it opens for groups only', () => {
    const state = apply(teamOpen(BOB.id), { type: 'usersSeen', users: [ANN, BOB] });
    expect(memberList(state, 'c20').map((m) => [m.name, m.isOwner])).to.deep.equal([
      ['Bob', true],
      ['Ann', false],
      ['Me (you)', false],
    ]);
    expect(apply(state, { type: 'membersOpen', key: 'c10' }).dialog).to.equal(undefined);
    const open = apply(
      state,
      { type: 'membersOpen', key: 'c20' },
      { type: 'membersMove', delta: 5 },
    );
    expect(open.dialog).to.deep.include({ kind: 'members', memberIndex: 2 });
  });

  it('a confirmation goes back to the dialog it came from, with its error shown meanwhile', () => {
    let state = apply(teamOpen(), { type: 'membersOpen', key: 'c20' });
    state = apply(state, {
      type: 'confirmOpen',
      title: 'Remove member',
      question: 'Remove Bob?',
      yes: 'Remove',
      command: { type: 'removeMember', key: 'c20', userId: BOB.id },
    });
    expect(state.dialog).to.deep.include({ kind: 'confirm', isBusy: false });
    state = apply(
      state,
      { type: 'confirmBusy' },
      { type: 'confirmFailed', error: 'not removed: offline' },
    );
    expect(state.dialog).to.deep.include({ isBusy: false, error: 'not removed: offline' });
    state = apply(state, { type: 'confirmDone' });
    expect(state.dialog).to.deep.include({ kind: 'members', key: 'c20' });
  });
});
