/**
 * A live subscription: an async iterable of events over a WebSocket that reconnects by itself
 * across hosts and resumes where it left off, so nothing is lost or repeated — of any kind:
 * messages, edits, deletions, reactions, reads, members, renames. Both kinds (one chat, all
 * chats) resume from a position in the server's log (`?position=`, see position.ts): the
 * highest mark the server sent plus the seqs above it that arrived, because the events of
 * different chats do not commit in seq order. Works with the platform WebSocket (browsers,
 * Node ≥ 22) or the `ws` package.
 */
import { backoffDelay, sleep } from './backoff.js';
import { MessengerError } from './errors.js';
import { CloseCodes } from './generated/constants.js';
import type { components } from './generated/openapi.js';
import { Position } from './position.js';
import type { ConnectionState, SubscriptionEvent } from './types.js';

/** A frame as the server describes it (the OpenAPI `ServerFrame` component). */
type ServerFrame = components['schemas']['ServerFrame'];

/** The part of the WHATWG WebSocket API we use; `ws` and browsers both provide it. */
export interface WebSocketInstance {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketLike = new (url: string, protocols?: string | string[]) => WebSocketInstance;

/** Where and from when to listen. */
export interface SubscribeOptions {
  /** One chat; omit for every chat of yours, including chats created later. */
  chatId?: number;
  /**
   * Start after this message id: every event of the log after it is replayed first (v1 replayed
   * messages only). Default: from the moment of subscribing.
   */
  after?: number;
  /**
   * Resume from the {@link Subscription.position} of an earlier subscription, of `sync()` or of
   * `changes()` (e.g. kept across restarts of your app): every event it had not delivered,
   * exactly once. Takes precedence over `after`.
   */
  position?: string;
}

/** What a subscription needs from its client. */
export interface SubscriptionDeps {
  hosts: readonly string[];
  accessToken(): Promise<string>;
  /** A new access token after the server refused `stale`. */
  forceRefresh(stale: string): Promise<string>;
  WebSocket: WebSocketLike | undefined;
  /** The position of now (`GET /sync` without one): where a fresh subscription starts. */
  now(): Promise<string>;
  /**
   * Throws the MessengerError that explains a refused connection (401/403/404, or 422 for a
   * position the server never handed out), if any.
   */
  checkAccess(chatId: number | undefined, position: string | undefined): Promise<void>;
}

const OPEN = 1;
const PING_EVERY_MS = 25_000;
/** No frame at all for this long (pings included) means the connection is dead. */
const SILENT_FOR_MS = 60_000;

async function defaultWebSocket(): Promise<WebSocketLike> {
  const platform = (globalThis as { WebSocket?: WebSocketLike }).WebSocket;
  if (platform) return platform;
  const mod = (await import('ws')) as unknown as { default: WebSocketLike };
  return mod.default;
}

function textOf(data: unknown): string {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
  if (ArrayBuffer.isView(data)) return new TextDecoder().decode(data);
  return String(data);
}

/**
 * Live events; iterate with `for await`. `state` tells the connection state, and `State` events
 * in the stream report its changes.
 */
export class Subscription implements AsyncIterable<SubscriptionEvent> {
  /** The connection's state now. */
  state: ConnectionState = 'connecting';
  /**
   * What arrived and the consumer has not taken yet: events, and what each one (or a mark the
   * server sent between them) does to the consumer's position once taken.
   */
  private readonly queue: { event?: SubscriptionEvent; apply?: (p: Position) => void }[] = [];
  private wake: (() => void) | undefined;
  private isClosed = false;
  private failure: Error | undefined;
  private socket: WebSocketInstance | undefined;
  /** What arrived from the server (resumes and de-duplication go by it)… */
  private readonly received: Position;
  /** …and what the consumer took: `position`, which it saves after handling an event. */
  private readonly taken: Position;
  private readonly stopped: AbortController = new AbortController();

  constructor(
    private readonly deps: SubscriptionDeps,
    private readonly options: SubscribeOptions,
  ) {
    const start =
      options.position ?? (options.after === undefined ? undefined : `${options.after}`);
    this.received = new Position(start);
    this.taken = new Position(start);
    void this.run();
  }

