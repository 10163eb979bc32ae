/** Folding a batch of subscription events into the state (one dispatch per burst). */
import type { Message, SubscriptionEvent } from '@msgr/sdk';
import { addMessage, applyReadByAll, chatKey, moveToFront, placeholderChat } from './chats.js';
import { chatRenamed, membersChanged } from './membership.js';
import { applyDelete, applyEdit, applyReaction } from './messages.js';
import type { ChatState, State } from './types.js';

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

function applyEvent(state: State, event: SubscriptionEvent, now: number): State {
  const meId = state.me?.id;
  switch (event.type) {
    case 'Message':
      return applyMessage(state, event.message);
    case 'Read':
      return inChat(state, event.chat_id, (c) => applyReadByAll(c, meId, event.message_id));
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
      return inChat(state, event.message.chat_id, (c) => applyEdit(c, event.message));
    case 'MessageDeleted':
      return inChat(state, event.chat_id, (c) => applyDelete(c, event.message_id, meId));
    case 'Reaction':
      return inChat(state, event.chat_id, (c) => applyReaction(c, event, meId));
    case 'MembersChanged':
      return membersChanged(state, event);
    case 'ChatUpdated':
      return chatRenamed(state, event.chat_id, event.name);
    case 'ReadMarker':
    case 'PositionExpired':
      return state;
  }
}

/** A message from the socket, or the answer to our own send: same path, deduplicated by id. */
export function applyMessage(state: State, message: Message): State {
  const key = chatKey(message.chat_id);
  const chat = state.chats[key] ?? placeholderChat(message.chat_id);
  const typing = state.typing.filter(
    (t) => !(t.chatId === message.chat_id && t.userId === message.sender_id),
  );
  return {
    ...state,
    chats: { ...state.chats, [key]: addMessage(chat, message, state.me?.id) },
    order: moveToFront(state.order, key),
    selectedKey: state.selectedKey ?? key,
    typing: typing.length === state.typing.length ? state.typing : typing,
  };
}
