/**
 * One client socket: its subscription, its replay-then-live seam, liveness and back-pressure.
 * The hub decides what to send; this class decides when it may leave.
 */
import type { WebSocket } from 'ws';
import type { AuthUser } from '../auth/tokens.js';
import { createLogger, type Logger } from '../logger.js';
import { CloseCode } from '../contract/frames.js';
import type { Position } from '../contract/position.js';
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

/** Where a logged frame is: its chat and seq (a Message's seq is its id). */
export interface Place {
  chatId: number;
  seq: number;
  isMessage: boolean;
}

/** What a socket asks to have replayed before it goes live. */
export type Resume = { after: number } | { position: Position } | undefined;

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
  /** Live frames that arrived during replay, with their place when they are logged. */
  private pending: { frame: Frame; place: Place | undefined }[] = [];
  /** Bytes of `pending`: they count toward the socket's buffer limits like unsent bytes. */
  private pendingBytes = 0;
  /**
   * Per chat, the highest seq the replay sent. Seqs inside a chat follow commit order, so a
   * live event at or below it was already in the replay's snapshot: a duplicate, even when its
   * announcement is handled after the replay ended.
   */
  private readonly replayedUpTo = new Map<number, number>();
  /**
   * A socket resumed from a position: the client has every event up to `floor` and the seqs of
   * `seenAbove`. A live announcement of one of them, still queued when this socket registered,
   * is a duplicate.
   */
  private readonly floor: number;
  private readonly seenAbove: ReadonlySet<number>;
  /** Resumed with ?after=: only messages were replayed, so only they can be duplicates. */
  private readonly isMessagesOnly: boolean;
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
      resume,
      log = SILENT,
      onClose,
    }: {
      /** Told of every close this side decides (its code), for the metrics. */
      onClose?: (code: number) => void;
      /** What the client lacks, replayed before it goes live (?after= or ?position=). */
      resume?: Resume;
      /** Where lines about this socket go (its upgrade request's logger); nowhere by default. */
      log?: Logger;
    },
  ) {
    this.onClose = onClose;
    this.isReplaying = resume !== undefined;
    this.isMessagesOnly = resume !== undefined && 'after' in resume;
    const position = resume && 'position' in resume ? resume.position : undefined;
    this.floor = position?.mark ?? 0;
    this.seenAbove = new Set(position?.seen);
    // In one chat the client has everything up to its cursor: a live announcement of such a
    // message, still queued when this socket registered, would be a duplicate. (Across chats
    // seqs do not follow commit order, so /ws cannot assume the same.)
    if (chatId !== undefined && resume && 'after' in resume) {
      this.replayedUpTo.set(chatId, resume.after);
    }
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
   * the replay is done. Logged frames name their place.
   */
  deliver(frame: Frame, place?: Place): void {
    if (this.isReplaying) {
      this.pending.push({ frame, place });
      this.pendingBytes += frame.length;
      this.checkBackPressure();
    } else if (!this.isKnown(place)) {
      this.write(frame);
    }
  }

  /** A replayed frame. */
  replay(frame: Frame, place: Place): void {
    if (this.isKnown(place)) return;
    this.replayedUpTo.set(place.chatId, place.seq);
    this.write(frame);
  }

  /**
   * Ends the replay: sends `first` (when given), then the held live frames, skipping those the
   * replay already sent.
   */
  finishReplay(...first: Frame[]): void {
    const pending = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.isReplaying = false;
    for (const frame of first) this.write(frame);
    for (const { frame, place } of pending) if (!this.isKnown(place)) this.write(frame);
  }

  /** True when the client has this logged event already (it was replayed, or it said so). */
  private isKnown(place: Place | undefined): boolean {
    if (!place || (this.isMessagesOnly && !place.isMessage)) return false;
    const { chatId, seq } = place;
    return (
      seq <= this.floor || this.seenAbove.has(seq) || seq <= (this.replayedUpTo.get(chatId) ?? 0)
    );
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
