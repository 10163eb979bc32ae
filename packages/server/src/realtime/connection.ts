/**
 * One client socket: its subscription, its replay-then-live seam, liveness and back-pressure.
 * The hub decides what to send; this class decides when it may leave.
 */
import type { WebSocket } from 'ws';
import type { AuthUser } from '../auth/tokens.js';
import { createLogger, type Logger } from '../logger.js';
import { CloseCode, type Position } from './protocol.js';
import { TokenBucket } from './token-bucket.js';

/**
 * Over this many bytes waiting for the client (the send buffer, plus live frames held while a
 * replay runs) a socket is "behind"…
 */
const SOFT_BUFFER_BYTES = 1024 * 1024;
/** …and if it stays behind this long, or passes the hard limit, it is closed with 1013. */
const BEHIND_FOR_MS = 10_000;
const HARD_BUFFER_BYTES = 16 * 1024 * 1024;

/** Frames of any kind a client may send: a burst of 40, then 20 a second; more closes (1008). */
const FRAME_BURST = 40;
const FRAMES_PER_SECOND = 20;
/** Typing frames: a burst of 5, then 2 a second; more are dropped before any lookup. */
const TYPING_BURST = 5;
const TYPING_PER_SECOND = 2;

/** A frame's text, or (what the hub sends) its UTF-8 bytes, encoded once for every socket. */
export type Frame = Buffer | string;

let nextId = 1;
const SILENT = createLogger('silent');

