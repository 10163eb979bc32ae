export { Changes } from './changes.js';
export type { ChangesOptions } from './changes.js';
export { MessengerClient } from './client.js';
export type {
  DownloadOptions,
  HistoryOptions,
  MessengerClientOptions,
  SendOptions,
  SendResult,
  SendTarget,
  UploadOptions,
  UploadSource,
} from './options.js';
export { MessengerError } from './errors.js';
export type { MessengerErrorOptions } from './errors.js';
export type { OperationIdSource } from './operation-ids.js';
export { CloseCodes, ErrorCodes, Limits } from './generated/constants.js';
export { Subscription } from './subscription.js';
export type { SubscribeOptions, WebSocketInstance, WebSocketLike } from './subscription.js';
export { MemoryTokenStore } from './token-store.js';
export type { StoredTokens, TokenStore } from './token-store.js';
export type { RetryOptions, Strategy } from './transport.js';
export type {
  ChatSummary,
  ChangeEvent,
  ChatUpdatedEvent,
  ConnectionState,
  Download,
  FileObject,
  FilesConfig,
  Group,
  LoggedEvent,
  MembersChangedEvent,
  Message,
  MessageDeletedEvent,
  MessageEditedEvent,
  MessageEvent,
  PositionExpiredEvent,
  Problem,
  ReactionCount,
  ReactionEvent,
  Reactions,
  ReadEvent,
  ReadMarkerEvent,
  ReadPointer,
  StateEvent,
  SubscriptionEvent,
  SyncResult,
  TokenPair,
  TypingEvent,
  User,
} from './types.js';
export type { components, paths } from './generated/openapi.js';
