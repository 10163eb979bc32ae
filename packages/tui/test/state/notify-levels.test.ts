import type { Message, SubscriptionEvent } from '@msgr/sdk';
import { expect } from 'chai';
import {
  effectiveLevel,
  levelLabel,
  nextLevel,
  notificationFor,
  ringsAt,
} from '../../src/state/notifications.js';
import type { State } from '../../src/state/types.js';
import { chatListItems } from '../../src/view/chat-list.js';
import { ANN, BOB, ME, apply, direct, group, live, message } from '../support/fixtures.js';
import { initialState } from '../../src/state/reducer.js';

const NOW = Date.UTC(2025, 0, 1, 12);
const LATER = new Date(NOW + 3600_000).toISOString();
const EARLIER = new Date(NOW - 1000).toISOString();

const naming = (m: Message, ...ids: number[]): Message => ({ ...m, mentions: ids });
const toAll = (m: Message): Message => ({ ...m, mention_all: true });

/** Ann (c10, all), Team (c20, mentions, 1 unread mention of 2), Quiet (c40, none). */
function levelsState(): State {
  const team = {
    ...group(20, 7, 'Team', message(4, 20, BOB.id), 2),
    unread_mentions: 1,
    notifications: { level: 'mentions' as const, muted_until: null },
  };
  const quiet = {
    ...group(40, 8, 'Quiet', message(6, 40, BOB.id), 3),
    notifications: { level: 'none' as const, muted_until: null },
  };
  return apply(
    initialState(),
    { type: 'sessionReady', hosts: ['http://h'] },
    { type: 'loaded', me: ME, chats: [direct(10, ANN, message(5, 10, ME.id)), team, quiet] },
  );
}

