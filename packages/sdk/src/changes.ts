/**
 * Every change after a position, over plain HTTP (`GET /sync` long-polls): for apps without a
 * socket — scripts, bots, workers. An async iterable like a subscription, with the same
 * `position` to keep across restarts. It goes on until you leave the loop, `close()` it or
 * abort its signal — or, with `untilCaughtUp`, once it has yielded every change there was.
 */
import { backoffDelay, sleep } from './backoff.js';
import { MessengerError } from './errors.js';
import { Limits } from './generated/constants.js';
import type { components } from './generated/openapi.js';
import { Position } from './position.js';
import type { ChangeEvent } from './types.js';

/** The server's answer, frames with their places. */
export type SyncAnswer = components['schemas']['SyncAnswer'];

/** Options of {@link MessengerClient.changes}. */
export interface ChangesOptions {
  /** Where to start: a position from `sync()`, a subscription or an earlier iterator. Default: now. */
  position?: string;
  /**
   * Seconds a poll waits on the server for a change when there is none yet (0..60). Default 30.
   */
  waitSeconds?: number;
  /**
   * End the iteration once caught up: after the first poll that brings less than a full page
   * (a cron job's catch-up; with `waitSeconds`, the first poll waits that long for a change).
   * Default false: go on for ever.
   */
  untilCaughtUp?: boolean;
  /** Events per poll (1..1000). Default 1000. */
  limit?: number;
  /** Ends the iteration. */
  signal?: AbortSignal;
}

/** What a {@link Changes} needs from its client. */
export interface ChangesDeps {
  sync(
    position: string | undefined,
    options: { waitSeconds: number; limit: number; signal: AbortSignal },
  ): Promise<SyncAnswer>;
}

/** Between polls that do not wait on the server (`waitSeconds: 0`). */
const IDLE_POLL_MS = 1000;
/** Polls that fail with a retryable error wait up to this long before the next. */
const MAX_BACKOFF_MS = 10_000;

/**
 * The changes after a position, one at a time. Keep {@link Changes.position} after handling
 * each event: an app restarted from it gets each event once.
 */
export class Changes implements AsyncIterable<ChangeEvent> {
  private readonly where: Position;
  private readonly stopped = new AbortController();

  constructor(
    private readonly deps: ChangesDeps,
    private readonly options: ChangesOptions = {},
  ) {
    this.where = new Position(options.position);
    options.signal?.addEventListener('abort', () => this.close(), { once: true });
  }

  /**
   * Where the iteration is: after the last event it yielded (and, between polls, as far as the
   * server said). Undefined before the first poll when no position was given.
   */
  get position(): string | undefined {
    return this.where.text;
  }

  /** Stops: the loop ends after the event it is at (a poll under way is aborted). */
  close(): void {
    this.stopped.abort();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<ChangeEvent, void, undefined> {
    const signal = this.stopped.signal;
    const waitSeconds = Math.min(Math.max(this.options.waitSeconds ?? 30, 0), 60);
    const limit = Math.min(Math.max(this.options.limit ?? Limits.maxSyncEvents, 1), 1000);
    let failures = 0;
    try {
      while (!signal.aborted) {
        let answer: SyncAnswer;
        try {
          answer = await this.deps.sync(this.where.text, { waitSeconds, limit, signal });
          failures = 0;
        } catch (err) {
          if (signal.aborted) return;
          if (err instanceof MessengerError && err.code === 'position_expired') {
            // What lay between is gone: on from now, which `position` says at once.
            this.where.reset();
            const now = await this.deps
              .sync(undefined, { waitSeconds: 0, limit, signal })
              .catch(() => undefined);
            if (now) this.where.adopt(now.position);
            yield { type: 'PositionExpired' };
            continue;
          }
          if (!(err instanceof MessengerError && err.isRetryable)) throw err;
          await sleep(backoffDelay(failures++, 250, MAX_BACKOFF_MS), signal);
          continue;
        }
        for (const frame of answer.events) {
          const { seq, mark, ...event } = frame;
          if (this.where.has(seq)) continue;
          this.where.take(seq, mark);
          yield event;
          if (signal.aborted) return;
        }
        this.where.adopt(answer.position);
        const isCaughtUp = answer.events.length < limit;
        if (isCaughtUp && this.options.untilCaughtUp) return;
        // Polls that do not wait on the server wait here instead.
        if (isCaughtUp && waitSeconds === 0) await sleep(IDLE_POLL_MS, signal);
      }
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
  }
}
