export { MessengerClient } from './client.js';
export type {
  HistoryOptions,
  MessengerClientOptions,
  SendOptions,
  SendResult,
  SendTarget,
} from './options.js';
export { MessengerError } from './errors.js';
export type { MessengerErrorOptions } from './errors.js';
export type { OperationIdSource } from './operation-ids.js';
export { CloseCodes, Subscription } from './subscription.js';
export type { SubscribeOptions, WebSocketInstance, WebSocketLike } from './subscription.js';
export { MemoryTokenStore } from './token-store.js';
export type { StoredTokens, TokenStore } from './token-store.js';
export type { RetryOptions, Strategy } from './transport.js';
export type {
  ChatSummary,
  ChatUpdatedEvent,
  ConnectionState,
  Group,
  MembersChangedEvent,
  Message,
  MessageDeletedEvent,
  MessageEditedEvent,
  MessageEvent,
  Problem,
  ReactionCount,
  ReactionEvent,
  Reactions,
  ReadEvent,
  ReadPointer,
  StateEvent,
  SubscriptionEvent,
  TokenPair,
  TypingEvent,
  User,
} from './types.js';
export type { components, paths } from './generated/openapi.js';