export class Connection {
  readonly id = nextId++;
  /** The upgrade request's logger, with this socket's id: every line about it carries both. */
  readonly log: Logger;
  /** False once a ping went unanswered; the next heartbeat then drops the socket. */
  isAlive = true;
  /** True once this socket holds a lease of the per-user cap (to release on close). */
  hasLease = false;
  /** What this client may send: every frame counts here… */
  readonly frameBudget = new TokenBucket(FRAME_BURST, FRAMES_PER_SECOND);
  /** …and Typing frames here too. */
  readonly typingBudget = new TokenBucket(TYPING_BURST, TYPING_PER_SECOND);
  private isReplaying: boolean;
  /** Live frames that arrived during replay, with their message id when they carry one. */
  private pending: { frame: Frame; chatId: number | undefined; messageId: number | undefined }[] =
    [];
  /** Bytes of `pending`: they count toward the socket's buffer limits like unsent bytes. */
  private pendingBytes = 0;
  /**
   * Per chat, the highest message id the replay sent. Ids inside a chat follow commit order, so
   * a live message at or below it was already in the replay's snapshot: a duplicate, even when
   * its notification is handled after the replay ended.
   */
  private readonly replayedUpTo = new Map<number, number>();
  /**
   * A /ws socket resumed from a position: the client has every message up to `floor` and the
   * ids of `seenAbove`. A live notification for one of them, still queued when this socket
   * registered, is a duplicate.
   */
  private readonly floor: number;
  private readonly seenAbove: ReadonlySet<number>;
  private readonly onClose: ((code: number) => void) | undefined;
  private behindSince: number | undefined;
  /** Looks again once a socket behind has been so for BEHIND_FOR_MS, writes or no writes. */
  private behindTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly user: AuthUser,
    /** The one chat of /ws/{chat_id}; undefined for /ws (all the user's chats). */
    readonly chatId: number | undefined,
    {
      after,
      position,
      log = SILENT,
      onClose,
    }: {
      /** Told of every close this side decides (its code), for the metrics. */
      onClose?: (code: number) => void;
      /** The client's resume cursor: replay what follows it first. */
      after?: number | undefined;
      /** Or, on /ws, the client's position: replay what it lacks first. */
      position?: Position | undefined;
      /** Where lines about this socket go (its upgrade request's logger); nowhere by default. */
      log?: Logger;
    },
  ) {
    this.onClose = onClose;
    this.isReplaying = after !== undefined || position !== undefined;
    this.floor = position?.mark ?? 0;
    this.seenAbove = new Set(position?.seen);
    // In one chat the client has everything up to its cursor: a live notification for such a
    // message, still queued when this socket registered, would be a duplicate. (Across chats
    // ids do not follow commit order, so /ws cannot assume the same.)
    if (chatId !== undefined && after !== undefined) this.replayedUpTo.set(chatId, after);
    this.log = log.child({ socket: this.id });
    ws.on('pong', () => {
      this.isAlive = true;
    });
    if (user.expiresAt !== undefined) {
      // Sockets outlive tokens: close when the token expires (the client refreshes and resumes).
      const ms = Math.max(0, user.expiresAt - Date.now());
      this.expiryTimer = setTimeout(
        () => this.close(CloseCode.TokenExpired, 'access token expired'),
        Math.min(ms, 2 ** 31 - 1),
      );
    }
  }

  get isOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /**
   * A live frame (its encoded bytes, shared by every socket it goes to): sent now, or held until
   * the replay is done. Message frames name their id.
   */
  deliver(frame: Frame, message?: { chatId: number; id: number }): void {
    if (this.isReplaying) {
      this.pending.push({ frame, chatId: message?.chatId, messageId: message?.id });
      this.pendingBytes += frame.length;
      this.checkBackPressure();
    } else if (!message || !this.wasReplayed(message.chatId, message.id)) {
      this.write(frame);
    }
  }

  /** A replayed message frame. */
  replay(frame: Frame, message: { chatId: number; id: number }): void {
    if (this.wasReplayed(message.chatId, message.id)) return;
    this.replayedUpTo.set(message.chatId, message.id);
    this.write(frame);
  }

  /**
   * Ends the replay: sends `first` (when given), then the held live frames, skipping messages
   * the replay already sent.
   */
  finishReplay(first?: Frame): void {
    const pending = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.isReplaying = false;
    if (first !== undefined) this.write(first);
    for (const { frame, chatId, messageId } of pending) {
      if (chatId === undefined || !this.wasReplayed(chatId, messageId!)) this.write(frame);
    }
  }

  private wasReplayed(chatId: number, id: number): boolean {
    return id <= this.floor || this.seenAbove.has(id) || id <= (this.replayedUpTo.get(chatId) ?? 0);
  }

  private write(frame: Frame): void {
    if (!this.isOpen) return;
    // A text frame either way; a Buffer is written as it is (ws neither copies nor masks it).
    this.ws.send(frame, { binary: false });
    this.checkBackPressure();
  }

  /** Closes a socket whose send buffer stays over its limit, instead of growing memory. */
  checkBackPressure(now = Date.now()): void {
    const buffered = this.ws.bufferedAmount + this.pendingBytes;
    if (buffered < SOFT_BUFFER_BYTES) {
      this.behindSince = undefined;
      clearTimeout(this.behindTimer);
      this.behindTimer = undefined;
      return;
    }
    this.behindSince ??= now;
    if (buffered > HARD_BUFFER_BYTES || now - this.behindSince > BEHIND_FOR_MS) {
      this.close(CloseCode.TryAgainLater, 'too far behind: resume from your position');
      return;
    }
    // A flood that stops leaves no write to look again: a timer does.
    this.behindTimer ??= setTimeout(
      () => {
        this.behindTimer = undefined;
        this.checkBackPressure();
      },
      Math.max(0, this.behindSince + BEHIND_FOR_MS + 1 - Date.now()),
    );
    this.behindTimer.unref();
  }

  close(code: number, reason: string): void {
    clearTimeout(this.expiryTimer);
    clearTimeout(this.behindTimer);
    this.pending = [];
    this.pendingBytes = 0;
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) {
      this.onClose?.(code);
      this.ws.close(code, reason);
    }
  }

  dispose(): void {
    clearTimeout(this.expiryTimer);
    clearTimeout(this.behindTimer);
  }
}
