/** The option and result types of `MessengerClient`'s constructor, sends and history. */
import type { OperationIdSource } from './operation-ids.js';
import type { WebSocketLike } from './subscription.js';
import type { TokenStore } from './token-store.js';
import type { HedgeOptions, RetryOptions, Strategy } from './transport.js';
import type { Message } from './types.js';

/** Options of {@link MessengerClient}; every field has a default. */
export interface MessengerClientOptions {
  /** Base URLs of the server instances. Default `['http://127.0.0.1:8000']`. */
  hosts?: string[];
  /**
   * `'failover'` (default): one host at a time; on no answer, a timeout, 429 or 5xx, the next
   * host after a jittered exponential backoff. `'race'`: idempotent requests (reads, sends with
   * their operation id) go to every host at once and the first answer wins. `'hedge'`: those
   * requests go to one host (the one that answered last) and, only when it has not answered
   * within its recent p95 answer time (see `hedge`) or cannot be reached, to the next one as
   * well, the same request; the first answer wins. At most one message is created either way.
   */
  strategy?: Strategy;
  /**
   * How long `strategy: 'hedge'` waits before asking the next host: the current host's p95 of
   * its last 64 answer times (100 ms until it has answered 8 times), kept within
   * `minDelayMs` (default 10) … `maxDelayMs` (default 1000). Ignored by other strategies.
   */
  hedge?: HedgeOptions;
  /** Per-request timeout in ms. Default 10000. */
  timeoutMs?: number;
  /** Where tokens are kept. Default: in memory ({@link MemoryTokenStore}). */
  tokenStore?: TokenStore;
  /**
   * An API token (`msgr_pat_…`, made with `createToken()` or `createBot()`) to call with instead
   * of a login: no `login()`, no refresh. It works within its scopes (`read`, `write`); a
   * revoked or expired one rejects with 401 `invalid_token` or `token_expired`, and a
   * subscription made with it ends. Default: none (log in).
   *
   * @example
   * const client = new MessengerClient({ hosts, token: process.env.MSGR_TOKEN });
   */
  token?: string;
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
  /**
   * The message of the same chat this one answers (else 422 `reply_to_invalid`). Default: none.
   * Part of what the operation id is bound to: the same id with another `replyTo` is a conflict.
   */
  replyTo?: number;
  /**
   * Ids of files you uploaded ({@link MessengerClient.upload}) to attach, in the order shown: at
   * most `Limits.maxAttachments` (10), else (or someone else's) 422 `attachment_invalid`. With
   * attachments, `text` may be ''. Default: none. Part of what the operation id is bound to.
   */
  attachments?: string[];
  /**
   * Ids of the people the message names (members of the chat, at most `Limits.maxMentions`,
   * 50; else 422 `mention_invalid`). Never read out of the text: put `@Name` in the text for
   * people, these ids for the server. Default: none. Part of what the operation id is bound to.
   */
  mentions?: number[];
  /** The message names everyone in the chat (`@all`). Default: false. Bound like `mentions`. */
  mentionAll?: boolean;
  /**
   * A top-level, non-deleted message of the same chat: the message is a reply in its thread
   * (else 422 `thread_invalid`). Default: top level. Bound like `mentions`.
   */
  threadId?: number;
  /**
   * An `Idempotency-Key` (1..255 visible ASCII characters) to send under instead of an
   * operation id: the same key again within the server's window answers the first message, on
   * any host, however often the call is retried or restarted; another request under it rejects
   * with 422 `idempotency_key_conflict`. Keys are per user. Derive it from what the message is
   * about (a CI run id, the id of the event a bot answers), so a restarted process sends once.
   * Default: none (an operation id is used).
   */
  idempotencyKey?: string;
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
   * the same target, text and `replyTo`) had created (200, `Idempotent-Replayed: true`): nothing
   * new was sent. Expected when you repeat an `operationId` on purpose. With ids the client chose, a
   * try of this very call got through before its answer was lost — or, with the default
   * in-memory counter, another process of the same user drew the same id inside the window
   * (see `operationIds`). With `race` and `hedge`, a copy of this very call that replays what
   * another copy made waits up to 100 ms for that copy's answer, which then wins: `false`.
   */
  isReplay: boolean;
  /** The operation id the send used: the one given, or the client's; undefined with `idempotencyKey`. */
  operationId: number | undefined;
}

/** A page of history: `after` (the next page), `before` (the previous), or neither (the latest). */
export interface HistoryOptions {
  after?: number;
  before?: number;
  /** 1..100, default 50. */
  limit?: number;
  /** Only the thread of this root: the root and its replies. */
  threadId?: number;
  /** Only top-level messages (no thread replies). Not with `threadId`. */
  topLevel?: boolean;
  signal?: AbortSignal;
}

/** A page of a list by keyset: `before` is the last item's key of the previous page. */
export interface PageOptions {
  before?: number;
  /** 1..100, default 50. */
  limit?: number;
  signal?: AbortSignal;
}

/**
 * What {@link MessengerClient.upload} reads: a file path (Node only; read from disk as it is
 * sent), a `Blob` (or `File`), bytes (`Uint8Array`, `Buffer`), or a stream — a Node `Readable`
 * or any async iterable of `Uint8Array` chunks, read `chunkSize` at a time (then `size` is
 * required).
 */
export type UploadSource = string | Blob | Uint8Array | AsyncIterable<Uint8Array>;

/** Options of {@link MessengerClient.upload}; every field is optional but `size` for streams. */
export interface UploadOptions {
  /** The file's name. Default: a path's basename, a `File`'s name, else `'file'`. */
  name?: string;
  /**
   * A hint of what the bytes are (tus `filetype`): the server decides from the bytes
   * themselves. Default: a `Blob`'s `type`, else none.
   */
  contentType?: string;
  /** The number of bytes; required for a stream (which must yield exactly that many). */
  size?: number;
  /**
   * Called as bytes go out: `sent` of `total`. It ends with `sent === total`. After a resume it
   * goes on from what the server kept, so it may step back.
   */
  onProgress?: (sent: number, total: number) => void;
  /** Aborting stops the upload and asks the server to drop what it received. */
  signal?: AbortSignal;
  /**
   * The upload's `Idempotency-Key`: the same upload again (same size, name and type) within the
   * server's idempotency window continues the first one instead of starting anew, even from
   * another process. Default: a random key per call (makes this call's own retries safe).
   */
  idempotencyKey?: string;
  /**
   * The most bytes one request carries; each completed request is a checkpoint. Default: the
   * whole file for paths, `Blob`s and bytes (a cut request still keeps what arrived), 8 MiB for
   * streams (what is held in memory at once).
   */
  chunkSize?: number;
}

/** Options of {@link MessengerClient.download}. */
export interface DownloadOptions {
  /** First byte to get (0-based). Default: 0, or the whole file when `end` is also absent. */
  start?: number;
  /** Last byte to get, inclusive. Default: the end of the file. */
  end?: number;
  signal?: AbortSignal;
}
