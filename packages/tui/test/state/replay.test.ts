/**
 * v1.2 in the reducer: after a reconnect the subscription replays every change missed, once
 * and in order, and the TUI no longer reloads. Each kind applied to what is held must leave
 * what a fresh `GET /chats` and history would show; `ReadMarker` (my read on another device)
 * moves unread counts; `PositionExpired` reloads. The "converges" tests run a model of the
 * server (support/log-model.ts): a state loaded from it, then the events it logged, equals a
 * state loaded afresh from it.
 */
import type { Message, SubscriptionEvent, User } from '@msgr/sdk';
import { expect } from 'chai';
import { chatKey } from '../../src/state/chats.js';
import { initialState } from '../../src/state/reducer.js';
import type { State } from '../../src/state/types.js';
import { ANN, BOB, ME, apply, direct, loadedState, message } from '../support/fixtures.js';
import { LogModel } from '../support/log-model.js';

const CAT: User = { id: 4, email: 'cat@test.com', name: 'Cat', is_bot: false };
const NOW = 1_700_000_000_000;
const events = (...list: SubscriptionEvent[]) =>
  ({ type: 'events', events: list, now: NOW }) as const;
const readMarker = (chatId: number, messageId: number): SubscriptionEvent => ({
  type: 'ReadMarker',
  chat_id: chatId,
  message_id: messageId,
});

/** Bob's chat (c30: m1, m2, m3 from Bob, 2 unread) loaded and open. */
function bobOpen(): State {
  const page = [message(1, 30, BOB.id), message(2, 30, BOB.id), message(3, 30, BOB.id)];
  return apply(
    loadedState(),
    { type: 'open', key: 'c30' },
    { type: 'historyLoaded', key: 'c30', messages: page, mode: 'latest', limit: 50 },
  );
}

describe('tui reducer: ReadMarker (my read on another device)', () => {
  it('in a loaded chat the count is what follows the pointer; the open chat’s divider moves with it, then goes', () => {
    let state = bobOpen();
    expect(state.chats.c30).to.include({ unread: 2, dividerBeforeId: 2 });
    state = apply(state, events(readMarker(30, 2)));
    expect(state.chats.c30).to.include({ unread: 1, readPointer: 2, dividerBeforeId: 3 });
    state = apply(state, events(readMarker(30, 3)));
    expect(state.chats.c30).to.include({ unread: 0, readPointer: 3, dividerBeforeId: undefined });
    expect(state.listReloads).to.equal(0);
  });

  it('a pointer at or below the one known here changes nothing (the TUI read that far itself)', () => {
    const state = apply(bobOpen(), { type: 'markedRead', chatId: 30, messageId: 3 });
    expect(state.chats.c30!.unread).to.equal(0);
    expect(apply(state, events(readMarker(30, 2)))).to.equal(state);
    expect(apply(state, events(readMarker(30, 3)))).to.equal(state);
  });

  it('in a chat not loaded, a pointer at its last message or past it clears the count without a reload', () => {
    const state = apply(loadedState(), events(readMarker(30, 3)));
    expect(state.chats.c30).to.include({ unread: 0, readPointer: 3 });
    expect(state.listReloads).to.equal(0);
  });

  it('in a chat not loaded, a pointer before its last message settles when the held ones agree, else asks for the list once', () => {
    // c30: 2 unread, only m3 (Bob's) held. Pointer at m1: m2 may or may not be unread.
    const unsure = apply(loadedState(), events(readMarker(30, 1)));
    expect(unsure.chats.c30).to.include({ unread: 2, readPointer: 1 });
    expect(unsure.listReloads).to.equal(1);
    const listed = apply(unsure, {
      type: 'chatsRefreshed',
      chats: [direct(30, BOB, message(3, 30, BOB.id), 1)],
    });
    expect(listed.chats.c30!.unread).to.equal(1);

    // One unread and m3 after the pointer is Bob's: it is the one.
    const one = apply(
      loadedState(),
      { type: 'chatsRefreshed', chats: [direct(30, BOB, message(3, 30, BOB.id), 1)] },
      events(readMarker(30, 1)),
    );
    expect(one.chats.c30!.unread).to.equal(1);
    expect(one.listReloads).to.equal(0);
  });

  it('a chat this client does not hold changes nothing', () => {
    const state = loadedState();
    expect(apply(state, events(readMarker(99, 5)))).to.equal(state);
  });
});

