/** Pure helpers over one chat and the chat order; the reducer composes them. */
import type { ChatSummary, Group, Message } from '@msgr/sdk';
import { EMPTY_FIELD } from './field.js';
import { namesMe } from './mentions.js';
import { countReply, isReply } from './messages.js';
import type { ChatNotifyLevel, ChatState, State } from './types.js';

export const chatKey = (chatId: number): string => `c${chatId}`;

/** Every message rings: the level of a chat the server has not said otherwise about. */
const ALL: ChatNotifyLevel = { level: 'all', mutedUntil: null };
export const draftKey = (userId: number): string => `u${userId}`;

export function emptyChat(key: string, kind: ChatState['kind'], title: string): ChatState {
  return {
    key,
    kind,
    title,
    memberIds: [],
    unread: 0,
    unreadMentions: 0,
    notify: ALL,
    messages: [],
    pending: [],
    isLoaded: false,
    isLoading: false,
    hasOlder: false,
    hasNewer: false,
    readPointer: 0,
    readByAllUpTo: 0,
    unreadAtOpen: 0,
    scroll: 0,
    draft: EMPTY_FIELD,
  };
}

/** A chat known only by id (a live message arrived for it); its title comes with the next refresh. */
export function placeholderChat(chatId: number): ChatState {
  return { ...emptyChat(chatKey(chatId), 'group', `chat ${chatId}`), chatId, isPlaceholder: true };
}

/** A direct chat with `userId` that the server creates on its first message. */
export function draftChat(userId: number, title: string): ChatState {
  return {
    ...emptyChat(draftKey(userId), 'direct', title),
    peerUserId: userId,
    memberIds: [userId],
  };
}

/** Merges a summary from `GET /chats` into what we hold (loaded messages and drafts stay). */
export function mergeSummary(existing: ChatState | undefined, summary: ChatSummary): ChatState {
  const base = existing ?? emptyChat(chatKey(summary.chat_id), summary.kind, summary.title);
  const last = newest(base.lastMessage, summary.last_message);
  return {
    ...base,
    chatId: summary.chat_id,
    kind: summary.kind,
    title: summary.title,
    groupId: summary.group_id,
    ownerId: summary.owner_id,
    peerUserId: summary.peer_user_id,
    memberIds: summary.member_ids,
    lastMessage: last,
    unread: summary.unread_count,
    unreadMentions: summary.unread_mentions ?? 0,
    notify: summary.notifications
      ? { level: summary.notifications.level, mutedUntil: summary.notifications.muted_until }
      : ALL,
    isPlaceholder: false,
  };
}

export function chatFromGroup(group: Group): ChatState {
  return {
    ...emptyChat(chatKey(group.chat_id), 'group', group.name),
    chatId: group.chat_id,
    groupId: group.group_id,
    ownerId: group.owner_id,
    memberIds: group.member_ids,
    isLoaded: true,
  };
}

function newest(a: Message | undefined, b: Message | undefined): Message | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.id >= a.id ? b : a;
}

/** Inserts messages by id (a message already held is replaced: the newer copy wins). */
export function mergeMessages(held: Message[], incoming: Message[]): Message[] {
  if (incoming.length === 0) return held;
  const byId = new Map(held.map((m) => [m.id, m]));
  for (const m of incoming) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/** Applies "my messages up to `upTo` are read by all" to a chat. */
export function applyReadByAll(chat: ChatState, meId: number | undefined, upTo: number): ChatState {
  const readByAllUpTo = Math.max(chat.readByAllUpTo, upTo);
  const mark = (m: Message): Message =>
    m.sender_id === meId && m.id <= readByAllUpTo && !m.is_read ? { ...m, is_read: true } : m;
  return {
    ...chat,
    readByAllUpTo,
    messages: chat.messages.map(mark),
    lastMessage: chat.lastMessage && mark(chat.lastMessage),
  };
}

/**
 * Adds one message (live, or the answer to our own send) to its chat. A live copy carries no
 * reactions and no thread summary (it is shared by every receiver): a message already held
 * keeps its counts. A reply new here moves its root's reply count. While the pane shows a
 * window in the middle of the history (`hasNewer`), the message waits for the pages in between.
 */
export function addMessage(chat: ChatState, message: Message, meId: number | undefined): ChatState {
  const known =
    chat.messages.find((m) => m.id === message.id) ??
    (chat.lastMessage?.id === message.id ? chat.lastMessage : undefined);
  const isMine = message.sender_id === meId;
  const isUnread = !isMine && !known && !message.deleted && message.id > chat.readPointer;
  const copy = known
    ? { ...message, reactions: known.reactions, thread: message.thread ?? known.thread }
    : message;
  const held = applyReadFlag(copy, chat, meId);
  // Older than the loaded pages (their start unknown): it comes with the older pages.
  const isOlder = chat.hasOlder && message.id < (chat.messages[0]?.id ?? 0);
  const isAppended = chat.isLoaded && (known !== undefined || (!chat.hasNewer && !isOlder));
  const next: ChatState = {
    ...chat,
    messages: isAppended ? mergeMessages(chat.messages, [held]) : chat.messages,
    lastMessage: newest(chat.lastMessage, held),
    unread: chat.unread + (isUnread ? 1 : 0),
    unreadMentions: chat.unreadMentions + (isUnread && namesMe(message, meId) ? 1 : 0),
  };
  return !known && isReply(message) && !message.deleted ? countReply(next, message) : next;
}

function applyReadFlag(message: Message, chat: ChatState, meId: number | undefined): Message {
  const isRead = message.sender_id === meId && message.id <= chat.readByAllUpTo;
  return isRead && !message.is_read ? { ...message, is_read: true } : message;
}

/** Unread messages after my pointer, counted over what is loaded. */
export function unreadAfter(chat: ChatState, pointer: number, meId: number | undefined): number {
  return chat.messages.filter((m) => m.id > pointer && m.sender_id !== meId && !m.deleted).length;
}

/** The first of the chat's `count` newest messages from others: the divider goes before it. */
export function dividerFor(
  chat: ChatState,
  meId: number | undefined,
  count: number,
): number | undefined {
  if (count <= 0) return undefined;
  let left = count;
  for (let i = chat.messages.length - 1; i >= 0; i--) {
    const m = chat.messages[i]!;
    if (m.sender_id === meId || m.deleted) continue;
    left--;
    if (left === 0) return m.id;
  }
  // Not all of them are loaded yet: the oldest loaded for now (placed again when older pages load).
  return chat.messages[0]?.id;
}

/** The chat list is out of date: it is read again, once more (see `State.listReloads`). */
export function wantChatList(state: State): State {
  return { ...state, listReloads: state.listReloads + 1 };
}

/** Puts `key` first in the order (a message just arrived or left). */
export function moveToFront(order: string[], key: string): string[] {
  if (order[0] === key) return order;
  return [key, ...order.filter((k) => k !== key)];
}

/** Replaces `from` by `to` in the state's keys (a draft chat got its server id). */
export function renameKey(
  state: State,
  from: string,
  to: string,
): Pick<State, 'order' | 'selectedKey' | 'openKey'> {
  const swap = (k: string | undefined): string | undefined => (k === from ? to : k);
  const order = state.order
    .map((k) => (k === from ? to : k))
    .filter((k, i, all) => all.indexOf(k) === i);
  return { order, selectedKey: swap(state.selectedKey), openKey: swap(state.openKey) };
}