describe('tui notification levels', () => {
  it('keeps each chat’s level and unread mentions from the chat list', () => {
    const state = levelsState();
    expect(state.chats.c10!.notify).to.deep.equal({ level: 'all', mutedUntil: null });
    expect(state.chats.c20!.notify.level).to.equal('mentions');
    expect(state.chats.c20!.unreadMentions).to.equal(1);
    expect(state.chats.c40!.notify.level).to.equal('none');
  });

  it('rings per level: none never, mentions only for me or everyone, all for anything', () => {
    const plain = message(9, 20, BOB.id);
    expect(ringsAt('all', plain, ME.id)).to.equal(true);
    expect(ringsAt('mentions', plain, ME.id)).to.equal(false);
    expect(ringsAt('mentions', naming(plain, ANN.id), ME.id)).to.equal(false);
    expect(ringsAt('mentions', naming(plain, ME.id), ME.id)).to.equal(true);
    expect(ringsAt('mentions', toAll(plain), ME.id)).to.equal(true);
    expect(ringsAt('none', naming(toAll(plain), ME.id), ME.id)).to.equal(false);
  });

  it('a lapsed mute is all again (compared with the clock), one still running holds', () => {
    expect(effectiveLevel({ level: 'none', mutedUntil: LATER }, NOW)).to.equal('none');
    expect(effectiveLevel({ level: 'none', mutedUntil: EARLIER }, NOW)).to.equal('all');
    expect(effectiveLevel({ level: 'mentions', mutedUntil: EARLIER }, NOW)).to.equal('all');
    expect(effectiveLevel({ level: 'mentions', mutedUntil: null }, NOW)).to.equal('mentions');
    expect(levelLabel({ level: 'none', mutedUntil: null }, NOW)).to.equal('muted');
    expect(levelLabel({ level: 'none', mutedUntil: EARLIER }, NOW)).to.equal(undefined);
    expect(levelLabel({ level: 'mentions', mutedUntil: LATER }, NOW)).to.match(
      /^mentions only until \d\d:\d\d$/,
    );
    expect(['all', 'mentions', 'none'].map((l) => nextLevel(l as 'all'))).to.deep.equal([
      'mentions',
      'none',
      'all',
    ]);
  });

  it('decides the bell per chat level in a batch, with a lapsed mute ringing again', () => {
    const state = levelsState();
    const ring = (...events: SubscriptionEvent[]) => notificationFor(state, events, NOW);
    expect(ring(live(message(9, 20, BOB.id, 'plain')))).to.equal(undefined);
    expect(ring(live(naming(message(9, 20, BOB.id, 'hi @Me'), ME.id)))?.messageIds).to.deep.equal([
      9,
    ]);
    expect(ring(live(toAll(message(9, 20, BOB.id, 'hi @all'))))?.chatId).to.equal(20);
    expect(ring(live(naming(toAll(message(9, 40, BOB.id)), ME.id)))).to.equal(undefined);
    expect(ring(live(message(9, 10, ANN.id, 'hi')))?.messageIds).to.deep.equal([9]);
    // A burst: only what rings counts.
    const burst = ring(
      live(message(9, 40, BOB.id)),
      live(message(10, 20, BOB.id)),
      live(naming(message(11, 20, BOB.id, 'you'), ME.id)),
    );
    expect(burst).to.include({ count: 1, body: 'you' });
    // Muted until a time now past: rings as `all`.
    const lapsed = apply(state, {
      type: 'notifySet',
      chatId: 40,
      level: 'none',
      mutedUntil: EARLIER,
    });
    expect(notificationFor(lapsed, [live(message(9, 40, BOB.id))], NOW)?.chatId).to.equal(40);
    // A level changed in the same batch holds for the messages after it.
    const changed = ring(
      { type: 'NotificationsChanged', chat_id: 10, level: 'none', muted_until: null },
      live(message(9, 10, ANN.id)),
    );
    expect(changed).to.equal(undefined);
  });

  it('NotificationsChanged (another device of mine) and my own change update the chat', () => {
    let state = levelsState();
    state = apply(state, {
      type: 'events',
      now: NOW,
      events: [{ type: 'NotificationsChanged', chat_id: 10, level: 'none', muted_until: LATER }],
    });
    expect(state.chats.c10!.notify).to.deep.equal({ level: 'none', mutedUntil: LATER });
    state = apply(state, { type: 'notifySet', chatId: 10, level: 'all', mutedUntil: null });
    expect(state.chats.c10!.notify).to.deep.equal({ level: 'all', mutedUntil: null });
    // An unknown chat: nothing.
    const same = apply(state, {
      type: 'events',
      now: NOW,
      events: [{ type: 'NotificationsChanged', chat_id: 99, level: 'none', muted_until: null }],
    });
    expect(same.chats).to.deep.equal(state.chats);
  });

  it('counts unread mentions live and settles them when the chat is read', () => {
    let state = levelsState();
    state = apply(state, {
      type: 'events',
      now: NOW,
      events: [
        live(naming(message(9, 20, BOB.id), ME.id)),
        live(message(10, 20, BOB.id)),
        live(toAll(message(11, 20, ME.id))), // mine: not unread, names nobody of mine
      ],
    });
    expect(state.chats.c20!).to.include({ unread: 4, unreadMentions: 2 });
    state = apply(
      state,
      { type: 'open', key: 'c20' },
      {
        type: 'historyLoaded',
        key: 'c20',
        messages: [
          message(4, 20, BOB.id),
          naming(message(9, 20, BOB.id), ME.id),
          message(10, 20, BOB.id),
        ],
        mode: 'latest',
        limit: 50,
      },
      { type: 'markedRead', chatId: 20, messageId: 9 },
    );
    expect(state.chats.c20!).to.include({ unread: 1, unreadMentions: 0 });
  });

  it('the chat list shows @N and the level in effect', () => {
    const state = levelsState();
    const items = chatListItems(state, 10, NOW);
    const byKey = Object.fromEntries(items.map((i) => [i.key, i]));
    expect(byKey.c20).to.include({ mentions: 1, unread: 2, level: 'mentions' });
    expect(byKey.c40).to.include({ mentions: 0, unread: 3, level: 'none' });
    expect(byKey.c10).to.include({ level: 'all' });
  });
});
