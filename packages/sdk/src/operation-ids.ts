import { sleep } from './backoff.js';

/**
 * Where a client's operation ids come from (option `operationIds` of `MessengerClient`). Each
 * call answers an int16 (−32768..32767) that is not bound to another message of the same user
 * on the server: not handed out again inside the idempotency window. The default keeps a
 * counter in memory; share one source between processes (the `msgr` CLI keeps its counter in a
 * file) to keep that promise across runs.
 *
 * @example
 * let next = 0;
 * const operationIds: OperationIdSource = { next: async () => (next++ % 65_536) - 32_768 };
 */
export interface OperationIdSource {
  /** The next free id; may wait for one (then it stops waiting when `signal` aborts). */
  next(signal?: AbortSignal): Promise<number>;
  /**
   * The server said `id` is bound to another message of the user (another device of theirs took
   * it): the source should move away from it before the next `next()`. Optional.
   */
  conflicted?(id: number): void;
}

const SPAN = 65_536;
const MIN = -32_768;

/**
 * Operation ids for sends: a counter from a random int16 start, wrapping. The server binds an id
 * to its message for a window (IDEMPOTENCY_WINDOW_SECONDS, 300 by default); an id still inside
 * its window is never reused: `next()` waits instead. That caps one client at 65,536 sends per
 * window (~218/s for 5 minutes), far above what people type.
 */
export class OperationIds implements OperationIdSource {
  private counter: number;
  /** When each id was last handed out (ms); allocated on first use. */
  private issuedAt: Float64Array | undefined;

  constructor(
    private readonly windowMs: number,
    private readonly random: () => number = Math.random,
  ) {
    this.counter = Math.floor(random() * SPAN);
  }

  /**
   * Another device of the user holds `id`. Its counter may walk the same stretch of ids as this
   * one, so the next id after `id` is likely taken too: jump to a new random place instead.
   */
  conflicted(): void {
    this.counter = Math.floor(this.random() * SPAN);
  }

  async next(signal?: AbortSignal): Promise<number> {
    this.issuedAt ??= new Float64Array(SPAN);
    const slot = this.counter;
    this.counter = (this.counter + 1) % SPAN;
    const last = this.issuedAt[slot]!;
    if (last > 0) {
      // A little margin over the window: clocks of client and server are not the same clock.
      const freeAt = last + this.windowMs + 1000;
      const wait = freeAt - Date.now();
      if (wait > 0) await sleep(wait, signal);
    }
    this.issuedAt[slot] = Date.now();
    return slot + MIN;
  }
}
