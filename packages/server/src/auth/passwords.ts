import os from 'node:os';
import bcrypt from 'bcrypt';
import { UnavailableError } from '../domain/errors.js';

/**
 * Hashes at once by default: 2, and never every core, so that a login storm leaves a core to
 * the event loop (and, on a small machine, to PostgreSQL): on 2 cores two hashes took both and
 * sends slowed 2-3× during a storm (bench: login-storm).
 */
export function defaultHashConcurrency(cores = os.availableParallelism()): number {
  return Math.max(1, Math.min(2, cores - 1));
}

/**
 * bcrypt, asynchronous and bounded: at most `concurrency` hashes run at once on libuv's thread
 * pool (4 threads by default), so a login storm queues here instead of stalling everything else
 * that needs those threads or the CPU; and at most `maxWaiting` wait, so the storm is told to
 * come back (503 with Retry-After) instead of waiting without end.
 */
export class PasswordHasher {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly rounds: number,
    private readonly maxWaiting = 64,
    private readonly concurrency = defaultHashConcurrency(),
  ) {}

  hash(password: string): Promise<string> {
    return this.bounded(() => bcrypt.hash(password, this.rounds));
  }

  /**
   * Checks `password` against `hash`; with no hash (unknown user) it still spends the same time
   * on a dummy hash, so the answer does not tell whether the account exists.
   */
  async verify(password: string, hash: string | undefined): Promise<boolean> {
    // Outside the bound: a full queue must not leave a refused promise here for good.
    this.dummyHash ??= bcrypt.hash('msgr-timing-equaliser', this.rounds);
    const target = hash ?? (await this.dummyHash);
    const isMatch = await this.bounded(() => bcrypt.compare(password, target));
    return hash !== undefined && isMatch;
  }

  private async bounded<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency && this.waiting.length >= this.maxWaiting) {
      throw new UnavailableError(
        'busy',
        'too many logins and registrations at once: try again shortly',
        1,
      );
    }
    if (this.running >= this.concurrency) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