describe('tui reducer: PositionExpired', () => {
  it('drops every loaded history (the open chat loads again at once), asks for the list, keeps drafts and unsent messages', () => {
    let state = apply(
      bobOpen(),
      { type: 'open', key: 'c10' },
      {
        type: 'historyLoaded',
        key: 'c10',
        messages: [message(5, 10, ME.id)],
        mode: 'latest',
        limit: 50,
      },
      { type: 'edit', target: 'draft', op: { kind: 'insert', text: 'half a thought' } },
      { type: 'sendStarted', key: 'c10', localId: 1, text: 'on its way', now: NOW },
      { type: 'edit', target: 'draft', op: { kind: 'insert', text: 'half a thought' } },
    );
    state = apply(state, events({ type: 'PositionExpired' }));
    for (const key of ['c10', 'c30']) {
      expect(state.chats[key], key).to.include({ isLoaded: false, hasOlder: false });
      expect(state.chats[key]!.messages, key).to.deep.equal([]);
    }
    expect(state.listReloads).to.equal(1);
    expect(state.openKey).to.equal('c10');
    expect(state.chats.c10!.draft.text).to.equal('half a thought');
    expect(state.chats.c10!.pending.map((p) => p.text)).to.deep.equal(['on its way']);
    // The list and the open chat's page land: as fresh.
    state = apply(state, {
      type: 'historyLoaded',
      key: 'c10',
      messages: [message(5, 10, ME.id), message(8, 10, ANN.id, 'while you slept')],
      mode: 'latest',
      limit: 50,
    });
    expect(state.chats.c10!.messages.map((m) => m.text)).to.deep.equal(['m5', 'while you slept']);
  });
});

describe('tui reducer: replayed changes to what is not loaded', () => {
  /** Team (c20) loaded with its newest page of 3, older pages not: m10..m12. */
  function teamPaged(): State {
    const page = [message(10, 20, ANN.id), message(11, 20, BOB.id), message(12, 20, ANN.id)];
    return apply(
      loadedState(),
      { type: 'open', key: 'c20' },
      { type: 'historyLoaded', key: 'c20', messages: page, mode: 'latest', limit: 3 },
      { type: 'open', key: 'c10' },
    );
  }

  it('an edit, a reaction or a deletion of a message on an older page changes nothing and asks for nothing', () => {
    const state = teamPaged();
    expect(state.chats.c20!.hasOlder).to.equal(true);
    const older = { ...message(2, 20, BOB.id, 'changed'), edited_at: '2025-02-01T00:00:00.000Z' };
    const held = apply(state, events({ type: 'MessageEdited', message: older }));
    expect(held).to.equal(state);
    const reacted = apply(
      state,
      events({
        type: 'Reaction',
        chat_id: 20,
        message_id: 2,
        emoji: '👍',
        user_id: ANN.id,
        added: true,
      }),
    );
    expect(reacted).to.equal(state);
    // No unread in Team: a deletion there cannot change a count.
    const deleted = apply(state, events({ type: 'MessageDeleted', chat_id: 20, message_id: 2 }));
    expect(deleted.chats.c20).to.deep.equal(state.chats.c20);
    expect(deleted.listReloads).to.equal(0);
  });

  it('a deletion of the last message of a chat not loaded makes its preview a tombstone and settles the count', () => {
    const state = apply(
      loadedState(),
      events({ type: 'MessageDeleted', chat_id: 30, message_id: 3 }),
    );
    expect(state.chats.c30!.lastMessage).to.include({ id: 3, deleted: true, text: '' });
    expect(state.chats.c30!.unread).to.equal(1);
    expect(state.listReloads).to.equal(0);
  });

  it('a deletion of an older message of a chat not loaded, with unread ones, asks for the list once', () => {
    const state = apply(
      loadedState(),
      events({ type: 'MessageDeleted', chat_id: 30, message_id: 2 }),
    );
    expect(state.chats.c30!.unread).to.equal(2); // until the list says
    expect(state.listReloads).to.equal(1);
  });

  it('an edit of the last message of a chat not loaded changes its preview', () => {
    const edited = {
      ...message(3, 30, BOB.id, 'better words'),
      edited_at: '2025-02-01T00:00:00.000Z',
    };
    const state = apply(loadedState(), events({ type: 'MessageEdited', message: edited }));
    expect(state.chats.c30!.lastMessage).to.include({ text: 'better words' });
    expect(state.chats.c30!.lastMessage!.edited_at).to.be.a('string');
  });
});

