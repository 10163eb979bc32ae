import { expect } from 'chai';
import { chatKey } from '../../src/state/chats.js';
import {
  nextUnreadKey,
  unnamedUserIds,
  userName,
  visibleOrder,
} from '../../src/state/selectors.js';
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
const events = (...list: Parameters<typeof live>[0][]) =>
  ({ type: 'events', events: list.map(live), now: NOW }) as const;

/** A state with chat `key` open and its newest page loaded. */
function opened(
  state: State,
  key: string,
  page = state.chats[key]!.lastMessage ? [state.chats[key]!.lastMessage] : [],
): State {
  return apply(
    state,
    { type: 'open', key },
    { type: 'historyLoaded', key, messages: page, mode: 'latest', limit: 50 },
  );
}

describe('tui reducer', () => {
  it('when loaded then chats keep the server order and the most recent one is selected', () => {
    const state = loadedState();
    expect(state.phase).to.equal('main');
    expect(state.order).to.deep.equal(['c10', 'c20', 'c30']);
    expect(state.selectedKey).to.equal('c10');
    expect(state.openKey).to.equal(undefined);
    expect(state.focus).to.equal('list');
  });

  it('when messages arrive in chats that are not open then unread counts grow and chats move to the top', () => {
    let state = apply(loadedState(), events(message(6, 30, BOB.id)));
    expect(state.order).to.deep.equal(['c30', 'c10', 'c20']);
    expect(state.chats.c30!.unread).to.equal(3);
    state = apply(state, events(message(7, 20, ANN.id), message(8, 20, BOB.id)));
    expect(state.order).to.deep.equal(['c20', 'c30', 'c10']);
    expect(state.chats.c20!.unread).to.equal(2);
    expect(state.chats.c20!.lastMessage!.id).to.equal(8);
    // The selection follows its chat, not its row.
    expect(state.selectedKey).to.equal('c10');
  });

  it('when the same message is delivered twice then it counts once', () => {
    const state = apply(loadedState(), events(message(6, 30, BOB.id), message(6, 30, BOB.id)));
    expect(state.chats.c30!.unread).to.equal(3);
  });

  it('when a message arrives for an unknown chat then a placeholder chat appears on top', () => {
    const state = apply(loadedState(), events(message(9, 99, ANN.id)));
    expect(state.order[0]).to.equal('c99');
    expect(state.chats.c99!.isPlaceholder).to.equal(true);
    expect(state.chats.c99!.unread).to.equal(1);
    const refreshed = apply(state, {
      type: 'chatsRefreshed',
      chats: [direct(99, ANN, message(9, 99, ANN.id), 1), direct(10, ANN)],
    });
    expect(refreshed.chats.c99!.isPlaceholder).to.equal(false);
    expect(refreshed.chats.c99!.title).to.equal('Ann');
  });

  it('when Read events arrive then my messages up to that id are read by all (✓✓)', () => {
    const page = [
      message(1, 10, ME.id),
      message(2, 10, ANN.id),
      message(3, 10, ME.id),
      message(5, 10, ME.id),
    ];
    let state = opened(loadedState(), 'c10', page);
    state = apply(state, {
      type: 'events',
      events: [{ type: 'Read', chat_id: 10, message_id: 3, reader_ids: [2] }],
      now: NOW,
    });
    const readIds = state.chats.c10!.messages.filter((m) => m.is_read).map((m) => m.id);
    expect(readIds).to.deep.equal([1, 3]);
    // A later copy of message 3 (history reloaded after a reconnect) stays read.
    state = apply(state, {
      type: 'historyLoaded',
      key: 'c10',
      messages: [message(3, 10, ME.id)],
      mode: 'latest',
      limit: 50,
    });
    expect(state.chats.c10!.messages.find((m) => m.id === 3)!.is_read).to.equal(true);
    expect(state.chats.c10!.messages.find((m) => m.id === 5)!.is_read).to.equal(false);
  });

  it('when the connection drops and comes back then the status goes connecting → open → reconnecting → open', () => {
    const states: string[] = [];
    let state = loadedState();
    for (const s of ['open', 'reconnecting', 'open'] as const) {
      state = apply(state, { type: 'events', events: [{ type: 'State', state: s }], now: NOW });
      states.push(state.connection);
    }
    expect(states).to.deep.equal(['open', 'reconnecting', 'open']);
    expect(state.hasConnected).to.equal(true);
    expect(loadedState().connection).to.equal('connecting');
  });

  it('when an older page loads then it is prepended and the scroll position is kept', () => {
    const newest = Array.from({ length: 50 }, (_, i) => message(100 + i, 10, ANN.id));
    let state = opened(loadedState(), 'c10', newest);
    expect(state.chats.c10!.hasOlder).to.equal(true);
    state = apply(state, { type: 'scroll', delta: 30, max: 80 });
    const older = Array.from({ length: 20 }, (_, i) => message(60 + i, 10, BOB.id));
    state = apply(state, {
      type: 'historyLoaded',
      key: 'c10',
      messages: older,
      mode: 'older',
      limit: 50,
    });
    const chat = state.chats.c10!;
    expect(chat.messages.map((m) => m.id).slice(0, 3)).to.deep.equal([60, 61, 62]);
    expect(chat.messages).to.have.length(70);
    expect(chat.hasOlder).to.equal(false); // a short page: the start of the chat
    expect(chat.scroll).to.equal(30);
  });

  it('when I send then the message shows pending, and the server copy replaces it (no echo comes over the socket)', () => {
    let state = opened(loadedState(), 'c10');
    state = apply(state, { type: 'edit', target: 'draft', op: { kind: 'insert', text: 'hi Ann' } });
    state = apply(state, { type: 'sendStarted', key: 'c10', localId: 1, text: 'hi Ann', now: NOW });
    expect(state.chats.c10!.pending.map((p) => p.text)).to.deep.equal(['hi Ann']);
    expect(state.chats.c10!.draft.text).to.equal('');
    const sent = message(40, 10, ME.id, 'hi Ann');
    state = apply(state, { type: 'sendSucceeded', key: 'c10', localId: 1, message: sent });
    const chat = state.chats.c10!;
    expect(chat.pending).to.deep.equal([]);
    expect(chat.messages.map((m) => m.id)).to.deep.equal([5, 40]);
    expect(chat.unread).to.equal(0);
    expect(state.order[0]).to.equal('c10');
    // Our other device's copy of the same message (or a replay) does not duplicate it.
    state = apply(state, events(sent));
    expect(state.chats.c10!.messages.map((m) => m.id)).to.deep.equal([5, 40]);
  });

  it('when a message from my other device arrives then it is mine: no unread', () => {
    const state = apply(loadedState(), events(message(41, 30, ME.id)));
    expect(state.chats.c30!.unread).to.equal(2);
    expect(state.order[0]).to.equal('c30');
  });

  it('when a send fails with an empty input then its text comes back to the input', () => {
    let state = opened(loadedState(), 'c10');
    state = apply(state, { type: 'sendStarted', key: 'c10', localId: 7, text: 'lost', now: NOW });
    state = apply(state, {
      type: 'sendFailed',
      key: 'c10',
      localId: 7,
      error: 'not sent: you are not a member of this chat',
    });
    expect(state.chats.c10!.pending).to.deep.equal([]);
    expect(state.chats.c10!.draft.text).to.equal('lost');
    expect(state.notice).to.deep.equal({
      text: 'not sent: you are not a member of this chat',
      isError: true,
    });
  });

  it('when a send is rate limited then it keeps its failed mark and operation id, and a retry sends it', () => {
    let state = opened(loadedState(), 'c10');
    state = apply(state, { type: 'sendStarted', key: 'c10', localId: 8, text: 'fast', now: NOW });
    state = apply(state, {
      type: 'sendFailed',
      key: 'c10',
      localId: 8,
      error: 'Sending too fast: try again in 30 s',
      retryOperationId: 42,
    });
    const [failed] = state.chats.c10!.pending;
    expect(failed).to.include({ text: 'fast', retryOperationId: 42 });
    expect(failed!.error).to.equal('Sending too fast: try again in 30 s');
    expect(state.chats.c10!.draft.text).to.equal(''); // not handed back: Ctrl+R sends it
    expect(state.notice).to.deep.equal({
      text: 'Sending too fast: try again in 30 s',
      isError: true,
    });

    state = apply(state, { type: 'sendRetried', key: 'c10', localId: 8 });
    expect(state.chats.c10!.pending[0]).to.include({ retryOperationId: 42, error: undefined });
    const sent = message(45, 10, ME.id, 'fast');
    state = apply(state, { type: 'sendSucceeded', key: 'c10', localId: 8, message: sent });
    expect(state.chats.c10!.pending).to.deep.equal([]);
    expect(state.chats.c10!.messages.at(-1)).to.deep.equal(sent);
  });

  it('when the first message to a new person is sent then the draft chat becomes the real chat', () => {
    let state = apply(loadedState(), {
      type: 'startDirect',
      user: { id: 4, email: 'cy@test.com', name: 'Cy', is_bot: false },
    });
    expect(state.openKey).to.equal('u4');
    expect(state.order[0]).to.equal('u4');
    state = apply(state, { type: 'sendStarted', key: 'u4', localId: 1, text: 'hello', now: NOW });
    state = apply(state, {
      type: 'sendSucceeded',
      key: 'u4',
      localId: 1,
      message: message(50, 44, ME.id, 'hello'),
    });
    expect(state.chats.u4).to.equal(undefined);
    expect(state.openKey).to.equal('c44');
    expect(state.order[0]).to.equal('c44');
    expect(state.chats.c44!.peerUserId).to.equal(4);
    expect(state.chats.c44!.messages.map((m) => m.text)).to.deep.equal(['hello']);
  });

  it('when a chat with an existing direct chat is started then that chat opens', () => {
    const state = apply(loadedState(), { type: 'startDirect', user: BOB });
    expect(state.openKey).to.equal('c30');
    expect(state.order).to.have.length(3);
  });

  it('when a chat with unread messages opens then the divider goes before the first unread, and reading clears the count', () => {
    const page = [
      message(1, 30, BOB.id),
      message(2, 30, ME.id),
      message(3, 30, BOB.id),
      message(6, 30, BOB.id),
    ];
    let state = apply(loadedState(), events(message(6, 30, BOB.id)));
    state = opened(state, 'c30', page);
    expect(state.chats.c30!.unread).to.equal(3);
    expect(state.chats.c30!.dividerBeforeId).to.equal(1);
    state = apply(state, { type: 'markedRead', chatId: 30, messageId: 6 });
    expect(state.chats.c30!.unread).to.equal(0);
    expect(state.chats.c30!.readPointer).to.equal(6);
    // A message after the pointer is unread again.
    state = apply(state, events(message(7, 30, BOB.id)));
    expect(state.chats.c30!.unread).to.equal(1);
  });

  it('when sorting unread first then chats with unread messages lead, and next-unread jumps between them', () => {
    let state = apply(loadedState(), events(message(8, 20, ANN.id)), events(message(9, 10, ME.id)));
    expect(state.order).to.deep.equal(['c10', 'c20', 'c30']);
    state = apply(state, { type: 'toggleSort' });
    expect(visibleOrder(state)).to.deep.equal(['c20', 'c30', 'c10']);
    expect(nextUnreadKey(state)).to.equal('c20');
    state = apply(state, { type: 'openNextUnread' });
    expect(state.openKey).to.equal('c20');
    expect(state.focus).to.equal('list');
    expect(nextUnreadKey(state)).to.equal('c30');
  });

  it('when a group is created then it opens on top', () => {
    const state = apply(loadedState(), {
      type: 'groupCreated',
      group: {
        group_id: 8,
        chat_id: 80,
        name: 'New',
        creator_id: 1,
        owner_id: 1,
        member_ids: [1, 2],
      },
    });
    expect(state.order[0]).to.equal(chatKey(80));
    expect(state.openKey).to.equal('c80');
    expect(state.chats.c80!.groupId).to.equal(8);
    expect(state.focus).to.equal('input');
  });

  it('when someone types then they show until the entry expires or their message arrives', () => {
    let state = apply(loadedState(), {
      type: 'events',
      events: [{ type: 'Typing', chat_id: 20, user_id: 2 }],
      now: NOW,
    });
    expect(state.typing).to.deep.equal([{ chatId: 20, userId: 2, until: NOW + 5000 }]);
    expect(apply(state, { type: 'typingExpired', now: NOW + 6000 }).typing).to.deep.equal([]);
    state = apply(state, events(message(11, 20, ANN.id)));
    expect(state.typing).to.deep.equal([]);
  });

  it('when the session expires then everything is dropped and the login screen asks for the password', () => {
    const state = apply(loadedState(), {
      type: 'sessionExpired',
      error: 'the session has expired',
    });
    expect(state.phase).to.equal('login');
    expect(state.order).to.deep.equal([]);
    expect(state.login.hosts.text).to.equal('http://h');
    expect(state.login.field).to.equal('password');
    expect(state.login.error).to.equal('the session has expired');
  });

  it('when a burst of a hundred messages arrives in one batch then the state is right after one dispatch', () => {
    const burst = Array.from({ length: 100 }, (_, i) =>
      message(200 + i, 20 + (i % 2) * 10, BOB.id),
    );
    const state = apply(loadedState(), events(...burst));
    expect(state.chats.c20!.unread).to.equal(50);
    expect(state.chats.c30!.unread).to.equal(52);
    expect(state.order[0]).to.equal('c30'); // the last message of the burst
  });
});

