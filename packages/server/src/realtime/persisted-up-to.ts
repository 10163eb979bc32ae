/**
 * "Persisted up to" over an id sequence whose inserts hold a shared advisory lock from before
 * they draw an id to the end of their transaction (migrations 003 and 005): given the last id
 * drawn (L) and the transactions holding the lock now (H), every id ≤ L is committed or aborted
 * once none of H is still in flight. Read L first, then H: a transaction that draws an id ≤ L
 * holds the lock by then, so it is in H or already done.
 */
interface Candidate {
  upTo: number;
  holders: Set<string>;
}

export class PersistedUpTo {
  private candidates: Candidate[] = [];

  constructor(private current = 0) {}

  get value(): number {
    return this.current;
  }

  /** True while a candidate still waits for a transaction in flight (look again soon). */
  get isWaiting(): boolean {
    return this.candidates.length > 0;
  }

  /** Starts over from `value` (a new leader, or after a failure). */
  reset(value: number): void {
    this.current = value;
    this.candidates = [];
  }

  /** One observation: `last` drawn, then `holders` in flight; returns the new value. */
  observe(last: number, holders: ReadonlySet<string>): number {
    let upTo = this.current;
    // A candidate is final once none of the transactions it waited for is still in flight.
    this.candidates = this.candidates.filter((c) => {
      for (const h of c.holders) if (holders.has(h)) return true;
      upTo = Math.max(upTo, c.upTo);
      return false;
    });
    if (holders.size === 0) upTo = Math.max(upTo, last);
    else if (last > upTo) this.candidates.push({ upTo: last, holders: new Set(holders) });
    this.current = upTo;
    return upTo;
  }
}
