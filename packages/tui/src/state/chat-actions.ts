/** The reducer's cases that move chats around: opening, pages, sends, new chats. Pure. */
import type { ChatSummary, Message, User } from '@msgr/sdk';
import {
  chatFromGroup,
  chatKey,
  dividerFor,
  draftChat,
  mergeMessages,
  mergeSummary,
  moveToFront,
  renameKey,
} from './chats.js';
import { applyMessage } from './events.js';
import type { Action, ChatState, State } from './types.js';

export function updateChat(
  state: State,
  key: string,
  change: (chat: ChatState) => ChatState,
): State {
  const chat = state.chats[key];
  if (!chat) return state;
  return { ...state, chats: { ...state.chats, [key]: change(chat) } };
}

/** The server's list, in its order; chats that exist only here (drafts) stay on top. */
export function withSummaries(state: State, summaries: ChatSummary[]): State {
  const chats = { ...state.chats };
  for (const s of summaries) chats[chatKey(s.chat_id)] = mergeSummary(chats[chatKey(s.chat_id)], s);
  const fromServer = summaries.map((s) => chatKey(s.chat_id));
  const onlyHere = state.order.filter(
    (k) => !fromServer.includes(k) && (k.startsWith('u') || state.chats[k]?.isPlaceholder),
  );
  return { ...state, chats, order: [...onlyHere, ...fromServer] };
}

export function open(state: State, key: string): State {
  const chat = state.chats[key];
  if (!chat) return state;
  let chats = state.chats;
  const previous = state.openKey === undefined ? undefined : chats[state.openKey];
  if (previous && previous.key !== key) {
    chats = {
      ...chats,
      [previous.key]: {
        ...previous,
        dividerBeforeId: undefined,
        scroll: 0,
        selectedId: undefined,
        pickerIndex: undefined,
        attachmentIndex: undefined,
        jumpTo: undefined,
      },
    };
  }
  const opened: ChatState = {
    ...chat,
    scroll: 0,
    selectedId: undefined,
    pickerIndex: undefined,
    attachmentIndex: undefined,
    loadError: undefined,
    unreadAtOpen: chat.unread,
    dividerBeforeId: chat.isLoaded ? dividerFor(chat, state.me?.id, chat.unread) : undefined,
  };
  return {
    ...state,
    chats: { ...chats, [key]: opened },
    openKey: key,
    selectedKey: key,
    // A thread pane belongs to its chat: another chat opening closes it; its own chat opening
    // again gives it the keys (on a narrow terminal it covers the chat's input).
    focus: state.thread?.key === key ? 'thread' : 'input',
    thread: state.thread?.key === key ? state.thread : undefined,
  };
}

/**
 * Opens the chat at a message (a search result): highlighted at once when it is loaded with
 * the newest page; else the history around it loads first (`jumpTo`, see `historyAround`).
 */
export function openAt(state: State, chatId: number, messageId: number): State {
  const key = chatKey(chatId);
  if (!state.chats[key]) return state;
  const opened = open({ ...state, dialog: undefined, thread: undefined }, key);
  const chat = opened.chats[key]!;
  const isHeld = chat.isLoaded && chat.messages.some((m) => m.id === messageId);
  const next: ChatState = {
    ...chat,
    selectedId: messageId,
    jumpTo: isHeld ? undefined : messageId,
    dividerBeforeId: undefined,
  };
  return { ...opened, chats: { ...opened.chats, [key]: next }, focus: 'messages' };
}

/** The window around a found message replaces what was loaded; pages fill in both ways. */
export function historyAround(
  state: State,
  action: Extract<Action, { type: 'historyAround' }>,
): State {
  return updateChat(state, action.key, (c) => {
    const messages = mergeMessages(action.older, action.newer);
    const isHeld = messages.some((m) => m.id === action.messageId);
    const newest = messages[messages.length - 1];
    return {
      ...c,
      messages,
      lastMessage:
        newest && (!c.lastMessage || newest.id >= c.lastMessage.id) ? newest : c.lastMessage,
      isLoaded: true,
      isLoading: false,
      hasOlder: action.older.length >= action.limit,
      hasNewer: action.newer.length >= action.limit,
      jumpTo: undefined,
      selectedId: isHeld ? action.messageId : c.selectedId,
      dividerBeforeId: undefined,
      scroll: 0,
    };
  });
}