describe('tui reducer: names of people outside the first users', () => {
  const CAROL = { id: 40, email: 'carol@test.com', name: 'Carol', is_bot: false };

  it('when names arrive (usersSeen) then `user #id` becomes the name, and nobody is unnamed', () => {
    // Carol is in the group but has no direct chat with me: her name is unknown at first.
    const withCarol = apply(loadedState(), events(message(6, 20, CAROL.id, 'hi all')));
    let state = opened(withCarol, 'c20', [message(4, 20, BOB.id), message(6, 20, CAROL.id)]);
    expect(userName(state, CAROL.id)).to.equal('user #40');
    expect(userName(state, BOB.id)).to.equal('Bob'); // from the direct chat's title
    expect(unnamedUserIds(state)).to.deep.equal([CAROL.id]);

    const before = state;
    state = apply(state, { type: 'usersSeen', users: [CAROL] });
    expect(userName(state, CAROL.id)).to.equal('Carol');
    expect(unnamedUserIds(state)).to.deep.equal([]);
    expect(before.users[CAROL.id]).to.equal(undefined); // pure: the old state is untouched
    // Nothing found: the same state, so nothing re-renders.
    expect(apply(state, { type: 'usersSeen', users: [] })).to.equal(state);
  });

  it("unnamed people are the open chat's senders and members, last-message senders and typists", () => {
    let state = apply(
      loadedState(),
      events(message(6, 30, 50)),
      { type: 'open', key: 'c20' },
      {
        type: 'historyLoaded',
        key: 'c20',
        messages: [message(2, 20, 60), message(4, 20, BOB.id)],
        mode: 'latest',
        limit: 50,
      },
    );
    state = {
      ...state,
      chats: { ...state.chats, c20: { ...state.chats.c20!, memberIds: [1, 2, 3, 70] } },
    };
    state = apply(state, {
      type: 'events',
      events: [{ type: 'Typing', chat_id: 20, user_id: 80 }],
      now: NOW,
    });
    expect(unnamedUserIds(state)).to.deep.equal([50, 60, 70, 80]);
  });
});

