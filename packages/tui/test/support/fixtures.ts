/** Builders for the TUI's tests: wire objects, Ink key events, a loaded state. */
import type { ChatSummary, Message, SubscriptionEvent, User } from '@msgr/sdk';
import type { Key } from 'ink';
import { initialState, reducer } from '../../src/state/reducer.js';
import type { Action, State } from '../../src/state/types.js';

export const ME = { id: 1, email: 'me@test.com', name: 'Me', is_bot: false } satisfies User;
export const ANN = { id: 2, email: 'ann@test.com', name: 'Ann', is_bot: false } satisfies User;
export const BOB = { id: 3, email: 'bob@test.com', name: 'Bob', is_bot: false } satisfies User;

export function message(
  id: number,
  chatId: number,
  senderId: number,
  text = `m${id}`,
  isRead = false,
): Message {
  return {
    id,
    chat_id: chatId,
    sender_id: senderId,
    text,
    timestamp: new Date(Date.UTC(2025, 0, 1, 12, 0, id % 60)).toISOString(),
    is_read: isRead,
    edited_at: null,
    deleted: false,
    reply_to: null,
    reactions: [],
    attachments: [],
    mentions: [],
    mention_all: false,
    thread_id: null,
    thread: null,
  };
}

export function direct(chatId: number, peer: User, last?: Message, unread = 0): ChatSummary {
  return {
    chat_id: chatId,
    kind: 'direct',
    title: peer.name,
    peer_user_id: peer.id,
    member_ids: [ME.id, peer.id],
    last_message: last,
    unread_count: unread,
    unread_mentions: 0,
    notifications: { level: 'all', muted_until: null },
  };
}

export function group(
  chatId: number,
  groupId: number,
  name: string,
  last?: Message,
  unread = 0,
): ChatSummary {
  return {
    chat_id: chatId,
    kind: 'group',
    title: name,
    group_id: groupId,
    member_ids: [ME.id, ANN.id, BOB.id],
    last_message: last,
    unread_count: unread,
    unread_mentions: 0,
    notifications: { level: 'all', muted_until: null },
  };
}

export const live = (m: Message): SubscriptionEvent => ({ type: 'Message', message: m });

/** Folds actions over a state. */
export function apply(state: State, ...actions: Action[]): State {
  return actions.reduce(reducer, state);
}

/**
 * Me, Ann and Bob; chats most recent first: Ann (c10, last m5), a group (c20, last m4),
 * Bob (c30, last m3, 2 unread).
 */
export function loadedState(): State {
  const chats = [
    direct(10, ANN, message(5, 10, ME.id)),
    group(20, 7, 'Team', message(4, 20, BOB.id)),
    direct(30, BOB, message(3, 30, BOB.id), 2),
  ];
  return apply(
    initialState(),
    { type: 'sessionReady', hosts: ['http://h'] },
    { type: 'loaded', me: ME, chats },
  );
}

export function key(overrides: Partial<Key> = {}): Key {
  return {
    upArrow: false,
    downArrow: false,
    leftArrow: false,
    rightArrow: false,
    pageDown: false,
    pageUp: false,
    home: false,
    end: false,
    return: false,
    escape: false,
    ctrl: false,
    shift: false,
    tab: false,
    backspace: false,
    delete: false,
    meta: false,
    super: false,
    hyper: false,
    capsLock: false,
    numLock: false,
    ...overrides,
  };
}
