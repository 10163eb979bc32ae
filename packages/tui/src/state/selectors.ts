/** Derived views of the state, computed where they are needed (never stored). */
import type { ChatState, State } from './types.js';

/** The chat list as shown: most recent first, or chats with unread messages first (stable). */
export function visibleOrder(state: State): string[] {
  if (state.sort === 'recent') return state.order;
  const unread = state.order.filter((k) => (state.chats[k]?.unread ?? 0) > 0);
  const rest = state.order.filter((k) => (state.chats[k]?.unread ?? 0) === 0);
  return [...unread, ...rest];
}

export function openChat(state: State): ChatState | undefined {
  return state.openKey === undefined ? undefined : state.chats[state.openKey];
}

/** The next chat after the selection (wrapping) with unread messages. */
export function nextUnreadKey(state: State): string | undefined {
  const order = visibleOrder(state);
  const start = state.selectedKey === undefined ? -1 : order.indexOf(state.selectedKey);
  for (let step = 1; step <= order.length; step++) {
    const key = order[(start + step + order.length) % order.length]!;
    if ((state.chats[key]?.unread ?? 0) > 0) return key;
  }
  return undefined;
}

/**
 * A user's display name: known users, then direct chat titles, then `user #id` (until a lookup
 * by id, see `unnamedUserIds`, brings the name).
 */
export function userName(state: State, userId: number): string {
  if (userId === state.me?.id) return 'You';
  const user = state.users[userId];
  if (user) return user.name;
  for (const key of state.order) {
    const chat = state.chats[key];
    if (chat?.kind === 'direct' && chat.peerUserId === userId) return chat.title;
  }
  return `user #${userId}`;
}

/** Whether a user is known to be a bot (`is_bot` of a user lookup). */
export function isBot(state: State, userId: number): boolean {
  return state.users[userId]?.is_bot === true;
}

/**
 * The people on screen, or about to be, whose names are not known (ascending): the senders and
 * members of the open chat (members are what `@` offers), the senders of every chat's last
 * message (notifications name them), whoever is typing, the thread pane's senders, and the
 * people a dialog lists.
 */
export function unnamedUserIds(state: State): number[] {
  const ids = new Set<number>();
  const chat = openChat(state);
  for (const m of chat?.messages ?? []) ids.add(m.sender_id);
  for (const id of chat?.memberIds ?? []) ids.add(id);
  for (const key of state.order) {
    const last = state.chats[key]?.lastMessage;
    if (last) ids.add(last.sender_id);
  }
  for (const t of state.typing) ids.add(t.userId);
  for (const m of state.thread?.chat.messages ?? []) ids.add(m.sender_id);
  // The dialogs name people too: a group's members, the senders of found messages.
  const dialog = state.dialog;
  if (dialog?.kind === 'members')
    for (const id of state.chats[dialog.key]?.memberIds ?? []) ids.add(id);
  if (dialog?.kind === 'search') for (const m of dialog.results) ids.add(m.sender_id);
  if (dialog?.kind === 'threads') for (const t of dialog.results) ids.add(t.root.sender_id);
  const named = new Set<number>();
  for (const key of state.order) {
    const c = state.chats[key];
    if (c?.kind === 'direct' && c.peerUserId !== undefined) named.add(c.peerUserId);
  }
  return [...ids]
    .filter((id) => id !== state.me?.id && !state.users[id] && !named.has(id))
    .sort((a, b) => a - b);
}

/** Names of the people typing in `chatId` now. */
export function typingNames(state: State, chatId: number | undefined, now: number): string[] {
  if (chatId === undefined) return [];
  return state.typing
    .filter((t) => t.chatId === chatId && t.until > now)
    .map((t) => userName(state, t.userId));
}

export function totalUnread(state: State): number {
  return state.order.reduce((sum, k) => sum + (state.chats[k]?.unread ?? 0), 0);
}

export interface MemberEntry {
  id: number;
  name: string;
  isOwner: boolean;
  isMe: boolean;
}

/** A group's members as the panel lists them: the owner first, then by name. */
export function memberList(state: State, key: string): MemberEntry[] {
  const chat = state.chats[key];
  if (!chat) return [];
  const entries = chat.memberIds.map((id) => ({
    id,
    name: id === state.me?.id ? `${state.me.name} (you)` : userName(state, id),
    isOwner: id === chat.ownerId,
    isMe: id === state.me?.id,
  }));
  return entries.sort(
    (a, b) =>
      Number(b.isOwner) - Number(a.isOwner) ||
      a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }) ||
      a.id - b.id,
  );
}

/** Am I the owner of group chat `key`? */
export function isOwnerOf(state: State, key: string | undefined): boolean {
  const chat = key === undefined ? undefined : state.chats[key];
  return chat?.kind === 'group' && chat.ownerId !== undefined && chat.ownerId === state.me?.id;
}