describe('tui reducer: chats this client never saw', () => {
  it('a group made with me in it (MembersChanged, everyone added) appears at once; one list read names it', () => {
    let state = apply(
      loadedState(),
      events({
        type: 'MembersChanged',
        chat_id: 77,
        group_id: 70,
        added: [ANN.id, ME.id, BOB.id],
        removed: [],
        owner_id: ANN.id,
      }),
    );
    expect(state.order[0]).to.equal('c77');
    expect(state.chats.c77).to.include({ isPlaceholder: true, ownerId: ANN.id });
    expect(state.chats.c77!.memberIds).to.deep.equal([ANN.id, ME.id, BOB.id]);
    expect(state.listReloads).to.equal(1);
    // Its first messages and a rename before the list lands ask for nothing more.
    state = apply(
      state,
      events(
        { type: 'Message', message: message(78, 77, ANN.id, 'welcome') },
        { type: 'Message', message: message(79, 77, BOB.id, 'hi') },
        { type: 'ChatUpdated', chat_id: 77, group_id: 70, name: 'Party' },
      ),
    );
    expect(state.listReloads).to.equal(1);
    expect(state.chats.c77).to.include({ title: 'Party', unread: 2 });
  });

  it('a burst of messages for an unknown chat asks for the list once', () => {
    const state = apply(
      loadedState(),
      events(
        { type: 'Message', message: message(90, 99, ANN.id) },
        { type: 'Message', message: message(91, 99, ANN.id) },
      ),
    );
    expect(state.listReloads).to.equal(1);
    expect(state.chats.c99).to.include({ isPlaceholder: true, unread: 2 });
  });

  it('a reconnect itself asks for nothing: the connection state changes, nothing else', () => {
    const state = apply(
      loadedState(),
      events({ type: 'State', state: 'open' }),
      events({ type: 'State', state: 'reconnecting' }),
      events({ type: 'State', state: 'open' }),
    );
    expect(state.listReloads).to.equal(0);
    expect(state.chats).to.deep.equal(loadedState().chats);
  });
});

/**
 * What the screen is made of: the list and what each chat holds, as both ways must agree.
 * Whether other people's messages are read by all is not mine to know (`Read` goes to the
 * sender only) and never shown: only my messages' `is_read` (the ticks) counts.
 */
