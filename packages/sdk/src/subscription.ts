/**
 * A live subscription: an async iterable of events over a WebSocket that reconnects by itself
 * across hosts and resumes where it left off, so nothing is lost or repeated. One chat resumes
 * with `?after=` the last message it delivered (ids inside a chat follow commit order); all
 * chats resume from a position (`?position=`): the highest stream mark the server sent plus
 * the ids above it that arrived, because ids of different chats do not commit in id order.
 * Works with the platform WebSocket (browsers, Node ≥ 22) or the `ws` package.
 */
import { backoffDelay, sleep } from './backoff.js';
import { MessengerError } from './errors.js';
import type { components } from './generated/openapi.js';
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
  /** Replay messages with a greater id first. Default: from the moment of subscribing. */
  after?: number;
  /**
   * All chats only: resume from the {@link Subscription.position} of an earlier subscription
   * (e.g. kept across restarts of your app): every message it had not delivered, exactly once.
   * Takes precedence over `after`.
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
  /** No longer a member of the chat of a one-chat subscription (removed, or left). */
  Forbidden: 4403,
  TooManyConnections: 4429,
} as const;

const OPEN = 1;
const PING_EVERY_MS = 25_000;
/** No frame at all for this long (pings included) means the connection is dead. */
const SILENT_FOR_MS = 60_000;
const REMEMBERED_IDS = 5000;
/** Most ids above the mark a position lists (the server takes 500); more are deduped here. */
const POSITION_IDS = 500;

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
  /** One chat: the last message id delivered. */
  private lastId: number | undefined;
  /** All chats: the highest stream mark the server sent, and the ids above it delivered. */
  private mark: number | undefined;
  private readonly seenAbove = new Set<number>();
  private readonly seen = new Set<number>();
  private readonly stopped: AbortController = new AbortController();

  constructor(
    private readonly deps: SubscriptionDeps,
    private readonly options: SubscribeOptions,
  ) {
    this.lastId = options.after;
    if (options.chatId === undefined && options.position !== undefined) {
      const parsed = parsePosition(options.position);
      if (!parsed) {
        throw new MessengerError(0, 'invalid_argument', `not a position: ${options.position}`);
      }
      this.mark = parsed.mark;
      for (const id of parsed.seen) this.seenAbove.add(id);
    }
    void this.run();
  }

  /**
   * Where this subscription is, for all chats: pass it to `subscribe({ position })` later to
   * get every message it has not delivered, exactly once. Undefined until the server has sent
   * a mark, and for one-chat subscriptions (resume those with `after` = the last message id).
   */
  get position(): string | undefined {
    if (this.options.chatId !== undefined || this.mark === undefined) return undefined;
    const above = [...this.seenAbove].sort((a, b) => a - b).slice(-POSITION_IDS);
    return [this.mark, ...above].join('.');
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
      if (this.mark === undefined) this.lastId ??= await this.deps.tail(this.options.chatId);
      let failures = 0;
      let hostIndex = 0;
      while (!this.isClosed) {
        const host = this.deps.hosts[hostIndex % this.deps.hosts.length]!;
        const outcome = await this.connectOnce(WebSocketClass, host);
        if (this.isClosed) break;
        if (outcome.code === CloseCodes.TokenExpired) await this.deps.forceRefresh(outcome.token);
        if (outcome.isResync) continue; // resume at once, same host
        if (outcome.wasOpen) failures = 0;
        else failures++;
        // Refused before open, or put out of the chat: ask the REST API why; 401/403/404 end
        // the subscription (one who was added back in the meantime just reconnects).
        if (!outcome.wasOpen || outcome.code === CloseCodes.Forbidden) {
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

  private advanceMark(mark: unknown): void {
    if (this.options.chatId !== undefined || typeof mark !== 'number') return;
    if (this.mark !== undefined && mark <= this.mark) return;
    this.mark = mark;
    for (const id of this.seenAbove) if (id <= mark) this.seenAbove.delete(id);
  }

  /** One connection, until it closes. */
  private async connectOnce(
    WebSocketClass: WebSocketLike,
    host: string,
  ): Promise<{ wasOpen: boolean; code: number; token: string; isResync: boolean }> {
    const token = await this.deps.accessToken();
    const path = this.options.chatId === undefined ? '/ws' : `/ws/${this.options.chatId}`;
    const position = this.position;
    const resume = position !== undefined ? `position=${position}` : `after=${this.lastId ?? 0}`;
    const url = `${host.replace(/^http/, 'ws')}${path}?${resume}`;
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
      case 'Message': {
        const id: unknown = frame.message?.id;
        if (typeof id !== 'number') return undefined;
        const isKnown =
          this.seen.has(id) ||
          (this.options.chatId !== undefined
            ? // In one chat ids follow commit order: at or below the cursor means already known.
              id <= (this.lastId ?? 0)
            : this.seenAbove.has(id));
        if (!isKnown) {
          this.seen.add(id);
          if (this.seen.size > REMEMBERED_IDS) this.seen.delete(this.seen.values().next().value!);
          this.lastId = Math.max(this.lastId ?? 0, id);
          if (this.options.chatId === undefined) this.seenAbove.add(id);
        }
        // The frame's mark counts once the frame is taken, delivered now or before.
        this.advanceMark(frame.mark);
        // The event, without the mark: positions are this class's business.
        if (!isKnown) this.push({ type: 'Message', message: frame.message });
        return undefined;
      }
      case 'Subscribed':
        this.advanceMark(frame.mark);
        return undefined;
      case 'Read':
      case 'Typing':
      case 'MembersChanged':
      case 'ChatUpdated':
      case 'MessageEdited':
      case 'MessageDeleted':
      case 'Reaction':
        // Changes are not replayed on resume (messages are): the consumer reloads after a
        // reconnect, so these pass through as they come.
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

/** `<mark>` or `<mark>.<id>.<id>…` (the server's /ws position); undefined when malformed. */
function parsePosition(text: string): { mark: number; seen: number[] } | undefined {
  if (!/^\d{1,16}(\.\d{1,16})*$/.test(text)) return undefined;
  const [mark, ...seen] = text.split('.').map(Number) as [number, ...number[]];
  if (![mark, ...seen].every(Number.isSafeInteger)) return undefined;
  return { mark, seen: seen.filter((id) => id > mark) };
}
