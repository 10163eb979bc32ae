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
/** A user: `{ id, email, name, is_bot }`; a bot's `email` is null. */
export type User = Schemas['User'];
/** A group: `{ group_id, chat_id, name, creator_id, owner_id, member_ids }`. */
export type Group = Schemas['Group'];
/** One entry of `chats()`: the chat, its title, its last message and unread count. */
export type ChatSummary = Schemas['ChatSummary'];
/** The answer of `login()` and `refresh()`. */
export type TokenPair = Schemas['TokenPair'];
/** The answer of `markRead()`: the caller's read pointer in that chat. */
export type ReadPointer = Schemas['ReadPointer'];
/**
 * A notification level: `'all'`, `'mentions'` (only messages that mention you or everyone) or
 * `'none'`.
 */
export type NotifyLevel = Schemas['NotifyLevel'];
/**
 * The answer of `setNotifications()`: `{ chat_id, level, muted_until }`, your level in that chat
 * as it is now; `muted_until` is when it lapses back to `'all'` by itself, or null.
 */
export type ChatNotifications = Schemas['ChatNotifications'];
/**
 * A thread root's summary (`message.thread`): `{ reply_count, last_reply_at, last_reply_id,
 * participant_ids }`, counting its non-deleted replies; null on a message that never had one.
 */
export type ThreadSummary = NonNullable<Message['thread']>;
/** One entry of `followedThreads()`: `{ root, unread_count }` (others' replies past your pointer). */
export type FollowedThread = Schemas['FollowedThread'];
/** The answer of `markThreadRead()`: `{ root_id, last_read_message_id }`. */
export type ThreadPointer = Schemas['ThreadPointer'];
/** The answer of `unread()`: `{ chats, messages, mentions }`, what a badge shows. */
export type UnreadTotals = Schemas['UnreadTotals'];
/** An RFC 9457 problem document, as the server answers errors. */
export type Problem = Schemas['Problem'];
/** One emoji on a message: `{ emoji, count, me }`; `me` is true when you are one of them. */
export type ReactionCount = Schemas['ReactionCount'];
/** The answer of `react()` and `unreact()`: `{ message_id, reactions }`, most used first. */
export type Reactions = Schemas['Reactions'];
/**
 * An uploaded file: `{ id, name, size, content_type, sha256, created_at, uploader_id, image }`.
 * `id` is an opaque string; `content_type` is what the server found the bytes to be;
 * `image` is `{ width, height }` for PNG, JPEG, GIF and WebP images, else null.
 */
export type FileObject = Schemas['File'];
/**
 * The answer of `filesConfig()`: `{ upload_max_bytes, attachments_per_message, quota_bytes,
 * used_bytes }` (`quota_bytes` 0: no quota).
 */
export type FilesConfig = Schemas['FilesConfig'];

/** What {@link MessengerClient.download} resolves to: the bytes as they arrive, and what they are. */
export interface Download {
  /** The bytes, streamed: read it to the end or cancel it (it holds a connection meanwhile). */
  body: ReadableStream<Uint8Array>;
  /** 200 for the whole file, 206 for the range asked for. */
  status: 200 | 206;
  /** Bytes in this answer (the range's length for a 206); -1 when the answer did not say. */
  size: number;
  /** Bytes in the whole file; -1 when the answer did not say. */
  totalSize: number;
  /** What the server found the bytes to be (`application/octet-stream` when unknown). */
  contentType: string;
  /** The file's name, from `Content-Disposition` (`filename*`); undefined when absent. */
  name: string | undefined;
  /** The sha256 of the whole file (hex), from its `ETag`; '' when absent. */
  sha256: string;
}

/**
 * A logged frame as an event: the server's frame less its place in the log (`seq`, `mark`),
 * which is the business of the subscription's or the iterator's `position`.
 */
type Event<Frame> = Omit<Frame, 'seq' | 'mark'>;

/** A new message in a chat of yours (never one sent by this very device). */
export type MessageEvent = Event<Schemas['MessageFrame']>;

/**
 * To the sender only: message `message_id` (and so every earlier message of yours in the chat)
 * is read by all; `reader_ids` are those whose read completed it (empty when a member left).
 */