function shown(state: State) {
  const norm = (m: Message | undefined) =>
    m && {
      ...m,
      is_read: m.sender_id === ME.id ? m.is_read : undefined,
      reactions: [...m.reactions].sort(
        (a, b) => b.count - a.count || a.emoji.localeCompare(b.emoji),
      ),
    };
  return {
    order: state.order,
    openKey: state.openKey,
    chats: state.order.map((key) => {
      const c = state.chats[key]!;
      return {
        key,
        kind: c.kind,
        title: c.title,
        groupId: c.groupId,
        ownerId: c.ownerId,
        peerUserId: c.peerUserId,
        memberIds: [...c.memberIds].sort((a, b) => a - b),
        unread: c.unread,
        isPlaceholder: c.isPlaceholder ?? false,
        lastMessage: norm(c.lastMessage),
        isLoaded: c.isLoaded,
        messages: c.messages.map(norm),
      };
    }),
  };
}

/** The TUI started against the model now: the list, then each of `opened`'s newest page (the last stays open). */
function load(model: LogModel, opened: number[]): State {
  let state = apply(
    initialState(),
    { type: 'sessionReady', hosts: ['http://h'] },
    { type: 'loaded', me: ME, chats: model.summaries(), position: '1' },
  );
  for (const chatId of opened) {
    const key = chatKey(chatId);
    state = apply(
      state,
      { type: 'open', key },
      { type: 'historyLoaded', key, messages: model.history(chatId), mode: 'latest', limit: 50 },
    );
  }
  return state;
}

/**
 * Me with Ann (read), a group "Team" Ann owns with Bob in it (read), Bob writing four messages
 * I have not read. Loaded, the TUI opens Team, then Ann's chat (Bob's stays unloaded).
 */
function world() {
  const model = new LogModel(ME, [ME, ANN, BOB, CAT]);
  const ann = model.direct(ANN.id);
  model.send(ann, ANN.id, 'hi');
  const hello = model.send(ann, ME.id, 'hello');
  const howAreYou = model.send(ann, ANN.id, 'how are you');
  model.read(ann, ME.id, howAreYou.id);
  const team = model.group('Team', ANN.id, [ME.id, BOB.id]);
  const welcome = model.send(team, ANN.id, 'welcome');
  const thanks = model.send(team, BOB.id, 'thanks');
  model.read(team, ME.id, thanks.id);
  const glad = model.send(team, ME.id, 'glad to be here');
  model.read(team, ANN.id, glad.id); // Bob has not read it: ✓ until he leaves
  const bob = model.direct(BOB.id);
  const fromBob = ['b1', 'b2', 'b3', 'b4'].map((text) => model.send(bob, BOB.id, text));
  model.drain();
  return { model, ann, team, bob, hello, howAreYou, welcome, fromBob, opened: [team, ann] };
}

