/** An in-memory token bucket: `capacity` at most, refilled at `perSecond`. For one socket's frames. */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    now = Date.now(),
  ) {
    this.tokens = capacity;
    this.updatedAt = now;
  }

  /** Takes one token; false when there is none (the caller drops or refuses). */
  take(now = Date.now()): boolean {
    const refill = (Math.max(0, now - this.updatedAt) / 1000) * this.perSecond;
    this.tokens = Math.min(this.capacity, this.tokens + refill);
    this.updatedAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
