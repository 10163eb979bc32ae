export { Changes } from './changes.js';
export type { ChangesOptions } from './changes.js';
export { MessengerClient } from './client.js';
export type {
  DownloadOptions,
  HistoryOptions,
  MessengerClientOptions,
  PageOptions,
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
export { verifyWebhook } from './verify-webhook.js';
export type { WebhookEvent, WebhookHeaders } from './verify-webhook.js';
export type { SubscribeOptions, WebSocketInstance, WebSocketLike } from './subscription.js';
export { MemoryTokenStore } from './token-store.js';
export type { StoredTokens, TokenStore } from './token-store.js';
export type { HedgeOptions, RetryOptions, Strategy, TransportStats } from './transport.js';
export type {
  ApiToken,
  Bot,
  Hook,
  NewApiToken,
  NewBot,
  NewHook,
  NewWebhook,
  Scope,
  Webhook,
  WebhookDelivery,
  ChatSummary,
  ChangeEvent,
  ChatNotifications,
  ChatUpdatedEvent,
  ConnectionState,
  Download,
  FileObject,
  FilesConfig,
  FollowedThread,
  Group,
  LoggedEvent,
  MembersChangedEvent,
  Message,
  MessageDeletedEvent,
  MessageEditedEvent,
  MessageEvent,
  NotificationsChangedEvent,
  NotifyLevel,
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
  ThreadPointer,
  ThreadSummary,
  TokenPair,
  TypingEvent,
  UnreadTotals,
  User,
} from './types.js';
export type { components, paths } from './generated/openapi.js';
