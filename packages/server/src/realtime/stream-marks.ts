/**
 * The leader's side of exact resume: it publishes marks of the message stream, "every message
 * with an id ≤ W has committed or aborted, and was announced before this mark" (Synapse calls
 * such a position "persisted up to"). One instance leads, the one whose dedicated connection
 * holds a session advisory lock; when it dies its connection ends and another one takes over.
 *
 * A mark is computed in two steps, in this order:
 *   1. L = the last id drawn from the sequence: every message ≤ L has drawn its id;
 *   2. H = the transactions inserting messages now (each holds the sending lock from before it
 *      draws an id, see migrations/003-stream.ts): every sender of an id ≤ L is in H or done.
 * Once none of H is still in flight, L is a mark (persisted-up-to.ts). It is announced with
 * `msgr_publish()`: a NOTIFY, which PostgreSQL delivers in commit order, after every message it
 * covers, on every instance; or, with an engine bus, an outbox row, whose id is drawn after every
 * message row it covers has committed, and the relay goes in id order (outbox-relay.ts).
 *
 * The same leader relays the outbox when the bus has one: `isLeader` is what the relay asks.
 */
import pg from 'pg';
import type { Database } from '../db/database.js';
import * as R from '../db/realtime-queries.js';
import type { Logger } from '../logger.js';
import { PersistedUpTo } from './persisted-up-to.js';

const LEADER_LOCK = [7238, 0] as const;
/** While messages flow, a mark at most this long after them… */
const BUSY_TICK_MS = 25;
/** …and when nothing is heard, a check this often (leadership, and a mark that may be due). */
const IDLE_TICK_MS = 1000;

export class StreamMarker {
  private leader: pg.Client | undefined;
  private isClosed = false;
  private timer: NodeJS.Timeout | undefined;
  private timerDueAt = 0;
  private isTicking = false;
  private readonly marks = new PersistedUpTo();

  constructor(
    private readonly databaseUrl: string,
    private readonly db: Database,
    private readonly logger: Logger,
  ) {}

  get isLeader(): boolean {
    return this.leader !== undefined;
  }

  start(): void {
    this.schedule(0);
  }

  /** Messages were announced: a mark is worth computing soon. */
  poke(): void {
    if (this.isLeader) this.schedule(BUSY_TICK_MS);
  }

  /** A tick in `ms`, unless one is due sooner already. */
  private schedule(ms: number): void {
    if (this.isClosed) return;
    const dueAt = Date.now() + ms;
    if (this.timer && this.timerDueAt <= dueAt) return;
    clearTimeout(this.timer);
    this.timerDueAt = dueAt;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick();
    }, ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.isTicking) return;
    this.isTicking = true;
    let next = IDLE_TICK_MS;
    try {
      if (!this.leader) await this.tryToLead();
      if (this.leader && (await this.advance())) next = BUSY_TICK_MS;
    } catch (err) {
      this.logger.warn({ err }, 'stream mark failed');
    } finally {
      this.isTicking = false;
      this.schedule(next);
    }
  }

  private async tryToLead(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.databaseUrl,
      application_name: 'msgr-stream-leader',
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
    });
    client.on('error', () => this.resign(client));
    client.on('end', () => this.resign(client));
    try {
      await client.connect();
      const { rows } = await client.query<{ ok: boolean }>(
        'SELECT pg_try_advisory_lock($1, $2) AS ok',
        [...LEADER_LOCK],
      );
      if (rows[0]?.ok && !this.isClosed) {
        this.leader = client;
        const [stored] = await this.db.query<{ up_to: number }>(R.storedMark);
        this.marks.reset(stored?.up_to ?? 0);
        this.logger.info('leading the stream marks');
        return;
      }
    } catch (err) {
      this.logger.debug({ err }, 'stream leader connection failed');
    }
    client.removeAllListeners('end');
    await client.end().catch(() => undefined);
  }

  private resign(client: pg.Client): void {
    if (this.leader !== client) return;
    this.leader = undefined;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    this.logger.warn('stopped leading the stream marks');
  }

  /** One step; true when messages are in flight or a mark was published (tick again soon). */
  private async advance(): Promise<boolean> {
    const [drawn] = await this.db.query<{ last: number }>(R.lastDrawnSeq);
    const [inFlight] = await this.db.query<{ holders: string[] }>(R.sendersInFlight);
    const published = this.marks.value;
    const mark = this.marks.observe(drawn?.last ?? 0, new Set(inFlight?.holders ?? []));
    if (mark > published) {
      await this.db.query(R.publishMark, [mark]).catch((err: unknown) => {
        this.marks.reset(published);
        throw err;
      });
      return true;
    }
    return this.marks.isWaiting;
  }

  async close(): Promise<void> {
    this.isClosed = true;
    clearTimeout(this.timer);
    const leader = this.leader;
    this.leader = undefined;
    if (leader) {
      leader.removeAllListeners('end');
      await leader.end().catch(() => undefined);
    }
  }
}
