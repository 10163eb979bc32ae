import bcrypt from 'bcrypt';

/**
 * bcrypt, asynchronous and bounded: at most `concurrency` hashes run at once on libuv's thread
 * pool (4 threads by default), so a login storm queues here instead of stalling everything else
 * that needs those threads.
 */
export class PasswordHasher {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly rounds: number,
    private readonly concurrency = 2,
  ) {}

  hash(password: string): Promise<string> {
    return this.bounded(() => bcrypt.hash(password, this.rounds));
  }

  /**
   * Checks `password` against `hash`; with no hash (unknown user) it still spends the same time
   * on a dummy hash, so the answer does not tell whether the account exists.
   */
  async verify(password: string, hash: string | undefined): Promise<boolean> {
    this.dummyHash ??= this.hash('msgr-timing-equaliser');
    const target = hash ?? (await this.dummyHash);
    const isMatch = await this.bounded(() => bcrypt.compare(password, target));
    return hash !== undefined && isMatch;
  }

  private async bounded<T>(work: () => Promise<T>): Promise<T> {
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
