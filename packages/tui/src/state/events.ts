/**
 * Folding a batch of subscription events into the state (one dispatch per burst). Live and
 * replayed events (after a reconnect the subscription replays every change missed, in order,
 * once) take the same path: applied in order, they leave what a fresh `GET /chats` and history
 * would show, without reloading; where the held messages cannot settle an unread count, or a
 * chat is known only by id, the chat list is read again once (`listReloads`).
 */
import type { Message, SubscriptionEvent } from '@msgr/sdk';
import {
  addMessage,
  applyReadByAll,
  chatKey,
  moveToFront,
  placeholderChat,
  wantChatList,
} from './chats.js';
import { chatRenamed, membersChanged } from './membership.js';
import { applyDelete, applyEdit, applyReaction } from './messages.js';
import { inThreadPane } from './threads.js';
import type { ChatState, State } from './types.js';
import { applyReadMarker, unreadAfterDelete } from './unread.js';

/** How long a `Typing` event shows "… is typing". */
export const TYPING_SHOWS_MS = 5000;

export function applyEvents(state: State, events: SubscriptionEvent[], now: number): State {
  let next = state;
  for (const event of events) next = applyEvent(next, event, now);
  return next;
}

/** Changes chat `chatId` if we hold it (events of chats we do not know change nothing). */
function inChat(state: State, chatId: number, change: (chat: ChatState) => ChatState): State {
  const key = chatKey(chatId);
  const chat = state.chats[key];
  if (!chat) return state;
  const next = change(chat);
  return next === chat ? state : { ...state, chats: { ...state.chats, [key]: next } };
}

/** As `inChat`, and the same change to the thread pane when it shows a thread of that chat. */
function inChatAndThread(
  state: State,
  chatId: number,
  change: (chat: ChatState) => ChatState,
): State {
  return inThreadPane(inChat(state, chatId, change), chatId, change);
}

function applyEvent(state: State, event: SubscriptionEvent, now: number): State {
  const meId = state.me?.id;
  switch (event.type) {
    case 'Message':
      return applyMessage(state, event.message);
    case 'Read':
      return inChatAndThread(state, event.chat_id, (c) =>
        applyReadByAll(c, meId, event.message_id),
      );
    case 'Typing': {
      if (event.user_id === meId) return state;
      const others = state.typing.filter(
        (t) => !(t.chatId === event.chat_id && t.userId === event.user_id),
      );
      return {
        ...state,
        typing: [
          ...others,
          { chatId: event.chat_id, userId: event.user_id, until: now + TYPING_SHOWS_MS },
        ],
      };
    }
    case 'State':
      return {
        ...state,
        connection: event.state,
        hasConnected: state.hasConnected || event.state === 'open',
      };
    case 'MessageEdited':
      return inChatAndThread(state, event.message.chat_id, (c) => applyEdit(c, event.message));
    case 'MessageDeleted': {
      const chat = state.chats[chatKey(event.chat_id)];
      const next = inChatAndThread(state, event.chat_id, (c) =>
        applyDelete(c, event.message_id, meId),
      );
      const isSettled = !chat || unreadAfterDelete(chat, event.message_id, meId) !== undefined;
      return isSettled ? next : wantChatList(next);
    }
    case 'Reaction':
      return inChatAndThread(state, event.chat_id, (c) => applyReaction(c, event, meId));
    case 'MembersChanged':
      return membersChanged(state, event);
    case 'ChatUpdated':
      return chatRenamed(state, event.chat_id, event.name);
    case 'ReadMarker': {
      let isSettled = true;
      const next = inChat(state, event.chat_id, (c) => {
        const marked = applyReadMarker(c, event.message_id, meId);
        isSettled = marked.isSettled;
        return marked.chat;
      });
      return isSettled ? next : wantChatList(next);
    }
    case 'PositionExpired':
      return positionExpired(state);
    case 'NotificationsChanged':
      // Changed on another device of mine: what rings here follows.
      return inChat(state, event.chat_id, (c) => ({
        ...c,
        notify: { level: event.level, mutedUntil: event.muted_until },
      }));
  }
}

/**
 * The subscription's position was older than the server keeps its log: what changed meanwhile
 * is gone. Every chat's messages load afresh (the open one at once, the others when opened)
 * and the chat list is read again; drafts, unsent messages and the read pointers stay.
 */
function positionExpired(state: State): State {
  const chats = { ...state.chats };
  for (const [key, c] of Object.entries(chats)) {
    if (c.chatId === undefined || (!c.isLoaded && c.jumpTo === undefined)) continue;
    chats[key] = {
      ...c,
      messages: [],
      isLoaded: false,
      hasOlder: false,
      hasNewer: false,
      jumpTo: undefined,
      loadError: undefined,
      // Placed again from the chat's count as its newest page lands.
      dividerBeforeId: undefined,
      unreadAtOpen: c.unread,
    };
  }
  // The thread pane loads afresh too (its root stays on screen meanwhile).
  const thread = state.thread && {
    ...state.thread,
    chat: {
      ...state.thread.chat,
      messages: state.thread.chat.messages.filter((m) => m.id === state.thread!.rootId),
      isLoaded: false,
      hasOlder: false,
      loadError: undefined,
    },
  };
  return wantChatList({ ...state, chats, thread });
}

/**
 * A message from the socket, or the answer to our own send: same path, deduplicated by id. A
 * reply of the thread the pane shows joins it there too.
 */
export function applyMessage(state: State, message: Message): State {
  const key = chatKey(message.chat_id);
  const known = state.chats[key];
  const chat = known ?? placeholderChat(message.chat_id);
  const typing = state.typing.filter(
    (t) => !(t.chatId === message.chat_id && t.userId === message.sender_id),
  );
  const next: State = {
    ...(known ? state : wantChatList(state)),
    chats: { ...state.chats, [key]: addMessage(chat, message, state.me?.id) },
    order: moveToFront(state.order, key),
    selectedKey: state.selectedKey ?? key,
    typing: typing.length === state.typing.length ? state.typing : typing,
  };
  const rootId = state.thread?.rootId;
  const isOfThread =
    rootId !== undefined && (message.thread_id === rootId || message.id === rootId);
  // Joined even while the thread's history is on its way (a page that left it out would lose
  // it; one that has it merges by id).
  const joined = (c: ChatState): ChatState => ({
    ...addMessage({ ...c, isLoaded: true }, message, state.me?.id),
    isLoaded: c.isLoaded,
  });
  return isOfThread ? inThreadPane(next, message.chat_id, joined) : next;
}
