import { MessengerError } from './errors.js';
import { OperationIds, type OperationIdSource } from './operation-ids.js';
import { Subscription, type SubscribeOptions, type WebSocketLike } from './subscription.js';
import { MemoryTokenStore, type StoredTokens, type TokenStore } from './token-store.js';
import {
  Transport,
  type Answer,
  type RequestSpec,
  type RetryOptions,
  type Strategy,
} from './transport.js';
import type { components, paths } from './generated/openapi.js';
import type { ChatSummary, Group, Message, ReadPointer, TokenPair, User } from './types.js';

type Body<Name extends keyof components['schemas']> = components['schemas'][Name];

/** Options of {@link MessengerClient}; every field has a default. */
export interface MessengerClientOptions {
  /** Base URLs of the server instances. Default `['http://127.0.0.1:8000']`. */
  hosts?: string[];
  /**
   * `'failover'` (default): one host at a time; on no answer, a timeout, 429 or 5xx, the next
   * host after a jittered exponential backoff. `'race'`: idempotent requests (reads, sends with
   * their operation id) go to every host at once and the first answer wins; at most one message
   * is created either way.
   */
  strategy?: Strategy;
  /** Per-request timeout in ms. Default 10000. */
  timeoutMs?: number;
  /** Where tokens are kept. Default: in memory ({@link MemoryTokenStore}). */
  tokenStore?: TokenStore;
  /**
   * Retries across hosts. Default: 2 tries per host (at least 3), backoff 100 ms … 2 s, a
   * server's `Retry-After` waited out up to 5 s (longer: the call rejects at once, see
   * {@link RetryOptions.maxRetryAfterMs}).
   */
  retry?: RetryOptions;
  /** The server's idempotency window in seconds, so operation ids are never reused inside it. Default 300. */
  idempotencyWindowSeconds?: number;
  /**
   * Where the operation ids of sends come from. Default: a counter in memory, from a random
   * start, that never reuses an id inside `idempotencyWindowSeconds`. Processes that send as
   * the same user one after another (a CLI run per message) should share a source that
   * outlives them; otherwise two runs may draw the same id and the second send is answered as
   * a replay of the first.
   */
  operationIds?: OperationIdSource;
  /** The `fetch` to use. Default: the platform's. */
  fetch?: typeof fetch;
  /** The WebSocket class to use. Default: the platform's, else the `ws` package (Node 20). */
  WebSocket?: WebSocketLike;
}

/** Options of one send. */
export interface SendOptions {
  /**
   * The idempotency key (int16). Default: the client's next id. When you give one, a conflict
   * (422 `operation_id_conflict`) is yours to handle; with the default the client draws a new id
   * and resends.
   */
  operationId?: number;
  signal?: AbortSignal;
}

/** Who a {@link MessengerClient.send} goes to: a user (their direct chat) or a group. */
export type SendTarget = { userId: number } | { groupId: number };

/** What {@link MessengerClient.send} resolves to. */
export interface SendResult {
  /** The message, as the server keeps it. */
  message: Message;
  /**
   * The server answered with a message that an earlier request with the same operation id (and
   * the same target and text) had created (200, `Idempotent-Replayed: true`): nothing new was
   * sent. Expected when you repeat an `operationId` on purpose. With ids the client chose, a
   * try of this very call got through before its answer was lost — or, with the default
   * in-memory counter, another process of the same user drew the same id inside the window
   * (see `operationIds`).
   */
  isReplay: boolean;
  /** The operation id the send used: the one given, or the client's. */
  operationId: number;
}

/** A page of history: `after` (the next page), `before` (the previous), or neither (the latest). */
export interface HistoryOptions {
  after?: number;
  before?: number;
  /** 1..100, default 50. */
  limit?: number;
  signal?: AbortSignal;
}

/** Refresh a little before the access token expires, so requests rarely meet a 401. */
const REFRESH_MARGIN_MS = 30_000;
const MAX_CONFLICT_RETRIES = 5;

