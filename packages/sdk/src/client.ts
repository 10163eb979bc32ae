/**
 * `MessengerClient`, the SDK's one public class. Over 500 lines on purpose: the public surface
 * is one class (style §9), and most of it is a documented method per operation, each a few lines
 * of request over the shared plumbing at the end (tokens, refresh, operation ids). What could
 * live elsewhere does: options in options.ts, typed paths in endpoint.ts, HTTP in transport.ts,
 * sockets in subscription.ts, uploads in upload.ts and upload-source.ts, downloads in download.ts.
 */
import { Changes, type ChangesOptions, type SyncAnswer } from './changes.js';
import { byteRange, downloadOf } from './download.js';
import { route, type Endpoint } from './endpoint.js';
import { MessengerError } from './errors.js';
import { OperationIds, type OperationIdSource } from './operation-ids.js';
import { Subscription, type SubscribeOptions, type WebSocketLike } from './subscription.js';
import { MemoryTokenStore, type StoredTokens, type TokenStore } from './token-store.js';
import {
  isReplayed,
  Transport,
  type Answer,
  type RequestSpec,
  type TransportStats,
} from './transport.js';
import type { components } from './generated/openapi.js';
import type {
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
import { subjectOf } from './token-claims.js';
import { uploadFile } from './upload.js';
import { prepareSource } from './upload-source.js';
import type {
  ChatNotifications,
  ChatSummary,
  Download,
  FileObject,
  FilesConfig,
  FollowedThread,
  Group,
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
  Message,
  NotifyLevel,
  ReadPointer,
  Reactions,
  SyncResult,
  ThreadPointer,
  TokenPair,
  UnreadTotals,
  User,
} from './types.js';

type Body<Name extends keyof components['schemas']> = components['schemas'][Name];

/** Refresh a little before the access token expires, so requests rarely meet a 401. */
const REFRESH_MARGIN_MS = 30_000;
const MAX_CONFLICT_RETRIES = 5;

/**
 * The msgr client: REST calls and live subscriptions across one or more server instances.
 *
 * @example
 * const client = new MessengerClient({ hosts: ['http://a:8000', 'http://b:8000'], strategy: 'hedge' });
 * await client.login({ email: 'test1@test.com', password: 'test', clientId: 'laptop' });
 * const message = await client.sendToUser(2, 'hello');
 * for await (const event of client.subscribe()) if (event.type === 'Message') console.log(event.message.text);
 */
export class MessengerClient {
  private readonly transport: Transport;
  private readonly tokenStore: TokenStore;
  private readonly operationIds: OperationIdSource;
  private readonly WebSocketClass: WebSocketLike | undefined;
  /** An API token given to the constructor: sent as it is, never refreshed. */
  private readonly apiToken: string | undefined;
  private refreshing: Promise<string> | undefined;
  /** The user id `me()` answered since the last login, for tokens without a readable `sub`. */
  private myIdOfLogin: Promise<number> | undefined;

  constructor(options: MessengerClientOptions = {}) {
    const hosts = (options.hosts ?? ['http://127.0.0.1:8000']).map((h) => h.replace(/\/+$/, ''));
    if (hosts.length === 0) throw new MessengerError(0, 'invalid_options', 'hosts is empty');
    for (const h of hosts) {
      if (!/^https?:\/\/[^/]+/.test(h)) {
        throw new MessengerError(0, 'invalid_options', `not an http(s) URL: ${h}`);
      }
    }
    const hedge = {
      minDelayMs: options.hedge?.minDelayMs ?? 10,
      maxDelayMs: options.hedge?.maxDelayMs ?? 1000,
    };
    if (!(hedge.minDelayMs >= 0 && hedge.minDelayMs <= hedge.maxDelayMs)) {
      const detail = `hedge delays must satisfy 0 <= minDelayMs <= maxDelayMs (${hedge.minDelayMs}, ${hedge.maxDelayMs})`;
      throw new MessengerError(0, 'invalid_options', detail);
    }
    this.transport = new Transport({
      hosts,
      strategy: options.strategy ?? 'failover',
      timeoutMs: options.timeoutMs ?? 10_000,
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      retry: {
        attempts: options.retry?.attempts ?? Math.max(3, hosts.length * 2),
        baseDelayMs: options.retry?.baseDelayMs ?? 100,
        maxDelayMs: options.retry?.maxDelayMs ?? 2000,
        maxRetryAfterMs: options.retry?.maxRetryAfterMs ?? 5000,
      },
      hedge,
    });
    this.tokenStore = options.tokenStore ?? new MemoryTokenStore();
    this.operationIds =
      options.operationIds ?? new OperationIds((options.idempotencyWindowSeconds ?? 300) * 1000);
    this.WebSocketClass = options.WebSocket;
    this.apiToken = options.token;
  }

  /** The hosts this client talks to. */
  get hosts(): readonly string[] {
    return this.transport.hosts;
  }

  /**
   * What this client has sent so far, a snapshot: `requests` (HTTP requests, every try and every
   * copy; uploads' and subscriptions' not included) and `hedged` (the extra copies of
   * `strategy: 'hedge'`, sent while another was still waiting for its answer).
   * @example
   * const before = client.stats;
   * await client.sendToUser(2, 'hi');
   * console.log(client.stats.hedged - before.hedged); // 0 unless the first host was slow
   */
  get stats(): TransportStats {
    return this.transport.stats;
  }

  // --- auth ---

  /** Logs in and keeps the tokens (refreshed transparently). `clientId` names this device. */
  async login(input: {
    email: string;
    password: string;
    clientId?: string;
    signal?: AbortSignal;
  }): Promise<TokenPair> {
    const pair = await this.call<TokenPair>({
      ...route('POST', '/login'),
      body: {
        email: input.email,
        password: input.password,
        client_id: input.clientId,
      } satisfies Body<'LoginJson'>,
      retry: 'unsent',
      mayRace: false,
      signal: input.signal,
      isPublic: true,
    });
    this.myIdOfLogin = undefined;
    await this.keep(pair);
    return pair;
  }

  /** Trades the refresh token for a new pair now (the client also does this by itself). */
  async refresh(): Promise<TokenPair> {
    const tokens = await this.tokenStore.get();
    if (!tokens) throw notLoggedIn();
    return this.refreshWith(tokens.refreshToken);
  }

  /** Revokes this device's refresh tokens on the server and forgets the tokens. */
  async logout(options: { signal?: AbortSignal } = {}): Promise<void> {
    try {
      await this.call({
        ...route('POST', '/logout'),
        retry: 'idempotent',
        mayRace: false,
        signal: options.signal,
      });
    } finally {
      this.myIdOfLogin = undefined;
      await this.tokenStore.set(undefined);
    }
  }

  /** Creates an account (it does not log in). */
  register(input: {
    email: string;
    name: string;
    password: string;
    signal?: AbortSignal;
  }): Promise<User> {
    return this.call<User>({
      ...route('POST', '/register'),
      body: {
        email: input.email,
        name: input.name,
        password: input.password,
      } satisfies Body<'RegisterRequest'>,
      retry: 'unsent',
      mayRace: false,
      signal: input.signal,
      isPublic: true,
    });
  }

  // --- reading ---

  /** The logged-in user. */
  me(options: { signal?: AbortSignal } = {}): Promise<User> {
    return this.get<User>(route('GET', '/me'), {}, options.signal);
  }

  /**
   * Users whose email or name starts with `query` (case-insensitive; `limit` 1..100, default
   * 20), or, with `ids` (at most 100), those users by id — unknown ids are left out.
   * @example const [alice] = await client.users({ ids: [message.sender_id] });
   */
  async users(
    options: { query?: string; ids?: number[]; limit?: number; signal?: AbortSignal } = {},
  ): Promise<User[]> {
    const ids = options.ids?.map((value) => {
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new MessengerError(0, 'invalid_argument', `not a valid user id: ${String(value)}`);
      }
      return value;
    });
    if (ids && ids.length === 0) return [];
    return await this.get<User[]>(
      route('GET', '/users'),
      { query: options.query, ids: ids?.join(','), limit: options.limit },
      options.signal,
    );
  }

  /** Your chats, most recent activity first, with unread counts and last messages. */
  chats(options: { signal?: AbortSignal } = {}): Promise<ChatSummary[]> {
    return this.get<ChatSummary[]>(route('GET', '/chats'), {}, options.signal);
  }

  /** A group you are a member of. */
  async group(groupId: number, options: { signal?: AbortSignal } = {}): Promise<Group> {
    return await this.get<Group>(
      route('GET', '/groups/{group_id}', { group_id: groupId }),
      {},
      options.signal,
    );
  }

  /** One page of a chat's history, ascending by id. */
  async history(chatId: number, options: HistoryOptions = {}): Promise<Message[]> {
    return await this.get<Message[]>(
      route('GET', '/history/{chat_id}', { chat_id: chatId }),
      {
        after: options.after,
        before: options.before,
        limit: options.limit,
        thread_id: options.threadId,
        top_level: options.topLevel === undefined ? undefined : String(options.topLevel),
      },
      options.signal,
    );
  }

  /**
   * One message of a chat of yours, as history shows it (a quoted `reply_to`, a thread's root).
   * @example const root = await client.message(reply.thread_id!);
   */
  async message(messageId: number, options: { signal?: AbortSignal } = {}): Promise<Message> {
    return await this.get<Message>(
      route('GET', '/messages/{message_id}', { message_id: messageId }),
      {},
      options.signal,
    );
  }

  /**
   * The messages that name you (in `mentions`, or everyone with `mention_all`, by someone
   * else), newest first, never deleted ones, only in chats you are in. `before`: a message id
   * (the last one of the previous page).
   * @example const latest = await client.mentions({ limit: 20 });
   */
  async mentions(options: PageOptions = {}): Promise<Message[]> {
    return await this.get<Message[]>(
      route('GET', '/mentions'),
      { before: options.before, limit: options.limit },
      options.signal,
    );
  }

  /**
   * A chat's threads: its roots with replies, latest reply first (`thread.last_reply_id`);
   * `before` is a `last_reply_id`. A thread's replies: `history(chatId, { threadId })`.
   * @example for (const root of await client.threads(chatId)) console.log(root.text, root.thread?.reply_count);
   */
  async threads(chatId: number, options: PageOptions = {}): Promise<Message[]> {
    return await this.get<Message[]>(
      route('GET', '/chats/{chat_id}/threads', { chat_id: chatId }),
      { before: options.before, limit: options.limit },
      options.signal,
    );
  }

  /**
   * The threads you follow (started, replied in, named in, or followed by hand), latest reply
   * first, each with its count of others' replies past your pointer in it; with `unread`, only
   * those with some. `before` is a `last_reply_id`.
   * @example for (const t of await client.followedThreads({ unread: true })) console.log(t.root.text, t.unread_count);
   */
  async followedThreads(
    options: PageOptions & { unread?: boolean } = {},
  ): Promise<FollowedThread[]> {
    return await this.get<FollowedThread[]>(
      route('GET', '/threads'),
      {
        unread: options.unread === undefined ? undefined : String(options.unread),
        before: options.before,
        limit: options.limit,
      },
      options.signal,
    );
  }

  /** The followed threads with unread replies: `followedThreads({ unread: true })`. */
  unreadThreads(options: PageOptions = {}): Promise<FollowedThread[]> {
    return this.followedThreads({ ...options, unread: true });
  }

  /**
   * What a badge shows: chats with something unread, unread messages and unread mentions of
   * you, each chat counted at its notification level (`none` counts nothing, `mentions` only its
   * mentions).
   * @example const { chats, messages, mentions } = await client.unread();
   */
  unread(options: { signal?: AbortSignal } = {}): Promise<UnreadTotals> {
    return this.get<UnreadTotals>(route('GET', '/me/unread'), {}, options.signal);
  }

  /**
   * Every message of a chat after `after` (default: from the start), page by page
   * (`pageSize` 1..100, default 100); with `topLevel`, no thread replies; with `threadId`, only
   * that thread (its root and replies), as {@link MessengerClient.history} filters a page.
   * @example for await (const m of client.iterateHistory(chatId)) console.log(m.text);
   * @example for await (const m of client.iterateHistory(chatId, { topLevel: true })) show(m);
   */
  async *iterateHistory(
    chatId: number,
    options: Pick<HistoryOptions, 'after' | 'threadId' | 'topLevel' | 'signal'> & {
      pageSize?: number;
    } = {},
  ): AsyncGenerator<Message, void, undefined> {
    let after = options.after ?? 0;
    const limit = options.pageSize ?? 100;
    const { threadId, topLevel, signal } = options;
    for (;;) {
      const page = await this.history(chatId, { after, limit, threadId, topLevel, signal });
      yield* page;
      if (page.length < limit) return;
      after = page[page.length - 1]!.id;
    }
  }

  /**
   * Messages of your chats (or of `chatId` only) in which every word of `q` starts a word of
   * the text, case-insensitive, in any language; newest first, never deleted ones. One page:
   * `limit` 1..100 (default 20), `before` a message id (the last one of the previous page).
   * @example const hits = await client.search('deploy fail', { chatId: 3, limit: 10 });
   */
  async search(
    q: string,
    options: { chatId?: number; before?: number; limit?: number; signal?: AbortSignal } = {},
  ): Promise<Message[]> {
    return await this.get<Message[]>(
      route('GET', '/search'),
      { q, chat_id: options.chatId, before: options.before, limit: options.limit },
      options.signal,
    );
  }

  /**
   * Every match of `q` (see {@link MessengerClient.search}), newest first, page by page
   * (`pageSize` 1..100, default 100; each page asks for the ids below the last one).
   * @example for await (const m of client.iterateSearch('invoice')) console.log(m.id, m.text);
   */
  async *iterateSearch(
    q: string,
    options: { chatId?: number; pageSize?: number; signal?: AbortSignal } = {},
  ): AsyncGenerator<Message, void, undefined> {
    const limit = options.pageSize ?? 100;
    let before: number | undefined;
    for (;;) {
      const page = await this.search(q, {
        chatId: options.chatId,
        before,
        limit,
        signal: options.signal,
      });
      yield* page;
      if (page.length < limit) return;
      before = page[page.length - 1]!.id;
    }
  }

  // --- writing ---

  /**
   * Writes to a user (`{ userId }`: the direct chat is created on the first message) or a group
   * (`{ groupId }`), exactly once across hosts, and says whether the server answered with an
   * earlier message of the same operation id instead (`isReplay`) and which id was used.
   * `attachments` are ids of your uploads ({@link MessengerClient.upload}); with them `text` may
   * be ''.
   *
   * @example
   * const { message, isReplay } = await client.send({ groupId: 3 }, 'deploy done', { operationId: 42 });
   * if (isReplay) console.log(`already sent as message ${message.id}`);
   * const file = await client.upload('./chart.png');
   * await client.send({ userId: 2 }, '', { attachments: [file.id] });
   */
  async send(target: SendTarget, text: string, options: SendOptions = {}): Promise<SendResult> {
    const path =
      'groupId' in target
        ? route('POST', '/messages/group/{group_id}', { group_id: target.groupId })
        : route('POST', '/messages/user/{user_id}', { user_id: target.userId });
    return await this.post(path, text, options);
  }

  /** Writes to a user (the direct chat is created on first message). Exactly once, across hosts. */
  async sendToUser(userId: number, text: string, options: SendOptions = {}): Promise<Message> {
    return (await this.send({ userId }, text, options)).message;
  }

  /** Writes to a group. Exactly once, across hosts. */
  async sendToGroup(groupId: number, text: string, options: SendOptions = {}): Promise<Message> {
    return (await this.send({ groupId }, text, options)).message;
  }

  /**
   * Creates a group; you are always a member. With `idempotencyKey` the call is safe to repeat
   * (the same key within the server's window answers the same group, on any host); without
   * one it is tried again only when no host received it.
   */
  createGroup(input: {
    name: string;
    participantUserIds: number[];
    idempotencyKey?: string;
    signal?: AbortSignal;
  }): Promise<Group> {
    const hasKey = input.idempotencyKey !== undefined;
    return this.call<Group>({
      ...route('POST', '/group'),
      body: {
        name: input.name,
        participant_user_ids: input.participantUserIds,
      } satisfies Body<'CreateGroupRequest'>,
      ...(hasKey ? { headers: { 'idempotency-key': input.idempotencyKey! } } : {}),
      retry: hasKey ? 'idempotent' : 'unsent',
      mayRace: hasKey,
      signal: input.signal,
    });
  }

  /**
   * Adds people to a group you own (else 403 `not_group_owner`); ids already in it are ignored,
   * and an unknown one (404 `user_not_found`) adds nobody. Resolves to the group now.
   * @example const group = await client.addMembers(3, [7, 8]);
   */
  async addMembers(
    groupId: number,
    userIds: number[],
    options: { signal?: AbortSignal } = {},
  ): Promise<Group> {
    return await this.call<Group>({
      ...route('POST', '/groups/{group_id}/members', { group_id: groupId }),
      body: { user_ids: userIds } satisfies Body<'AddMembersRequest'>,
      // Adding who is already there changes nothing: safe to repeat.
      retry: 'idempotent',
      mayRace: false,
      signal: options.signal,
    });
  }

  /**
   * Removes someone from a group: the owner removes anyone, a member only themselves (see
   * {@link MessengerClient.leaveGroup}). Not a member → 404 `member_not_found`.
   * @example await client.removeMember(3, 7);
   */
  async removeMember(
    groupId: number,
    userId: number,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    await this.call<void>({
      ...route('DELETE', '/groups/{group_id}/members/{user_id}', {
        group_id: groupId,
        user_id: userId,
      }),
      // A repeat after a lost answer would meet 404 member_not_found for a removal that worked.
      retry: 'unsent',
      mayRace: false,
      signal: options.signal,
    });
  }

  /**
   * Leaves a group (removes the logged-in user; when the owner leaves, the earliest member
   * becomes owner). From then on the chat is gone from `chats()` and its events stop.
   * @example await client.leaveGroup(3);
   */
  async leaveGroup(groupId: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.removeMember(groupId, await this.myId(options.signal), options);
  }

  /**
   * Renames a group you own (else 403 `not_group_owner`); resolves to the group now.
   * @example await client.renameGroup(3, 'Ops (night shift)');
   */
  async renameGroup(
    groupId: number,
    name: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<Group> {
    return await this.call<Group>({
      ...route('PATCH', '/groups/{group_id}', { group_id: groupId }),
      body: { name } satisfies Body<'RenameGroupRequest'>,
      retry: 'idempotent',
      mayRace: false,
      signal: options.signal,
    });
  }

  /**
   * Follows a thread of one of your chats (you follow threads you start, reply in or are named
   * in by yourself); idempotent.
   * @example await client.followThread(rootId);
   */
  async followThread(rootId: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.call<void>({
      ...route('PUT', '/threads/{root_id}/follow', { root_id: rootId }),
      retry: 'idempotent',
      mayRace: false,
      signal: options.signal,
    });
  }

  /**
   * Stops following a thread, for good: later replies or mentions in it do not make you follow
   * it again (only {@link MessengerClient.followThread} does). Idempotent.
   */
  async unfollowThread(rootId: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.call<void>({
      ...route('DELETE', '/threads/{root_id}/follow', { root_id: rootId }),
      retry: 'idempotent',
      mayRace: false,
      signal: options.signal,
    });
  }

  /**
   * Moves your read pointer inside a thread up to `messageId` (its root or one of its replies);
   * never back. Resolves to the pointer.
   * @example await client.markThreadRead(rootId, lastReply.id);
   */
  async markThreadRead(
    rootId: number,
    messageId: number,
    options: { signal?: AbortSignal } = {},
  ): Promise<ThreadPointer> {
    return await this.call<ThreadPointer>({
      ...route('POST', '/threads/{root_id}/read', { root_id: rootId }),
      body: { message_id: messageId } satisfies Body<'ThreadReadRequest'>,
      retry: 'idempotent',
      mayRace: true,
      signal: options.signal,
    });
  }

  /** Marks `messageId` and every earlier message of its chat read (a read pointer). */
  async markRead(messageId: number, options: { signal?: AbortSignal } = {}): Promise<ReadPointer> {
    return await this.call<ReadPointer>({
      ...route('POST', '/messages/read/{message_id}', { message_id: messageId }),
      retry: 'idempotent',
      mayRace: true,
      signal: options.signal,
    });
  }

  /**
   * Sets how much of a chat you want to hear of — `'all'`, `'mentions'` (only messages that
   * mention you or everyone) or `'none'` — kept on the server, so every device of yours agrees
   * (the others get a `NotificationsChanged` event). With `until` (a `Date` or an RFC 3339
   * time, ahead by at most a year; not with `'all'`) the level holds until then and is `'all'`
   * again after, by itself; without it, until changed. Resolves to the level as it is now. The
   * same level again changes nothing. Not a member: 403 `chat_forbidden`.
   * @example
   * await client.setNotifications(chatId, 'none', { until: new Date(Date.now() + 8 * 3600_000) });
   * await client.setNotifications(chatId, 'mentions');
   * const { level, muted_until } = await client.setNotifications(chatId, 'all');
   */
  async setNotifications(
    chatId: number,
    level: NotifyLevel,
    options: { until?: Date | string; signal?: AbortSignal } = {},
  ): Promise<ChatNotifications> {
    const { until } = options;
    if (until instanceof Date && Number.isNaN(until.getTime())) {
      throw new MessengerError(0, 'invalid_argument', 'until is an invalid Date');
    }
    return await this.call<ChatNotifications>({
      ...route('PUT', '/chats/{chat_id}/notifications', { chat_id: chatId }),
      body: {
        level,
        until: until instanceof Date ? until.toISOString() : until,
      } satisfies Body<'SetNotificationsRequest'>,
      // Setting the same level again changes nothing: safe to repeat.
      retry: 'idempotent',
      mayRace: false,
      signal: options.signal,
    });
  }

  /**
   * Replaces the text of your message (else 403 `not_message_sender`; a deleted one → 409
   * `message_deleted`) and, when given, who it names (`mentions`, `mentionAll`; left out:
   * unchanged); resolves to the message with `edited_at` set. The same message again changes
   * nothing.
   * @example const edited = await client.editMessage(m.id, 'hello, fixed', { mentions: [7] });
   */
  async editMessage(
    messageId: number,
    text: string,
    options: { mentions?: number[]; mentionAll?: boolean; signal?: AbortSignal } = {},
  ): Promise<Message> {
    return await this.call<Message>({
      ...route('PATCH', '/messages/{message_id}', { message_id: messageId }),
      body: {
        text,
        mentions: options.mentions,
        mention_all: options.mentionAll,
      } satisfies Body<'EditMessageRequest'>,
      retry: 'idempotent',
      mayRace: false,
      signal: options.signal,
    });
  }

  /**
   * Deletes a message, yours or (as the group's owner) anyone's; it stays as a tombstone
   * (`deleted: true`, empty text, no reactions). Deleting it again is fine; it cannot be undone.
   * @example await client.deleteMessage(m.id);
   */
  async deleteMessage(messageId: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.call<void>({
      ...route('DELETE', '/messages/{message_id}', { message_id: messageId }),
      retry: 'idempotent',
      mayRace: false,
      signal: options.signal,
    });
  }

  /**
   * Adds your `emoji` (1..16 characters, no whitespace) to a message; again changes nothing.
   * Resolves to the message's reactions as you see them. At most 20 different emoji per
   * message (422 `too_many_reactions`).
   * @example const { reactions } = await client.react(m.id, '👍');
   */
  async react(
    messageId: number,
    emoji: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<Reactions> {
    return await this.reaction('PUT', messageId, emoji, options.signal);
  }

  /**
   * Takes your `emoji` back from a message (not there: nothing changes); resolves to its
   * reactions as you see them.
   * @example await client.unreact(m.id, '👍');
   */
  async unreact(
    messageId: number,
    emoji: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<Reactions> {
    return await this.reaction('DELETE', messageId, emoji, options.signal);
  }

  /**
   * The members other than its sender who have read a message (their read pointer is at or
   * past it). Members of its chat only.
   * @example const { reader_ids } = await client.readers(m.id);
   */
  async readers(
    messageId: number,
    options: { signal?: AbortSignal } = {},
  ): Promise<{ message_id: number; reader_ids: number[] }> {
    return await this.get(
      route('GET', '/messages/{message_id}/readers', { message_id: messageId }),
      {},
      options.signal,
    );
  }

  // --- files ---

  /**
   * Uploads a file and resolves to it (`FileObject`); attach it with `send(…, { attachments:
   * [file.id] })`. `source`: a path (Node), a `Blob`, bytes, or a stream with `options.size`.
   * Resumable (tus at `/uploads`): a request cut at any byte goes on from what the server kept,
   * on the next host when this one is down. Over the server's limit: 413 `payload_too_large`;
   * past your quota: 413 `quota_exceeded` (see {@link MessengerClient.filesConfig}).
   *
   * @example
   * const file = await client.upload('./report.pdf', {
   *   onProgress: (sent, total) => console.error(`${Math.round((100 * sent) / total)} %`),
   * });
   * await client.sendToGroup(3, 'the report', { attachments: [file.id] });
   */
  async upload(source: UploadSource, options: UploadOptions = {}): Promise<FileObject> {
    const prepared = await prepareSource(source, options);
    const fileId = await uploadFile(
      {
        hosts: this.transport.hosts,
        firstHost: this.transport.preferredIndex,
        retry: this.transport.retry,
        timeoutMs: this.transport.timeoutMs,
        accessToken: () => this.accessToken(),
        refresh: (stale) => this.refreshAfterRejection(stale),
        prefer: (host) => this.transport.prefer(host),
      },
      prepared,
      {
        onProgress: options.onProgress,
        signal: options.signal,
        idempotencyKey: options.idempotencyKey,
      },
    );
    return await this.fileInfo(fileId, { signal: options.signal });
  }

  /**
   * A file's bytes, streamed, or bytes `start`..`end` of it (inclusive, a 206): yours, or one
   * attached to a message of a chat of yours, else 404 `file_not_found`; a range past its end:
   * 416 `range_not_satisfiable`. Tried on the next host until the bytes start coming; then a body
   * silent for `timeoutMs` errors with `timeout` (resume with `start`).
   *
   * @example
   * const { body, name } = await client.download(file.id);
   * await pipeline(Readable.fromWeb(body), fs.createWriteStream(name ?? 'download'));
   * const head = await client.download(file.id, { start: 0, end: 1023 }); // the first KiB
   */
  async download(fileId: string, options: DownloadOptions = {}): Promise<Download> {
    const range = byteRange(options.start, options.end);
    const answer = await this.answer({
      ...route('GET', '/files/{file_id}', { file_id: fileId }),
      headers: range === undefined ? undefined : { range },
      responseType: 'stream',
      retry: 'idempotent',
      // Racing would download the file from every host.
      mayRace: false,
      signal: options.signal,
    });
    return downloadOf(answer, this.transport.timeoutMs);
  }

  /**
   * A file's description (name, size, type, sha256, image size), on the same terms as
   * {@link MessengerClient.download}.
   * @example const { name, size } = await client.fileInfo(message.attachments[0].id);
   */
  async fileInfo(fileId: string, options: { signal?: AbortSignal } = {}): Promise<FileObject> {
    return await this.get<FileObject>(
      route('GET', '/files/{file_id}/info', { file_id: fileId }),
      {},
      options.signal,
    );
  }

  /**
   * An image's thumbnail (JPEG, PNG or WebP, at most 320×320), whole; not an image: 404
   * `thumbnail_unavailable`. Same access rule as {@link MessengerClient.download}.
   * @example if (file.image) preview.src = URL.createObjectURL(new Blob([await client.thumbnail(file.id)]));
   */
  async thumbnail(fileId: string, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    return await this.call<Uint8Array>({
      ...route('GET', '/files/{file_id}/thumbnail', { file_id: fileId }),
      responseType: 'bytes',
      retry: 'idempotent',
      mayRace: true,
      signal: options.signal,
    });
  }

  /**
   * The server's upload limits, and how much of your quota your files take.
   * @example
   * const { upload_max_bytes, quota_bytes, used_bytes } = await client.filesConfig();
   */
  filesConfig(options: { signal?: AbortSignal } = {}): Promise<FilesConfig> {
    return this.get<FilesConfig>(route('GET', '/files/config'), {}, options.signal);
  }

  // --- live ---

  /**
   * Live events of one chat (`chatId`) or of all your chats — every kind: messages, edits,
   * deletions, reactions, reads, members, renames — from `position` (or `after` a message id;
   * default: now). It reconnects by itself across hosts and resumes where it left off: no event
   * is lost or repeated. Keep `subscription.position` to resume after a restart. End it with
   * `close()` or by leaving the `for await` loop.
   * @example
   * const sub = client.subscribe({ position: saved });
   * for await (const e of sub) { show(e); if (e.type !== 'State') save(sub.position); }
   */
  subscribe(options: SubscribeOptions = {}): Subscription {
    return new Subscription(
      {
        hosts: this.transport.hosts,
        accessToken: () => this.accessToken(),
        forceRefresh: (stale) => this.refreshAfterRejection(stale),
        WebSocket: this.WebSocketClass,
        now: async () => (await this.sync()).position,
        checkAccess: async (chatId, position) => {
          if (chatId !== undefined) await this.history(chatId, { limit: 1 });
          else await this.me();
          // A position the server never handed out is refused on the upgrade (unseen by a
          // WebSocket): /sync says so in words.
          if (position !== undefined) await this.sync({ position, limit: 1 });
        },
      },
      options,
    );
  }

  /**
   * One catch-up without a socket: the logged events after `position`, in log order (at most
   * `limit`, 1..1000, default 100), and the position after them — without `position`, none and
   * the position of now. `timeout` (seconds, 0..60) waits for a first event when there is none.
   * Nothing is consumed. A position older than the server keeps rejects with 410
   * `position_expired`: reload, then sync from now.
   * @example
   * let { position } = await client.sync();
   * const { events, position: next } = await client.sync({ position, timeout: 30 });
   */
  async sync(
    options: { position?: string; timeout?: number; limit?: number; signal?: AbortSignal } = {},
  ): Promise<SyncResult> {
    const answer = await this.syncAnswer(options.position, {
      waitSeconds: options.timeout ?? 0,
      limit: options.limit,
      signal: options.signal,
    });
    return {
      events: answer.events.map(({ seq: _seq, mark: _mark, ...event }) => event),
      position: answer.position,
    };
  }

  /**
   * Every change after `position` (default: now), one at a time, for as long as you iterate:
   * `sync()` long-polls under the hood, retried across hosts. Keep `changes.position` after each
   * event to resume after a restart; a `PositionExpired` event says what lay between is gone.
   * @example
   * const changes = client.changes({ position: await load() });
   * for await (const e of changes) { handle(e); await save(changes.position); }
   */
  changes(options: ChangesOptions = {}): Changes {
    return new Changes({ sync: (position, poll) => this.syncAnswer(position, poll) }, options);
  }

  /** `GET /sync` as the server answers it (frames with their places). */
  private syncAnswer(
    position: string | undefined,
    { waitSeconds, limit, signal }: { waitSeconds: number; limit?: number; signal?: AbortSignal },
  ): Promise<SyncAnswer> {
    return this.call<SyncAnswer>({
      ...route('GET', '/sync'),
      query: { position, timeout: waitSeconds || undefined, limit },
      retry: 'idempotent',
      // A long-poll on every host at once would be as many waiting requests.
      mayRace: waitSeconds === 0,
      signal,
      // The server may wait that long before it answers.
      timeoutMs: waitSeconds * 1000 + this.transport.timeoutMs,
    });
  }

  // --- integrations (contract v1.5) ---

  /**
   * Makes an API token of yours (from a login session only: a token may not make tokens). Its
   * text (`token`) is in this answer only; pass it as `new MessengerClient({ token })` or
   * `Authorization: Bearer`. `expiresIn` is in seconds (default: never).
   * @example const { token } = await client.createToken({ name: 'CI', scopes: ['write'] });
   */
  createToken(input: {
    name: string;
    scopes: Scope[];
    expiresIn?: number;
    signal?: AbortSignal;
  }): Promise<NewApiToken> {
    return this.call<NewApiToken>({
      ...route('POST', '/tokens'),
      body: {
        name: input.name,
        scopes: input.scopes,
        expires_in: input.expiresIn,
      } satisfies Body<'CreateTokenRequest'>,
      retry: 'unsent',
      mayRace: false,
      signal: input.signal,
    });
  }

  /** Your API tokens, newest first, with `last_used_at` (never their text). */
  tokens(options: { signal?: AbortSignal } = {}): Promise<ApiToken[]> {
    return this.get<ApiToken[]>(route('GET', '/tokens'), undefined, options.signal);
  }

  /** Revokes an API token of yours: it stops working on every instance at once. */
  async revokeToken(tokenId: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.call({
      ...route('DELETE', '/tokens/{token_id}', { token_id: tokenId }),
      retry: 'idempotent',
      mayRace: false,
      signal: options.signal,
    });
  }

  /**
   * Makes a bot you own: a user with `is_bot` and no email or password. Its first token
   * (`read` and `write`) is in this answer only. Add it to groups with `addMembers`.
   * @example
   * const { user, token } = await me.createBot({ name: 'Echo' });
   * const bot = new MessengerClient({ hosts, token });
   */
  createBot(input: { name: string; signal?: AbortSignal }): Promise<NewBot> {
    return this.call<NewBot>({
      ...route('POST', '/bots'),
      body: { name: input.name } satisfies Body<'CreateBotRequest'>,
      retry: 'unsent',
      mayRace: false,
      signal: input.signal,
    });
  }

  /** Your bots (not the bots of incoming webhooks). */
  bots(options: { signal?: AbortSignal } = {}): Promise<Bot[]> {
    return this.get<Bot[]>(route('GET', '/bots'), undefined, options.signal);
  }

  /** Deletes a bot of yours: its tokens stop working and it leaves its groups; its messages stay. */
  async deleteBot(botId: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.call({
      ...route('DELETE', '/bots/{bot_id}', { bot_id: botId }),
      retry: 'idempotent',
      mayRace: false,
      signal: options.signal,
    });
  }

  /**
   * Makes an incoming webhook in a chat of yours (in a group, you must own it). Its secret URL
   * (`url`, relative to a host) is in this answer only: POST `{"text"}` to it, with no token.
   * @example const hook = await client.createHook(chatId, { name: 'CI' }); // hook.url
   */
  createHook(chatId: number, input: { name: string; signal?: AbortSignal }): Promise<NewHook> {
    return this.call<NewHook>({
      ...route('POST', '/chats/{chat_id}/hooks', { chat_id: chatId }),
      body: { name: input.name } satisfies Body<'CreateHookRequest'>,
      retry: 'unsent',
      mayRace: false,
      signal: input.signal,
    });
  }

  /** The incoming webhooks of a chat of yours (never their URLs). */
  hooks(chatId: number, options: { signal?: AbortSignal } = {}): Promise<Hook[]> {
    return this.get<Hook[]>(
      route('GET', '/chats/{chat_id}/hooks', { chat_id: chatId }),
      undefined,
      options.signal,
    );
  }

  /** Deletes an incoming webhook (its maker, or the group's owner): its URL stops working. */
  async deleteHook(hookId: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.call({
      ...route('DELETE', '/hooks/{hook_id}', { hook_id: hookId }),
      retry: 'idempotent',
      mayRace: false,
      signal: options.signal,
    });
  }

  /**
   * Posts through an incoming webhook's URL (as `createHook` answered it: relative, or
   * absolute on one of this client's hosts); needs no login. With `idempotencyKey` a retried
   * or raced post makes one message.
   */
  async postToHook(
    url: string,
    input: { text: string; attachments?: string[]; idempotencyKey?: string; signal?: AbortSignal },
  ): Promise<SendResult> {
    const path = hookPath(url, this.hosts);
    const hasKey = input.idempotencyKey !== undefined;
    const answer = await this.answer({
      method: 'POST',
      path,
      body: { text: input.text, attachments: input.attachments } satisfies Body<'HookPost'>,
      ...(hasKey ? { headers: { 'idempotency-key': input.idempotencyKey! } } : {}),
      retry: hasKey ? 'idempotent' : 'unsent',
      mayRace: hasKey,
      signal: input.signal,
      isPublic: true,
    });
    return {
      message: answer.body as Message,
      isReplay: isReplayed(answer),
      operationId: undefined,
    };
  }

  /**
   * Makes an outgoing webhook: the log's events of the kinds in `events` (and of `chatIds`,
   * default every chat of yours) are POSTed to `url` one at a time, in order, at least once,
   * signed per Standard Webhooks. Its signing secret (`secret`, `whsec_…`) is in this answer
   * only: check deliveries with {@link verifyWebhook}.
   * @example const { secret } = await client.createWebhook({ url, events: ['Message'] });
   */
  createWebhook(input: {
    url: string;
    events: string[];
    chatIds?: number[];
    signal?: AbortSignal;
  }): Promise<NewWebhook> {
    return this.call<NewWebhook>({
      ...route('POST', '/webhooks'),
      body: {
        url: input.url,
        events: input.events,
        chat_ids: input.chatIds,
      } satisfies Body<'CreateWebhookRequest'>,
      retry: 'unsent',
      mayRace: false,
      signal: input.signal,
    });
  }

  /** Your outgoing webhooks. */
  webhooks(options: { signal?: AbortSignal } = {}): Promise<Webhook[]> {
    return this.get<Webhook[]>(route('GET', '/webhooks'), undefined, options.signal);
  }

  /** One outgoing webhook of yours, with its state (`active` or `failing`) and last error. */
  webhook(webhookId: number, options: { signal?: AbortSignal } = {}): Promise<Webhook> {
    return this.get<Webhook>(
      route('GET', '/webhooks/{webhook_id}', { webhook_id: webhookId }),
      undefined,
      options.signal,
    );
  }

  /** The last delivery attempts of an outgoing webhook, newest first. */
  webhookDeliveries(
    webhookId: number,
    options: { signal?: AbortSignal } = {},
  ): Promise<WebhookDelivery[]> {
    return this.get<WebhookDelivery[]>(
      route('GET', '/webhooks/{webhook_id}/deliveries', { webhook_id: webhookId }),
      undefined,
      options.signal,
    );
  }

  /** Makes a `failing` webhook deliver again, from the event it stopped at. */
  resumeWebhook(webhookId: number, options: { signal?: AbortSignal } = {}): Promise<Webhook> {
    return this.call<Webhook>({
      ...route('POST', '/webhooks/{webhook_id}/resume', { webhook_id: webhookId }),
      retry: 'idempotent',
      mayRace: false,
      signal: options.signal,
    });
  }

  /** Deletes an outgoing webhook of yours: it delivers nothing more. */
  async deleteWebhook(webhookId: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.call({
      ...route('DELETE', '/webhooks/{webhook_id}', { webhook_id: webhookId }),
      retry: 'idempotent',
      mayRace: false,
      signal: options.signal,
    });
  }

  // --- plumbing ---

  private reaction(
    method: 'PUT' | 'DELETE',
    messageId: number,
    emoji: string,
    signal: AbortSignal | undefined,
  ): Promise<Reactions> {
    return this.call<Reactions>({
      ...route(method, '/messages/{message_id}/reactions/{emoji}', {
        message_id: messageId,
        emoji,
      }),
      retry: 'idempotent',
      mayRace: false,
      signal,
    });
  }

  /**
   * The logged-in user's id: the access token's `sub` (what the server will see), else
   * `me()` once per login (a token store may hold tokens that are not JWTs to this client).
   */
  private async myId(signal: AbortSignal | undefined): Promise<number> {
    const sub = subjectOf(await abortable(this.accessToken(), signal));
    if (sub !== undefined) return sub;
    this.myIdOfLogin ??= this.me({ signal }).then(
      (user) => user.id,
      (err: unknown) => {
        this.myIdOfLogin = undefined;
        throw err;
      },
    );
    return await abortable(this.myIdOfLogin, signal);
  }

  private get<T>(
    endpoint: Endpoint<'GET'>,
    query: RequestSpec['query'],
    signal?: AbortSignal,
  ): Promise<T> {
    return this.call<T>({ ...endpoint, query, retry: 'idempotent', mayRace: true, signal });
  }

  private async post(
    endpoint: Endpoint<'POST'>,
    text: string,
    options: SendOptions,
  ): Promise<SendResult> {
    if (options.idempotencyKey !== undefined) {
      const answer = await this.answer({
        ...endpoint,
        body: {
          text,
          attachments: options.attachments,
          reply_to: options.replyTo,
          mentions: options.mentions,
          mention_all: options.mentionAll,
          thread_id: options.threadId,
        } satisfies Body<'SendMessageRequest'>,
        headers: { 'idempotency-key': options.idempotencyKey },
        // The key makes repeats safe, on any host and all at once.
        retry: 'idempotent',
        mayRace: true,
        signal: options.signal,
      });
      return {
        message: answer.body as Message,
        isReplay: isReplayed(answer),
        operationId: undefined,
      };
    }
    const isOwnId = options.operationId === undefined;
    let operationId = options.operationId ?? (await this.nextOperationId(options.signal));
    for (let conflicts = 0; ; conflicts++) {
      try {
        const answer = await this.answer({
          ...endpoint,
          body: {
            text,
            attachments: options.attachments,
            reply_to: options.replyTo,
            mentions: options.mentions,
            mention_all: options.mentionAll,
            thread_id: options.threadId,
            operation_id: operationId,
          } satisfies Body<'SendMessageRequest'>,
          // The operation id makes repeats safe, on any host and all at once.
          retry: 'idempotent',
          mayRace: true,
          signal: options.signal,
        });
        return { message: answer.body as Message, isReplay: isReplayed(answer), operationId };
      } catch (err) {
        // Another device of the same user holds this id: take another (the source moves away
        // from the stretch that device is walking).
        const isConflict = err instanceof MessengerError && err.code === 'operation_id_conflict';
        if (!isConflict || !isOwnId || conflicts >= MAX_CONFLICT_RETRIES) {
          if (err instanceof MessengerError) err.operationId = operationId;
          throw err;
        }
        this.operationIds.conflicted?.(operationId);
        operationId = await this.nextOperationId(options.signal);
      }
    }
  }

  private async nextOperationId(signal: AbortSignal | undefined): Promise<number> {
    let id: number;
    try {
      id = await this.operationIds.next(signal);
    } catch (err) {
      if (err instanceof MessengerError) throw err;
      if (signal?.aborted) {
        throw new MessengerError(0, 'aborted', 'aborted while waiting for a free operation id', {
          cause: err,
        });
      }
      const reason = err instanceof Error ? err.message : String(err);
      throw new MessengerError(0, 'operation_id_unavailable', `no operation id: ${reason}`, {
        cause: err,
      });
    }
    if (!Number.isInteger(id) || id < -32_768 || id > 32_767) {
      const detail = `the operation id source answered ${String(id)}, not an int16`;
      throw new MessengerError(0, 'operation_id_unavailable', detail);
    }
    return id;
  }

  private async call<T>(spec: Omit<RequestSpec, 'token'> & { isPublic?: boolean }): Promise<T> {
    return (await this.answer(spec)).body as T;
  }

  /** The successful answer (status and headers included); an error answer throws. */
  private async answer(spec: Omit<RequestSpec, 'token'> & { isPublic?: boolean }): Promise<Answer> {
    // The refresh is shared by concurrent callers: each waits for it only as long as it may.
    let token = spec.isPublic ? undefined : await abortable(this.accessToken(), spec.signal);
    let answer = await this.transport.send({ ...spec, token });
    // An API token cannot be refreshed: its 401 is the server's to tell.
    if (answer.status === 401 && token !== undefined && this.apiToken === undefined) {
      token = await abortable(this.refreshAfterRejection(token), spec.signal);
      answer = await this.transport.send({ ...spec, token });
    }
    if (answer.status >= 400) {
      const error = Transport.problem(answer);
      if (answer.status === 401 && !spec.isPublic && this.apiToken === undefined) {
        throw new MessengerError(401, 'session_expired', 'the session has expired: log in again', {
          cause: error,
        });
      }
      throw error;
    }
    return answer;
  }

  /** A valid access token, refreshed first when it is about to expire. */
  private async accessToken(): Promise<string> {
    if (this.apiToken !== undefined) return this.apiToken;
    const tokens = await this.tokenStore.get();
    if (!tokens) throw notLoggedIn();
    if (tokens.expiresAt - Date.now() > REFRESH_MARGIN_MS) return tokens.accessToken;
    return this.refreshAfterRejection(tokens.accessToken);
  }

  /**
   * A fresh access token after `stale` was refused (or is about to expire). Concurrent callers
   * share one refresh; a caller whose token was already replaced just gets the new one.
   */
  private refreshAfterRejection(stale: string): Promise<string> {
    if (this.apiToken !== undefined) {
      const detail = 'the API token was refused: it expired, or was revoked';
      return Promise.reject(new MessengerError(401, 'invalid_token', detail));
    }
    // Claimed before the first await: with an asynchronous token store (the CLI's file), two
    // callers would otherwise both start a refresh, and rotation would log the user out.
    this.refreshing ??= (async () => {
      const tokens = await this.tokenStore.get();
      if (!tokens) throw notLoggedIn();
      if (tokens.accessToken !== stale && tokens.expiresAt - Date.now() > REFRESH_MARGIN_MS) {
        return tokens.accessToken;
      }
      return (await this.refreshWith(tokens.refreshToken)).access_token;
    })().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async refreshWith(refreshToken: string): Promise<TokenPair> {
    let pair: TokenPair;
    try {
      pair = await this.call<TokenPair>({
        ...route('POST', '/token/refresh'),
        body: { refresh_token: refreshToken } satisfies Body<'RefreshRequest'>,
        // Rotation: a repeat after a lost answer would be refused, so only unsent ones repeat.
        retry: 'unsent',
        mayRace: false,
        isPublic: true,
      });
    } catch (err) {
      if (err instanceof MessengerError && err.status === 401) {
        await this.tokenStore.set(undefined);
        throw new MessengerError(401, 'session_expired', 'the session has expired: log in again', {
          cause: err,
        });
      }
      throw err;
    }
    await this.keep(pair);
    return pair;
  }

  private async keep(pair: TokenPair): Promise<void> {
    const tokens: StoredTokens = {
      accessToken: pair.access_token,
      refreshToken: pair.refresh_token,
      expiresAt: Date.now() + pair.expires_in * 1000,
    };
    await this.tokenStore.set(tokens);
  }
}

/** `promise`, or a MessengerError(aborted) as soon as `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(aborted(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(aborted(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function aborted(signal: AbortSignal): MessengerError {
  return new MessengerError(0, 'aborted', 'the request was aborted', { cause: signal.reason });
}

function notLoggedIn(): MessengerError {
  return new MessengerError(401, 'not_logged_in', 'log in first');
}

/** The path of a hook URL: relative, or absolute on one of `hosts` (a token never leaves them). */
function hookPath(url: string, hosts: readonly string[]): string {
  if (url.startsWith('/')) return url;
  const host = hosts.find((h) => url.startsWith(`${h}/`));
  if (!host) {
    throw new MessengerError(
      0,
      'invalid_options',
      `the hook URL is on none of this client's hosts`,
    );
  }
  return url.slice(host.length);
}