  /**
   * Where this subscription is (for one chat or all): after the last event the iteration gave
   * you, never past one it has not. Pass it to `subscribe({ position })`, `sync()` or
   * `changes()` later to get every event after that, exactly once: save it after handling each
   * event to resume across restarts of your app. Undefined until the subscription knows where
   * it starts.
   */
  get position(): string | undefined {
    return this.taken.text;
  }

  /** Tells the chat's other members that you are typing (when connected). */
  typing(chatId?: number): void {
    const target = chatId ?? this.options.chatId;
    if (target === undefined)
      throw new MessengerError(0, 'invalid_argument', 'typing needs a chat id');
    if (this.socket?.readyState === OPEN) {
      this.socket.send(JSON.stringify({ type: 'Typing', chat_id: target }));
    }
  }

  /** Stops: closes the connection and ends the iteration. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.stopped.abort();
    this.socket?.close(1000, 'closed by client');
    this.wake?.();
  }

  [Symbol.asyncIterator](): AsyncIterator<SubscriptionEvent> {
    return {
      next: async () => {
        for (;;) {
          const item = this.queue.shift();
          if (item) {
            item.apply?.(this.taken);
            this.settle();
            if (item.event) return { value: item.event, done: false };
            continue;
          }
          if (this.failure) throw this.failure;
          if (this.isClosed) return { value: undefined, done: true };
          await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = undefined;
        }
      },
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  private push(event: SubscriptionEvent, apply?: (p: Position) => void): void {
    this.queue.push({ event, apply });
    this.wake?.();
  }

  /** A change of position with no event: applied at once when no event waits before it. */
  private move(apply: (p: Position) => void): void {
    if (this.queue.length === 0) apply(this.taken);
    else this.queue.push({ apply });
  }

  /** Applies the moves that wait at the head of the queue (nothing to take before them). */
  private settle(): void {
    while (this.queue.length > 0 && this.queue[0]!.event === undefined) {
      this.queue.shift()!.apply?.(this.taken);
    }
  }

  private setState(state: ConnectionState, host?: string, error?: Error): void {
    if (this.state === state) return;
    this.state = state;
    this.push({ type: 'State', state, ...(host ? { host } : {}), ...(error ? { error } : {}) });
  }

  private async run(): Promise<void> {
    try {
      const WebSocketClass = this.deps.WebSocket ?? (await defaultWebSocket());
      let failures = 0;
      let hostIndex = 0;
      while (!this.isClosed) {
        const host = this.deps.hosts[hostIndex % this.deps.hosts.length]!;
        // Unknown at first (no position given), and after a PositionExpired that was not
        // followed by its Subscribed: start from now.
        if (this.received.text === undefined && !(await this.startFromNow(host, failures))) {
          failures++;
          continue;
        }
        const outcome = await this.connectOnce(WebSocketClass, host);
        if (this.isClosed) break;
        if (outcome.code === CloseCodes.TokenRevoked) {
          throw new MessengerError(401, 'invalid_token', 'the API token was revoked');
        }
        if (outcome.code === CloseCodes.TokenExpired) await this.deps.forceRefresh(outcome.token);
        if (outcome.isResync) continue; // resume at once, same host
        if (outcome.wasOpen) failures = 0;
        else failures++;
        // Refused before open, or put out of the chat: ask the REST API why; 401/403/404 end
        // the subscription (one who was added back in the meantime just reconnects).
        if (!outcome.wasOpen || outcome.code === CloseCodes.Forbidden) {
          await this.deps
            .checkAccess(this.options.chatId, this.received.text)
            .catch((err: unknown) => {
              if (err instanceof MessengerError && [401, 403, 404, 422].includes(err.status)) {
                throw err;
              }
            });
        }
        hostIndex++;
        this.setState('reconnecting', host, new Error(`connection closed (${outcome.code})`));
        await sleep(backoffDelay(failures, 250, 5000), this.stopped.signal).catch(() => undefined);
      }
    } catch (err) {
      if (!this.isClosed) {
        this.failure =
          err instanceof Error ? err : new MessengerError(0, 'subscription_failed', String(err));
      }
    } finally {
      this.isClosed = true;
      this.setState('closed');
      this.wake?.();
    }
  }

