/**
 * Retention of the log (EVENT_RETENTION_DAYS): the stream leader deletes the oldest events in
 * small batches (db/log-queries.ts `trimLog`), each its own short statement, so writers, which
 * append at the other end, never wait for it. Each batch moves the log's floor with it: a
 * position below the floor has expired.
 */
import type { Database } from '../db/database.js';
import * as L from '../db/log-queries.js';
import type { Logger } from '../logger.js';
import { LeaderTask } from './leader-task.js';

/** Events per statement… */
const BATCH = 1000;
/** …and at most this many statements per turn (the rest waits for the next turn). */
const BATCHES_PER_TURN = 50;

export class LogTrimmer {
  private readonly task: LeaderTask;
  /** Events trimmed by this instance (as leader). */
  trimmed = 0;

  constructor(
    private readonly db: Database,
    private readonly leadership: { readonly isLeader: boolean },
    logger: Logger,
    private readonly retentionSeconds: number,
    everyMs: number,
  ) {
    this.task = new LeaderTask('trimming the log', everyMs, logger, () => this.trimNow());
  }

  start(): void {
    if (this.retentionSeconds === 0) return; // kept for ever
    this.task.start();
  }

  /**
   * One turn, when leading: batches until the oldest event left is young enough (or the turn is
   * used up). Answers how many events went.
   */
  async trimNow(): Promise<number> {
    let total = 0;
    for (let i = 0; i < BATCHES_PER_TURN && this.leadership.isLeader && !this.task.closed; i++) {
      const [row] = await this.db.query<{ trimmed: number }>(L.trimLog, [
        this.retentionSeconds,
        BATCH,
      ]);
      const trimmed = row?.trimmed ?? 0;
      total += trimmed;
      if (trimmed < BATCH) break;
    }
    this.trimmed += total;
    return total;
  }

  close(): void {
    this.task.close();
  }
}
