/**
 * The wire shapes, derived from the generated OpenAPI types: a field renamed on the server is a
 * compile error here and in every consumer. The socket events are the server's frame components
 * (`components['schemas']['ReadFrame']` …), so a frame changed on the server changes them too.
 */
import type { components } from './generated/openapi.js';

type Schemas = components['schemas'];

/**
 * A message as the server sends it (snake_case, as on the wire): `edited_at` (null until
 * edited), `deleted` (a tombstone: empty `text`, no reactions), `reply_to` (the message it
 * answers, or null) and `reactions` (most used first).
 */
export type Message = Schemas['Message'];
/** A user: `{ id, email, name }`. */
export type User = Schemas['User'];
/** A group: `{ group_id, chat_id, name, creator_id, owner_id, member_ids }`. */
export type Group = Schemas['Group'];
/** One entry of `chats()`: the chat, its title, its last message and unread count. */
export type ChatSummary = Schemas['ChatSummary'];
/** The answer of `login()` and `refresh()`. */
export type TokenPair = Schemas['TokenPair'];
/** The answer of `markRead()`: the caller's read pointer in that chat. */
export type ReadPointer = Schemas['ReadPointer'];
/** An RFC 9457 problem document, as the server answers errors. */
export type Problem = Schemas['Problem'];
/** One emoji on a message: `{ emoji, count, me }`; `me` is true when you are one of them. */
export type ReactionCount = Schemas['ReactionCount'];
/** The answer of `react()` and `unreact()`: `{ message_id, reactions }`, most used first. */
export type Reactions = Schemas['Reactions'];

/**
 * A new message in a subscribed chat (never one sent by this very device). The server's frame
 * less its stream `mark`: resume positions are the subscription's business.
 */
export type MessageEvent = Omit<Schemas['MessageFrame'], 'mark'>;

/** Message `message_id` (and so every earlier message of yours in the chat) is read by all. */
export type ReadEvent = Schemas['ReadFrame'];

/** Someone else in the chat is typing (ephemeral). */
export type TypingEvent = Schemas['TypingFrame'];

/**
 * A group's members changed (`added`, `removed`, and its `owner_id` now). A removed user gets
 * it too, as the last event of that chat.
 */
export type MembersChangedEvent = Schemas['MembersChangedFrame'];

/** A group was renamed: its `name` now. */
export type ChatUpdatedEvent = Schemas['ChatUpdatedFrame'];

/** A message was edited: `message` is its current state (`edited_at` set). */
export type MessageEditedEvent = Schemas['MessageEditedFrame'];

/** A message became a tombstone (deleted: no text, no reactions). */
export type MessageDeletedEvent = Schemas['MessageDeletedFrame'];

/** `user_id` added (`added: true`) or took back (`added: false`) `emoji` on a message. */
export type ReactionEvent = Schemas['ReactionFrame'];

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
export type SubscriptionEvent =
  | MessageEvent
  | ReadEvent
  | TypingEvent
  | MembersChangedEvent
  | ChatUpdatedEvent
  | MessageEditedEvent
  | MessageDeletedEvent
  | ReactionEvent
  | StateEvent;
