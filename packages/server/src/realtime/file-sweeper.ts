/**
 * The file sweep on the stream leader (domain/files.ts `sweepFiles`): expired uploads, orphaned
 * files, unreferenced bytes, a few batches each FILE_SWEEP_INTERVAL_MS.
 */
import { sweepFiles, type Swept } from '../domain/files.js';
import type { Services } from '../services.js';
import { LeaderTask } from './leader-task.js';

/** Batches per turn at most (the rest waits for the next turn). */
const BATCHES_PER_TURN = 20;
const BATCH = 100;

export class FileSweeper {
  private readonly task: LeaderTask;

  constructor(
    private readonly services: Services,
    private readonly leadership: { readonly isLeader: boolean },
  ) {
    this.task = new LeaderTask(
      'sweeping files',
      services.config.fileSweepIntervalMs,
      services.logger,
      () => this.sweepNow(),
    );
  }

  start(): void {
    this.task.start();
  }

  /** One turn, when leading; answers what went. */
  async sweepNow(): Promise<Swept> {
    const total: Swept = { uploads: 0, files: 0, blobs: 0 };
    for (let i = 0; i < BATCHES_PER_TURN && this.leadership.isLeader && !this.task.closed; i++) {
      const swept = await sweepFiles(this.services, BATCH);
      total.uploads += swept.uploads;
      total.files += swept.files;
      total.blobs += swept.blobs;
      if (swept.uploads < BATCH && swept.files < BATCH && swept.blobs < BATCH) break;
    }
    return total;
  }

  close(): void {
    this.task.close();
  }
}
