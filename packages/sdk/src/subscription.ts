/**
 * A live subscription: an async iterable of events over a WebSocket that reconnects by itself
 * across hosts and resumes with `?after=` the last message it delivered, so nothing is lost or
 * repeated. Works with the platform WebSocket (browsers, Node ≥ 22) or the `ws` package.
 */
import { backoffDelay, sleep } from './backoff.js';
import { MessengerError } from './errors.js';
import type { ConnectionState, SubscriptionEvent } from './types.js';

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
  /** Replay messages with a greater id first. Default: from the moment of subscribing. */
  after?: number;
}

/** What a subscription needs from its client. */
export interface SubscriptionDeps {
  hosts: readonly string[];
  accessToken(): Promise<string>;
  /** A new access token after the server refused `stale`. */
  forceRefresh(stale: string): Promise<string>;
  WebSocket: WebSocketLike | undefined;
  /** The newest message id now (of the chat, or of all chats): where a fresh subscription starts. */
  tail(chatId: number | undefined): Promise<number>;
  /** Throws the MessengerError that explains a refused connection (401/403/404), if any. */
  checkAccess(chatId: number | undefined): Promise<void>;
}

/** Close codes the server uses (see the contract). */
export const CloseCodes = {
  GoingAway: 1001,
  TooBig: 1009,
  TryAgainLater: 1013,
  TokenExpired: 4401,
  TooManyConnections: 4429,
} as const;

const OPEN = 1;
const PING_EVERY_MS = 25_000;
/** No frame at all for this long (pings included) means the connection is dead. */
const SILENT_FOR_MS = 60_000;
const REMEMBERED_IDS = 5000;

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
  private readonly queue: SubscriptionEvent[] = [];
  private wake: (() => void) | undefined;
  private isClosed = false;
  private failure: Error | undefined;
  private socket: WebSocketInstance | undefined;
  private lastId: number | undefined;
  private readonly seen = new Set<number>();
  private readonly stopped: AbortController = new AbortController();

  constructor(
    private readonly deps: SubscriptionDeps,
    private readonly options: SubscribeOptions,
  ) {
    this.lastId = options.after;
    void this.run();
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
          const event = this.queue.shift();
          if (event) return { value: event, done: false };
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

  private push(event: SubscriptionEvent): void {
    this.queue.push(event);
    this.wake?.();
  }

  private setState(state: ConnectionState, host?: string, error?: Error): void {
    if (this.state === state) return;
    this.state = state;
    this.push({ type: 'State', state, ...(host ? { host } : {}), ...(error ? { error } : {}) });
  }

  private async run(): Promise<void> {
    try {
      const WebSocketClass = this.deps.WebSocket ?? (await defaultWebSocket());
      this.lastId ??= await this.deps.tail(this.options.chatId);
      let failures = 0;
      let hostIndex = 0;
      while (!this.isClosed) {
        const host = this.deps.hosts[hostIndex % this.deps.hosts.length]!;
        const outcome = await this.connectOnce(WebSocketClass, host);
        if (this.isClosed) break;
        if (outcome.code === CloseCodes.TokenExpired) await this.deps.forceRefresh(outcome.token);
        if (outcome.isResync) continue; // resume at once, same host
        if (outcome.wasOpen) failures = 0;
        else {
          failures++;
          // Refused before open: ask the REST API why; 401/403/404 end the subscription.
          await this.deps.checkAccess(this.options.chatId).catch((err: unknown) => {
            if (err instanceof MessengerError && [401, 403, 404].includes(err.status)) throw err;
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

  /** One connection, until it closes. */
  private async connectOnce(
    WebSocketClass: WebSocketLike,
    host: string,
  ): Promise<{ wasOpen: boolean; code: number; token: string; isResync: boolean }> {
    const token = await this.deps.accessToken();
    const path = this.options.chatId === undefined ? '/ws' : `/ws/${this.options.chatId}`;
    const url = `${host.replace(/^http/, 'ws')}${path}?after=${this.lastId ?? 0}`;
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
    let frame: { type?: unknown; message?: { id?: unknown } };
    try {
      frame = JSON.parse(text) as typeof frame;
    } catch {
      return undefined;
    }
    switch (frame.type) {
      case 'Message': {
        const id = frame.message?.id;
        if (typeof id !== 'number' || this.seen.has(id)) return undefined;
        // In one chat ids follow commit order: at or below the cursor means already known.
        if (this.options.chatId !== undefined && id <= (this.lastId ?? 0)) return undefined;
        this.seen.add(id);
        if (this.seen.size > REMEMBERED_IDS) this.seen.delete(this.seen.values().next().value!);
        this.lastId = Math.max(this.lastId ?? 0, id);
        this.push(frame as SubscriptionEvent);
        return undefined;
      }
      case 'Read':
      case 'Typing':
        this.push(frame as SubscriptionEvent);
        return undefined;
      case 'Resync':
        return 'resync';
      default:
        return undefined; // Pong, Error: nothing for the consumer
    }
  }
}
