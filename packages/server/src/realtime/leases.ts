/**
 * The per-user WebSocket cap, counted across instances: each socket holds a lease row under
 * this instance's id, and each instance keeps a heartbeat row. Leases of an instance that died
 * without a goodbye (kill -9) stop counting once its heartbeat is older than LIVE_SECONDS, and
 * any instance deletes them later.
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.js';
import * as L from '../db/limits-queries.js';
import type { Logger } from '../logger.js';

const HEARTBEAT_MS = 10_000;
/** An instance silent this long no longer counts (three missed heartbeats). */
const LIVE_SECONDS = 30;
/** …and this long after, its rows are deleted. */
const FORGET_SECONDS = 300;

export class SocketLeases {
  readonly instanceId = randomUUID();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    /** Most sockets per user on all instances together. */
    readonly maxPerUser: number,
  ) {}

  async start(): Promise<void> {
    await this.db.query(L.instanceHeartbeat, [this.instanceId]);
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    try {
      await this.db.query(L.instanceHeartbeat, [this.instanceId]);
      await this.db.query(L.forgetDeadInstances, [FORGET_SECONDS]);
    } catch (err) {
      // While the database is away the cap cannot be counted; sockets keep working.
      this.logger.warn({ err }, 'socket lease heartbeat failed');
    }
  }

  /** Leases a socket for `userId`; false when the user already holds the maximum. */
  async claim(socketId: number, userId: number): Promise<boolean> {
    const [row] = await this.db.query<{ granted: boolean }>(L.claimSocket, [
      this.instanceId,
      socketId,
      userId,
      this.maxPerUser,
      LIVE_SECONDS,
    ]);
    return row?.granted === true;
  }

  release(socketId: number): void {
    this.db.query(L.releaseSocket, [this.instanceId, socketId]).catch((err: unknown) => {
      // The lease then ends with this instance's heartbeat.
      this.logger.warn({ err }, 'releasing a socket lease failed');
    });
  }

  /** Forgets this instance and every lease it held (graceful shutdown). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.db.query(L.forgetInstance, [this.instanceId]).catch((err: unknown) => {
      this.logger.warn({ err }, 'forgetting this instance failed');
    });
  }
}