export type ReadEvent = Event<Schemas['ReadFrame']>;

/**
 * Your own read pointer in `chat_id` moved up to `message_id` on another of your devices: the
 * chat's unread count is the messages after it that are not yours.
 */
export type ReadMarkerEvent = Event<Schemas['ReadMarkerFrame']>;

/**
 * Your notification level in `chat_id` changed on another of your devices: `level` and
 * `muted_until` as they are now (at `muted_until` the level is `'all'` again, with no event).
 */
export type NotificationsChangedEvent = Event<Schemas['NotificationsChangedFrame']>;

/** Someone else in the chat is typing (ephemeral: never replayed). */
export type TypingEvent = Schemas['TypingFrame'];

/**
 * A group's members changed (`added`, `removed`, and its `owner_id` now); also when a group is
 * created (everyone added). The one that adds you is your first event of that chat, the one
 * that removes you your last.
 */
export type MembersChangedEvent = Event<Schemas['MembersChangedFrame']>;

/** A group was renamed: its `name` now. */
export type ChatUpdatedEvent = Event<Schemas['ChatUpdatedFrame']>;

/**
 * A message was edited: `message` as it was after this edit (`edited_at` set; its `reactions`
 * are `[]` in events, keep the ones you have).
 */
export type MessageEditedEvent = Event<Schemas['MessageEditedFrame']>;

/** A message became a tombstone (deleted: no text, no reactions). */
export type MessageDeletedEvent = Event<Schemas['MessageDeletedFrame']>;

/** `user_id` added (`added: true`) or took back (`added: false`) `emoji` on a message. */
export type ReactionEvent = Event<Schemas['ReactionFrame']>;

/**
 * Your position was older than the server keeps its log: the events in between are gone.
 * Reload what you show (chats, the open chat's history); the stream goes on from now.
 */
export type PositionExpiredEvent = Schemas['PositionExpiredFrame'];

/** Every kind of logged change: what `sync()` answers and what resuming replays. */
export type LoggedEvent =
  | MessageEvent
  | ReadEvent
  | ReadMarkerEvent
  | NotificationsChangedEvent
  | MembersChangedEvent
  | ChatUpdatedEvent
  | MessageEditedEvent
  | MessageDeletedEvent
  | ReactionEvent;

/** What `changes()` yields: every logged change, or word that the position expired. */
export type ChangeEvent = LoggedEvent | PositionExpiredEvent;

/** The answer of `sync()`: the events after your position, and your position after them. */
export interface SyncResult {
  events: LoggedEvent[];
  /** Pass it to the next `sync()`, to `changes()` or to `subscribe()`; keep it across restarts. */
  position: string;
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
export type SubscriptionEvent = LoggedEvent | TypingEvent | PositionExpiredEvent | StateEvent;

/** An API token's scope: `read` (GET, sockets, sync) or `write` (every change). */
export type Scope = Schemas['Scope'];
/** An API token as listed: `{ id, name, scopes, created_at, expires_at, last_used_at }`. */
export type ApiToken = Schemas['ApiToken'];
/** The answer of `createToken()`: the token with its text (`token`, `msgr_pat_…`), shown once. */
export type NewApiToken = Schemas['NewApiToken'];
/** A bot: `{ user, owner_id, created_at }` (`user.is_bot` is true). */
export type Bot = Schemas['Bot'];
/** The answer of `createBot()`: the bot with its first API token (`token`), shown once. */
export type NewBot = Schemas['NewBot'];
/** An incoming webhook: `{ id, chat_id, name, bot_id, creator_id, created_at }`. */
export type Hook = Schemas['Hook'];
/** The answer of `createHook()`: the hook with its secret URL (`url`, relative), shown once. */
export type NewHook = Schemas['NewHook'];
/** An outgoing webhook: where it delivers, what, its state and position. */
export type Webhook = Schemas['Webhook'];
/** The answer of `createWebhook()`: the webhook with its signing secret (`secret`, `whsec_…`). */
export type NewWebhook = Schemas['NewWebhook'];
/** One attempt of an outgoing webhook's delivery: status, duration, error. */
export type WebhookDelivery = Schemas['WebhookDelivery'];
