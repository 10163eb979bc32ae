/**
 * The default bus: one dedicated PostgreSQL connection per instance that LISTENs on
 * `msgr_events`. Writers call pg_notify inside their transaction (`msgr_publish()`), so an event
 * leaves only when its data is committed, and PostgreSQL delivers in commit order. Payloads carry
 * ids, never text (8000-byte limit, and identical payloads in one transaction collapse into one).
 *
 * If the connection dies, notifications sent meanwhile are lost: the bus reconnects by itself
 * (LISTEN first) and then reports `resync`, so sockets can resume from the table.
 */
import pg from 'pg';
import { withDeadline, type Database } from '../db/database.js';
import { notify } from '../db/messages-queries.js';
import type { Logger } from '../logger.js';
import { Bus, type BusEvent } from './bus.js';

export const CHANNEL = 'msgr_events';

/**
 * A path to the database that died without a FIN leaves a LISTEN connection waiting on the OS
 * keepalive (about two hours): a round trip this often, with this deadline, notices in seconds.
 */
export const PROBE_EVERY_MS = 2000;
export const PROBE_DEADLINE_MS = 2000;

export class PostgresBus extends Bus {
  readonly kind = 'postgres';
  readonly usesOutbox = false;
  private client: pg.Client | undefined;
  private isClosed = false;
  private hasConnectedOnce = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  constructor(
    private readonly databaseUrl: string,
    private readonly db: Database,
    private readonly logger: Logger,
  ) {
    super();
  }

  /** True while the LISTEN connection is up. */
  get isConnected(): boolean {
    return this.client !== undefined;
  }

  /** Connects and LISTENs; resolves on the first success (retrying until then). */
  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(attempt = 0): Promise<void> {
    if (this.isClosed) return;
    const client = new pg.Client({
      connectionString: this.databaseUrl,
      application_name: 'msgr-listener',
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      connectionTimeoutMillis: 5_000,
    });
    // Without an error listener a dropped idle connection would crash the process.
    client.on('error', (err) => {
      this.logger.warn({ err }, 'event listener connection failed');
      this.lost(client);
    });
    client.on('end', () => this.lost(client));
    client.on('notification', (n) => this.onNotification(n));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      if (this.isClosed) return;
      const delay = Math.min(2000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2);
      this.logger.warn({ err, delay }, 'event listener cannot connect: retrying');
      if (!this.hasConnectedOnce && attempt >= 8) throw err;
      await new Promise<void>((resolve) => {
        this.retryTimer = setTimeout(resolve, delay);
      });
      return this.connect(attempt + 1);
    }
    if (this.isClosed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    clearInterval(this.probeTimer);
    this.probeTimer = setInterval(() => void this.probe(client), PROBE_EVERY_MS);
    this.probeTimer.unref();
    if (this.hasConnectedOnce) {
      this.stats.reconnects++;
      this.logger.info('event listener reconnected');
      this.emit('resync');
    }
    this.hasConnectedOnce = true;
  }

  private async probe(client: pg.Client): Promise<void> {
    try {
      await withDeadline(client, PROBE_DEADLINE_MS, client.query('SELECT 1'));
    } catch (err) {
      if (this.client !== client) return;
      this.logger.warn({ err }, 'event listener did not answer in time');
      this.lost(client);
    }
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    clearInterval(this.probeTimer);
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    if (!this.isClosed) {
      this.logger.warn('event listener lost its connection: reconnecting');
      void this.connect().catch((err: unknown) => {
        // connect() only throws before the first success, which has already happened.
        this.logger.error({ err }, 'event listener reconnect failed');
      });
    }
  }

  private onNotification(n: pg.Notification): void {
    if (n.channel !== CHANNEL || !n.payload) return;
    this.stats.notifications++;
    let event: BusEvent;
    try {
      event = JSON.parse(n.payload) as BusEvent;
    } catch (err) {
      this.logger.warn({ err }, 'ignoring a malformed notification');
      return;
    }
    this.emit('event', event);
  }

  publishEphemeral(event: BusEvent): Promise<void> {
    return this.db.query(notify, [JSON.stringify(event)]).then(() => undefined);
  }

  relay(): Promise<void> {
    return Promise.reject(new Error('the PostgreSQL bus has no outbox to relay'));
  }

  async close(): Promise<void> {
    this.isClosed = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.probeTimer);
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
  }
}
