/**
 * Where a reader of the log is (the server's position, contract "v1.2 — one log of every
 * change"): the highest `mark` it was sent and the `seq`s above it it took, written `<mark>` or
 * `<mark>.<seq>.<seq>…`. Subscriptions and `changes()` keep one each; resuming from it (a socket's
 * `?position=`, `/sync?position=`) replays every event not taken, exactly once.
 */
import { Limits } from './generated/constants.js';
import { MessengerError } from './errors.js';

/** Seqs remembered besides the position, to drop a duplicate a capped position let through. */
const REMEMBERED_SEQS = 5000;

export class Position {
  private mark: number | undefined;
  /** Seqs above the mark taken (listed in the position, at most the server's limit). */
  private readonly above = new Set<number>();
  private readonly recent = new Set<number>();

  /** `text`: a position to start from; none: the mark comes from the server. */
  constructor(text?: string) {
    if (text !== undefined) this.adopt(text);
  }

  /** The position's text; undefined until a mark is known. */
  get text(): string | undefined {
    if (this.mark === undefined) return undefined;
    const above = [...this.above].sort((a, b) => a - b).slice(-Limits.maxPositionSeqs);
    return [this.mark, ...above].join('.');
  }

  /** True when the event at `seq` was taken already. */
  has(seq: number): boolean {
    return (
      (this.mark !== undefined && seq <= this.mark) || this.above.has(seq) || this.recent.has(seq)
    );
  }

  /** The event at `seq` is taken; the frame carried `mark`, which counts once it is. */
  take(seq: number, mark: unknown): void {
    this.recent.add(seq);
    if (this.recent.size > REMEMBERED_SEQS) this.recent.delete(this.recent.values().next().value!);
    if (this.mark === undefined || seq > this.mark) this.above.add(seq);
    this.advance(mark);
  }

  /** The server says every event up to `mark` was sent (a frame's mark, `Subscribed`). */
  advance(mark: unknown): void {
    if (typeof mark !== 'number' || (this.mark !== undefined && mark <= this.mark)) return;
    this.mark = mark;
    for (const seq of this.above) if (seq <= mark) this.above.delete(seq);
  }

  /** Starts over from `text` (an answer's position, or a position given). */
  adopt(text: string): void {
    if (!/^\d{1,16}(\.\d{1,16})*$/.test(text)) {
      throw new MessengerError(0, 'invalid_argument', `not a position: ${text}`);
    }
    const [mark, ...seqs] = text.split('.').map(Number) as [number, ...number[]];
    if (![mark, ...seqs].every(Number.isSafeInteger)) {
      throw new MessengerError(0, 'invalid_argument', `not a position: ${text}`);
    }
    this.mark = mark;
    this.above.clear();
    for (const seq of seqs) if (seq > mark) this.above.add(seq);
  }

  /** Forgets the mark (the position expired): the next one the server sends starts it again. */
  reset(): void {
    this.mark = undefined;
    this.above.clear();
    this.recent.clear();
  }
}