describe('tui reducer: replayed events converge on a fresh load', () => {
  it('edits, deletions, reactions, reads here and elsewhere, a rename and members: equal to a fresh load, with no reload', () => {
    const { model, ann, team, bob, hello, howAreYou, welcome, fromBob, opened } = world();
    const before = load(model, opened);
    expect(before.chats[chatKey(bob)]!.unread).to.equal(4);

    // While the TUI was away:
    model.edit(howAreYou.id, 'how are you?'); // in the open chat
    model.read(ann, ANN.id, hello.id); // Ann reads mine: ✓✓
    model.send(ann, ME.id, 'sent from my phone');
    const news = model.send(team, BOB.id, 'news');
    model.send(team, BOB.id, 'more news');
    const third = model.send(team, BOB.id, 'even more');
    model.react(news.id, ANN.id, '👍');
    model.react(news.id, BOB.id, '👍');
    model.react(news.id, ME.id, '🎉'); // on my phone
    model.react(news.id, BOB.id, '👍', false);
    model.edit(welcome.id, 'welcome all');
    model.delete(welcome.id);
    model.delete(third.id); // one of my unread ones
    model.read(team, ME.id, news.id); // on my phone: one left unread
    model.rename(team, 'Team 2');
    model.add(team, [CAT.id]);
    model.remove(team, BOB.id);
    model.edit(fromBob[0]!.id, 'b1, edited'); // Bob's chat is not loaded
    model.react(fromBob[1]!.id, BOB.id, '👀');
    model.delete(fromBob[3]!.id); // its last message: the preview is a tombstone
    model.read(bob, ME.id, fromBob[2]!.id); // on my phone: nothing left unread

    const replayed = model.drain();
    // Bob's leaving made my message read by all: a Read with no reader.
    expect(replayed).to.deep.include({
      type: 'Read',
      chat_id: team,
      message_id: before.chats[chatKey(team)]!.lastMessage!.id,
      reader_ids: [],
    });
    expect(replayed.map((e) => e.type)).to.include.members([
      'MessageEdited',
      'Read',
      'Message',
      'Reaction',
      'MessageDeleted',
      'ReadMarker',
      'ChatUpdated',
      'MembersChanged',
    ]);
    const after = apply(before, events(...replayed));
    expect(shown(after)).to.deep.equal(shown(load(model, opened)));
    expect(after.listReloads).to.equal(0);
    expect(after.chats[chatKey(team)]).to.include({ title: 'Team 2', unread: 1 });
    expect(after.chats[chatKey(bob)]).to.include({ unread: 0 });
  });

  it('the same events one by one (each its own batch) end the same', () => {
    const { model, team, fromBob, opened } = world();
    const before = load(model, opened);
    const news = model.send(team, BOB.id, 'news');
    model.react(news.id, ANN.id, '🔥');
    model.delete(fromBob[3]!.id);
    model.read(team, ME.id, news.id);
    model.rename(team, 'Renamed');
    const after = model.drain().reduce((s, e) => apply(s, events(e)), before);
    expect(shown(after)).to.deep.equal(shown(load(model, opened)));
  });

  it('a group made with me in it while away: one list read, then equal to a fresh load', () => {
    const { model, opened } = world();
    const before = load(model, opened);
    const party = model.group('Party', CAT.id, [ME.id, ANN.id]);
    model.send(party, CAT.id, 'come over');
    model.rename(party, 'Party!');
    let after = apply(before, events(...model.drain()));
    expect(after.listReloads).to.equal(1);
    expect(after.order[0]).to.equal(chatKey(party));
    // What useChatRefresh does for it:
    after = apply(after, { type: 'chatsRefreshed', chats: model.summaries() });
    expect(shown(after)).to.deep.equal(shown(load(model, opened)));
  });

  it('removed from the open group while away: it goes, the pane closes, as a fresh load lists it', () => {
    const { model, ann, team } = world();
    const before = load(model, [ann, team]);
    model.send(team, ANN.id, 'bye, Me');
    model.remove(team, ME.id);
    model.send(team, ANN.id, 'said behind your back'); // never sent to me
    const after = apply(before, events(...model.drain()));
    expect(after.chats[chatKey(team)]).to.equal(undefined);
    expect(after.openKey).to.equal(undefined);
    expect(after.notice?.text).to.equal('You were removed from #Team');
    const fresh = load(model, [ann]);
    expect(shown(after).chats).to.deep.equal(shown(fresh).chats);
    expect(after.order).to.deep.equal(fresh.order);
  });

  it('PositionExpired: the changes are gone, the list and the open chat load again, equal to a fresh load', () => {
    const { model, ann, team, howAreYou, opened } = world();
    const before = load(model, opened);
    model.edit(howAreYou.id, 'lost edit');
    model.send(team, BOB.id, 'lost message');
    model.rename(team, 'Lost name');
    model.drain(); // older than the log keeps
    let after = apply(before, events({ type: 'PositionExpired' }));
    expect(after.listReloads).to.equal(1);
    // What useChatRefresh and useHistory do then:
    after = apply(
      after,
      { type: 'chatsRefreshed', chats: model.summaries() },
      {
        type: 'historyLoaded',
        key: chatKey(ann),
        messages: model.history(ann),
        mode: 'latest',
        limit: 50,
      },
    );
    expect(shown(after)).to.deep.equal(shown(load(model, [ann])));
  });
});
