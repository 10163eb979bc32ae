/**
 * The wire shapes, derived from the generated OpenAPI types: a field renamed on the server is a
 * compile error here and in every consumer.
 */
import type { components } from './generated/openapi.js';

type Schemas = components['schemas'];

/** A message as the server sends it (snake_case, as on the wire). */
export type Message = Schemas['Message'];
/** A user: `{ id, email, name }`. */
export type User = Schemas['User'];
/** A group: `{ group_id, chat_id, name, creator_id, member_ids }`. */
export type Group = Schemas['Group'];
/** One entry of `chats()`: the chat, its title, its last message and unread count. */
export type ChatSummary = Schemas['ChatSummary'];
/** The answer of `login()` and `refresh()`. */
export type TokenPair = Schemas['TokenPair'];
/** The answer of `markRead()`: the caller's read pointer in that chat. */
export type ReadPointer = Schemas['ReadPointer'];
/** An RFC 9457 problem document, as the server answers errors. */
export type Problem = Schemas['Problem'];

/** A new message in a subscribed chat (never one sent by this very device). */
export interface MessageEvent {
  type: 'Message';
  message: Message;
}

/** Message `message_id` (and so every earlier message of yours in the chat) is read by all. */
export interface ReadEvent {
  type: 'Read';
  chat_id: number;
  message_id: number;
  reader_ids: number[];
}

/** Someone else in the chat is typing (ephemeral). */
export interface TypingEvent {
  type: 'Typing';
  chat_id: number;
  user_id: number;
}

/** Connection states of a subscription. */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** The subscription's connection changed state; `error` says why it is reconnecting. */
export interface StateEvent {
  type: 'State';
  state: ConnectionState;
  /** Which host the state refers to. */
  host?: string;
  error?: Error;
}

/** What `subscribe()` yields; `type` is the discriminant. */
export type SubscriptionEvent = MessageEvent | ReadEvent | TypingEvent | StateEvent;