describe('tui reducer: group and direct chat fixtures', () => {
  it('builds summaries the reducer accepts', () => {
    const state = apply(loadedState(), {
      type: 'chatsRefreshed',
      chats: [group(20, 7, 'Renamed')],
    });
    expect(state.chats.c20!.title).to.equal('Renamed');
    expect(state.order).to.deep.equal(['c20']);
  });
});

describe('tui reducer: the "new messages" divider across pages', () => {
  it('when more messages are unread than the first page holds then the divider moves to its place as older pages load', () => {
    const all = Array.from({ length: 130 }, (_, i) => message(i + 1, 30, BOB.id));
    let state = apply(loadedState(), {
      type: 'chatsRefreshed',
      chats: [direct(30, BOB, all.at(-1), 120)],
    });
    state = apply(
      state,
      { type: 'open', key: 'c30' },
      { type: 'historyLoaded', key: 'c30', messages: all.slice(30), mode: 'latest', limit: 100 },
    );
    expect(state.chats.c30!.dividerBeforeId).to.equal(31); // the oldest loaded, for now
    state = apply(state, { type: 'markedRead', chatId: 30, messageId: 130 });
    state = apply(state, {
      type: 'historyLoaded',
      key: 'c30',
      messages: all.slice(0, 30),
      mode: 'older',
      limit: 50,
    });
    expect(state.chats.c30!.dividerBeforeId).to.equal(11); // 130 − 120 + 1
    expect(state.chats.c30!.unread).to.equal(0);
  });
});
