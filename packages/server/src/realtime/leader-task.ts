/**
 * Housekeeping the stream leader does on a timer (log retention, the file sweep): a turn every
 * `everyMs`, never two at once, a failed turn logged and tried again at the next.
 */
import type { Logger } from '../logger.js';

export class LeaderTask {
  private timer: NodeJS.Timeout | undefined;
  private isClosed = false;

  constructor(
    private readonly what: string,
    private readonly everyMs: number,
    private readonly logger: Logger,
    private readonly turn: () => Promise<unknown>,
  ) {}

  start(): void {
    this.schedule();
  }

  get closed(): boolean {
    return this.isClosed;
  }

  private schedule(): void {
    if (this.isClosed) return;
    this.timer = setTimeout(() => {
      void this.turn()
        .catch((err: unknown) => {
          this.logger.warn({ err }, `${this.what} failed: trying again later`);
        })
        .finally(() => this.schedule());
    }, this.everyMs);
    this.timer.unref();
  }

  close(): void {
    this.isClosed = true;
    clearTimeout(this.timer);
  }
}