/**
 * The msgr client: REST calls and live subscriptions across one or more server instances.
 *
 * @example
 * const client = new MessengerClient({ hosts: ['http://a:8000', 'http://b:8000'], strategy: 'race' });
 * await client.login({ email: 'test1@test.com', password: 'test', clientId: 'laptop' });
 * const message = await client.sendToUser(2, 'hello');
 * for await (const event of client.subscribe()) if (event.type === 'Message') console.log(event.message.text);
 */
export class MessengerClient {
  private readonly transport: Transport;
  private readonly tokenStore: TokenStore;
  private readonly operationIds: OperationIdSource;
  private readonly WebSocketClass: WebSocketLike | undefined;
  private refreshing: Promise<string> | undefined;

  constructor(options: MessengerClientOptions = {}) {
    const hosts = (options.hosts ?? ['http://127.0.0.1:8000']).map((h) => h.replace(/\/+$/, ''));
    if (hosts.length === 0) throw new MessengerError(0, 'invalid_options', 'hosts is empty');
    for (const h of hosts) {
      if (!/^https?:\/\/[^/]+/.test(h)) {
        throw new MessengerError(0, 'invalid_options', `not an http(s) URL: ${h}`);
      }
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
    });
    this.tokenStore = options.tokenStore ?? new MemoryTokenStore();
    this.operationIds =
      options.operationIds ?? new OperationIds((options.idempotencyWindowSeconds ?? 300) * 1000);
    this.WebSocketClass = options.WebSocket;
  }

  /** The hosts this client talks to. */
  get hosts(): readonly string[] {
    return this.transport.hosts;
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
      method: 'POST',
      path: route('/login'),
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
        method: 'POST',
        path: route('/logout'),
        retry: 'idempotent',
        mayRace: false,
        signal: options.signal,
      });
    } finally {
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
      method: 'POST',
      path: route('/register'),
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
    return this.get<User>(route('/me'), {}, options.signal);
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
      route('/users'),
      { query: options.query, ids: ids?.join(','), limit: options.limit },
      options.signal,
    );
  }

  /** Your chats, most recent activity first, with unread counts and last messages. */
  chats(options: { signal?: AbortSignal } = {}): Promise<ChatSummary[]> {
    return this.get<ChatSummary[]>(route('/chats'), {}, options.signal);
  }

  /** A group you are a member of. */
  async group(groupId: number, options: { signal?: AbortSignal } = {}): Promise<Group> {
    return await this.get<Group>(
      route('/groups/{group_id}', { group_id: groupId }),
      {},
      options.signal,
    );
  }

  /** One page of a chat's history, ascending by id. */
  async history(chatId: number, options: HistoryOptions = {}): Promise<Message[]> {
    return await this.get<Message[]>(
      route('/history/{chat_id}', { chat_id: chatId }),
      { after: options.after, before: options.before, limit: options.limit },
      options.signal,
    );
  }

  /**
   * Every message of a chat after `after` (default: from the start), page by page.
   * @example for await (const m of client.iterateHistory(chatId)) console.log(m.text);
   */
  async *iterateHistory(
    chatId: number,
    options: { after?: number; pageSize?: number; signal?: AbortSignal } = {},
  ): AsyncGenerator<Message, void, undefined> {
    let after = options.after ?? 0;
    const limit = options.pageSize ?? 100;
    for (;;) {
      const page = await this.history(chatId, { after, limit, signal: options.signal });
      yield* page;
      if (page.length < limit) return;
      after = page[page.length - 1]!.id;
    }
  }

  // --- writing ---

  /**
   * Writes to a user (`{ userId }`: the direct chat is created on the first message) or a group
   * (`{ groupId }`), exactly once across hosts, and says whether the server answered with an
   * earlier message of the same operation id instead (`isReplay`) and which id was used.
   *
   * @example
   * const { message, isReplay } = await client.send({ groupId: 3 }, 'deploy done', { operationId: 42 });
   * if (isReplay) console.log(`already sent as message ${message.id}`);
   */
  async send(target: SendTarget, text: string, options: SendOptions = {}): Promise<SendResult> {
    const path =
      'groupId' in target
        ? route('/messages/group/{group_id}', { group_id: target.groupId })
        : route('/messages/user/{user_id}', { user_id: target.userId });
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

  /** Creates a group; you are always a member. */
  createGroup(input: {
    name: string;
    participantUserIds: number[];
    signal?: AbortSignal;
  }): Promise<Group> {
    return this.call<Group>({
      method: 'POST',
      path: route('/group'),
      body: {
        name: input.name,
        participant_user_ids: input.participantUserIds,
      } satisfies Body<'CreateGroupRequest'>,
      retry: 'unsent',
      mayRace: false,
      signal: input.signal,
    });
  }

  /** Marks `messageId` and every earlier message of its chat read (a read pointer). */
  async markRead(messageId: number, options: { signal?: AbortSignal } = {}): Promise<ReadPointer> {
    return await this.call<ReadPointer>({
      method: 'POST',
      path: route('/messages/read/{message_id}', { message_id: messageId }),
      retry: 'idempotent',
      mayRace: true,
      signal: options.signal,
    });
  }

  // --- live ---

  /**
   * Live events of one chat (`chatId`) or of all your chats, from `after` (default: now). It
   * reconnects by itself across hosts and resumes where it left off: no message is lost or
   * repeated. End it with `close()` or by leaving the `for await` loop.
   */
  subscribe(options: SubscribeOptions = {}): Subscription {
    return new Subscription(
      {
        hosts: this.transport.hosts,
        accessToken: () => this.accessToken(),
        forceRefresh: (stale) => this.refreshAfterRejection(stale),
        WebSocket: this.WebSocketClass,
        tail: async (chatId) => {
          if (chatId !== undefined) return (await this.history(chatId, { limit: 1 }))[0]?.id ?? 0;
          const chats = await this.chats();
          return Math.max(0, ...chats.map((c) => c.last_message?.id ?? 0));
        },
        checkAccess: async (chatId) => {
          if (chatId !== undefined) await this.history(chatId, { limit: 1 });
          else await this.me();
        },
      },
      options,
    );
  }

  // --- plumbing ---

  private get<T>(path: string, query: RequestSpec['query'], signal?: AbortSignal): Promise<T> {
    return this.call<T>({ method: 'GET', path, query, retry: 'idempotent', mayRace: true, signal });
  }

  private async post(path: string, text: string, options: SendOptions): Promise<SendResult> {
    const isOwnId = options.operationId === undefined;
    let operationId = options.operationId ?? (await this.nextOperationId(options.signal));
    for (let conflicts = 0; ; conflicts++) {
      try {
        const answer = await this.answer({
          method: 'POST',
          path,
          body: { text, operation_id: operationId } satisfies Body<'SendMessageRequest'>,
          // The operation id makes repeats safe, on any host and all at once.
          retry: 'idempotent',
          mayRace: true,
          signal: options.signal,
        });
        const isReplay = answer.headers.get('idempotent-replayed')?.toLowerCase() === 'true';
        return { message: answer.body as Message, isReplay, operationId };
      } catch (err) {
        // Another device of the same user holds this id: take the next one.
        const isConflict = err instanceof MessengerError && err.code === 'operation_id_conflict';
        if (!isConflict || !isOwnId || conflicts >= MAX_CONFLICT_RETRIES) {
          if (err instanceof MessengerError) err.operationId = operationId;
          throw err;
        }
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
    if (answer.status === 401 && token !== undefined) {
      token = await abortable(this.refreshAfterRejection(token), spec.signal);
      answer = await this.transport.send({ ...spec, token });
    }
    if (answer.status >= 400) {
      const error = Transport.problem(answer);
      if (answer.status === 401 && !spec.isPublic) {
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
        method: 'POST',
        path: route('/token/refresh'),
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

/**
 * A path of the OpenAPI document with its `{param}`s filled in: a path the server does not
 * serve is a compile error. Ids must be positive safe integers, checked before sending.
 */
function route<P extends keyof paths>(template: P, params: Record<string, number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || !Number.isSafeInteger(value) || value < 1) {
      throw new MessengerError(0, 'invalid_argument', `not a valid ${name}: ${String(value)}`);
    }
    return String(value);
  });
}