  /** Takes the position of now; false (after a backoff) when no host could say, for now. */
  private async startFromNow(host: string, failures: number): Promise<boolean> {
    try {
      const now = await this.deps.now();
      this.received.adopt(now);
      this.move((p) => p.adopt(now));
      return true;
    } catch (err) {
      if (!(err instanceof MessengerError && err.isRetryable)) throw err;
      this.setState('reconnecting', host, err);
      await sleep(backoffDelay(failures, 250, 5000), this.stopped.signal).catch(() => undefined);
      return false;
    }
  }

  /** One connection, until it closes. */
  private async connectOnce(
    WebSocketClass: WebSocketLike,
    host: string,
  ): Promise<{ wasOpen: boolean; code: number; token: string; isResync: boolean }> {
    const token = await this.deps.accessToken();
    const path = this.options.chatId === undefined ? '/ws' : `/ws/${this.options.chatId}`;
    const url = `${host.replace(/^http/, 'ws')}${path}?position=${this.received.text ?? 0}`;
    // The token rides in the subprotocol list: the one way browsers can send it.
    const ws = new WebSocketClass(url, ['bearer', token]);
    this.socket = ws;
    return new Promise((resolve) => {
      let wasOpen = false;
      let isResync = false;
      let lastFrameAt = Date.now();
      let pinger: ReturnType<typeof setInterval> | undefined;
      ws.onopen = () => {
        wasOpen = true;
        this.setState('open', host);
        pinger = setInterval(() => {
          if (Date.now() - lastFrameAt > SILENT_FOR_MS) ws.close(4000, 'silent connection');
          else ws.send('{"type":"Ping"}');
        }, PING_EVERY_MS);
      };
      ws.onmessage = (ev) => {
        lastFrameAt = Date.now();
        // After Resync nothing on this socket counts: its cursor must stay where the gap began.
        if (isResync) return;
        if (this.onFrame(textOf(ev.data)) === 'resync') {
          isResync = true;
          ws.close(4000, 'resync');
        }
      };
      ws.onerror = () => undefined; // a close event follows
      ws.onclose = (ev) => {
        clearInterval(pinger);
        if (this.socket === ws) this.socket = undefined;
        resolve({ wasOpen, code: ev.code, token, isResync });
      };
      if (this.isClosed) ws.close(1000, 'closed by client');
    });
  }

  private onFrame(text: string): 'resync' | undefined {
    // Typed as the server describes its frames, so a frame it adds is a compile error below
    // until this switch decides what to do with it; checked as far as the SDK relies on it.
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text) as ServerFrame;
    } catch {
      return undefined;
    }
    if (typeof frame !== 'object' || frame === null) return undefined;
    switch (frame.type) {
      case 'Message':
      case 'Read':
      case 'ReadMarker':
      case 'NotificationsChanged':
      case 'MembersChanged':
      case 'ChatUpdated':
      case 'MessageEdited':
      case 'MessageDeleted':
      case 'Reaction': {
        const { seq, mark, ...event } = frame;
        if (typeof seq !== 'number') return undefined;
        // Replayed and live frames meet at the seam, and a capped position can let one
        // through twice: each event is delivered once.
        const isKnown = this.received.has(seq);
        // The frame's mark counts once the frame is taken, delivered now or before.
        this.received.take(seq, mark);
        if (isKnown) this.move((p) => p.advance(mark));
        else this.push(event, (p) => p.take(seq, mark));
        return undefined;
      }
      case 'Subscribed': {
        const { mark } = frame;
        this.received.advance(mark);
        this.move((p) => p.advance(mark));
        return undefined;
      }
      case 'PositionExpired':
        // What lay between is gone: the consumer reloads; the Subscribed that follows says
        // where the stream goes on from.
        this.received.reset();
        this.push(frame, (p) => p.reset());
        return undefined;
      case 'Typing':
        this.push(frame);
        return undefined;
      case 'Resync':
        return 'resync';
      case 'Pong':
      case 'Error':
        return undefined; // nothing for the consumer
      default: {
        // A frame of a newer server: ignored at run time, a compile error once generated.
        const unknown: never = frame;
        void unknown;
        return undefined;
      }
    }
  }
}
