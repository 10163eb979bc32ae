/**
 * The relay of an engine bus (Redis, NATS): the stream leader (stream-marks.ts) reads committed
 * outbox rows and publishes them, in id order, after commit — never a row that did not commit,
 * never one out of order:
 *
 * - only rows up to the outbox's own "persisted up to" (persisted-up-to.ts over the outbox
 *   sequence and its publishing lock, migrations/005-bus.ts): below it no transaction can still
 *   commit a row, so what is relayed is a prefix of the final order and every instance hears the
 *   same one;
 * - in batches that name the last id relayed before them, so a subscriber notices a batch it
 *   never got (bus-inbound.ts);
 * - `bus_relay.up_to` moves (and relayed rows are deleted) only once the engine took the batch.
 *   A leader that dies between the two leaves the rows to the next leader, which publishes them
 *   again: at-least-once, made exact by subscribers dropping ids they have heard.
 *
 * A poll loop, short while rows flow: a NOTIFY per send to wake it would bring back the single
 * commit-order queue this bus exists to avoid.
 */
import type { Database } from '../db/database.js';
import * as R from '../db/realtime-queries.js';
import type { Logger } from '../logger.js';
import type { RelayStats } from '../metrics.js';
import type { Bus } from './bus.js';
import { PersistedUpTo } from './persisted-up-to.js';

/** Rows per read (one or more published messages, see bus-inbound.ts's size cap). */
const BATCH_ROWS = 1000;
/** While rows flow or a transaction is in flight: look again this soon… */
const BUSY_POLL_MS = 5;
/** …when nothing moved… */
const IDLE_POLL_MS = 20;
/** …while another instance leads, or after a failure. */
const STANDBY_POLL_MS = 250;

export class OutboxRelay {
  readonly stats: RelayStats = { relayed: 0, failures: 0 };
  private readonly persisted = new PersistedUpTo();
  /** The last id relayed (`bus_relay.up_to` as this leader knows it); undefined: read it. */
  private relayed: number | undefined;
  /** Rows up to here were read (ids above `relayed` may be gaps: aborted transactions). */
  private scanned = 0;
  private timer: NodeJS.Timeout | undefined;
  private isClosed = false;

  constructor(
    private readonly db: Database,
    private readonly bus: Bus,
    private readonly leadership: { readonly isLeader: boolean },
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.isClosed) return;
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    let next = STANDBY_POLL_MS;
    try {
      if (this.leadership.isLeader) next = await this.step();
      else this.relayed = undefined;
    } catch (err) {
      this.stats.failures++;
      // Start over from what the database says was relayed.
      this.relayed = undefined;
      this.logger.warn({ err }, 'outbox relay failed: retrying');
    } finally {
      this.schedule(next);
    }
  }

  /** One step as leader; resolves with when to look again. */
  private async step(): Promise<number> {
    if (this.relayed === undefined) {
      const [row] = await this.db.query<{ up_to: number }>(R.relayedUpTo);
      this.relayed = this.scanned = row?.up_to ?? 0;
      this.persisted.reset(this.relayed);
    }
    const [flight] = await this.db.query<{ last: number; holders: string[] }>(R.outboxInFlight);
    const upTo = this.persisted.observe(flight?.last ?? 0, new Set(flight?.holders ?? []));
    if (upTo <= this.scanned) return this.persisted.isWaiting ? BUSY_POLL_MS : IDLE_POLL_MS;
    const rows = await this.db.query<{ id: number; payload: string }>(R.outboxRows, [
      this.scanned,
      upTo,
      BATCH_ROWS,
    ]);
    const isFull = rows.length === BATCH_ROWS;
    // Everything up to `upTo` is read unless the page was full.
    const scanned = isFull ? rows[rows.length - 1]!.id : upTo;
    if (rows.length > 0) {
      const last = rows[rows.length - 1]!.id;
      await this.bus.relay({ after: this.relayed, rows: rows.map((r) => [r.id, r.payload]) });
      await this.db.query(R.saveRelayed, [last]);
      this.relayed = last;
      this.stats.relayed += rows.length;
    }
    this.scanned = scanned;
    return isFull ? 0 : BUSY_POLL_MS;
  }

  close(): void {
    this.isClosed = true;
    clearTimeout(this.timer);
  }
}