export function historyLoaded(
  state: State,
  action: Extract<Action, { type: 'historyLoaded' }>,
): State {
  return updateChat(state, action.key, (c) => {
    // A newest page (one asked for before a jump) would leave a gap after a window in the
    // middle: the window fills in up to the newest with its own pages.
    if (action.mode === 'latest' && c.hasNewer) return { ...c, isLoading: false };
    const isFullPage = action.messages.length >= action.limit;
    const messages = mergeMessages(c.messages, action.messages).map((m) =>
      m.sender_id === state.me?.id && m.id <= c.readByAllUpTo ? { ...m, is_read: true } : m,
    );
    const newest = messages[messages.length - 1];
    const next: ChatState = {
      ...c,
      messages,
      lastMessage:
        newest && (!c.lastMessage || newest.id >= c.lastMessage.id) ? newest : c.lastMessage,
      isLoaded: true,
      isLoading: false,
      hasOlder: action.mode === 'older' || !c.isLoaded ? isFullPage : c.hasOlder,
      hasNewer: action.mode === 'newer' ? isFullPage : c.hasNewer,
    };
    // Placed from the count at opening (reading since must not move it); placed again only
    // while it sits on the oldest loaded message, where older pages may hold the real place.
    const isOpen = state.openKey === action.key;
    const isProvisional =
      c.dividerBeforeId === undefined || c.dividerBeforeId === c.messages[0]?.id;
    if (!isOpen || !isProvisional) return next;
    return { ...next, dividerBeforeId: dividerFor(next, state.me?.id, c.unreadAtOpen) };
  });
}

export function sendSucceeded(state: State, key: string, localId: number, message: Message): State {
  const chat = state.chats[key];
  if (!chat) return applyMessage(state, message);
  const pending = chat.pending.filter((p) => p.localId !== localId);
  const realKey = chatKey(message.chat_id);
  if (key === realKey)
    return applyMessage(
      updateChat(state, key, (c) => ({ ...c, pending })),
      message,
    );
  // A draft direct chat: the server made the chat; carry the draft over to it.
  const others = { ...state.chats };
  delete others[key];
  const existing = others[realKey];
  const moved: ChatState = existing
    ? { ...existing, pending: [...existing.pending, ...pending], draft: chat.draft }
    : { ...chat, key: realKey, chatId: message.chat_id, pending, isLoaded: true };
  const next: State = {
    ...state,
    chats: { ...others, [realKey]: moved },
    ...renameKey(state, key, realKey),
  };
  return applyMessage(next, message);
}

export function startDirect(state: State, user: User): State {
  const users = { ...state.users, [user.id]: user };
  const existing = state.order.find((k) => {
    const c = state.chats[k];
    return c?.kind === 'direct' && c.peerUserId === user.id;
  });
  const base: State = { ...state, users, dialog: undefined };
  if (existing) return open(base, existing);
  const chat = { ...draftChat(user.id, user.name), isLoaded: true };
  return open(
    { ...base, chats: { ...base.chats, [chat.key]: chat }, order: [chat.key, ...base.order] },
    chat.key,
  );
}

export function groupCreated(
  state: State,
  action: Extract<Action, { type: 'groupCreated' }>,
): State {
  const key = chatKey(action.group.chat_id);
  const chat = state.chats[key] ?? chatFromGroup(action.group);
  const chats = { ...state.chats, [key]: chat };
  return open({ ...state, chats, order: moveToFront(state.order, key), dialog: undefined }, key);
}
