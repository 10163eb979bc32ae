/**
 * The bus on Redis (`MSGR_BUS=redis://host:port`): pub/sub on one channel per deployment.
 *
 * Why pub/sub and not Streams: the outbox in PostgreSQL is already the durable, ordered log
 * (outbox-relay.ts), so the engine only has to fan a batch out to every instance, which pub/sub
 * does with one PUBLISH and no state in Redis: nothing to trim, nothing to persist, nothing lost
 * when Redis restarts that the outbox does not still know. What pub/sub cannot say — whether a
 * subscriber missed something — the batches say themselves (bus-inbound.ts: each names the last
 * id before it), and a lost connection is a `resync`, exactly as with LISTEN. A Stream would let
 * an instance that lost its connection for a moment go on without a Resync, at the cost of a
 * second log to size and trim; a resync is cheap (clients resume from their positions).
 *
 * Two connections: a subscriber (a connection in subscribe mode can do nothing else) and a
 * publisher for the relay and Typing. The subscriber is probed every 2 s with a deadline, so a
 * dead path is noticed in seconds; it reconnects by itself, subscribes, and only once Redis has
 * confirmed the subscription says `resync` (a socket that replays after that hears the rest live).
 */
import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { Bus, type BusEvent, type OutboxBatch } from './bus.js';
import { encodeBatch, encodeEphemeral, splitBatch, StreamInbound } from './bus-inbound.js';
import { PROBE_DEADLINE_MS, PROBE_EVERY_MS } from './bus-postgres.js';

/** How long the first connection may take before start() gives up. */
const FIRST_CONNECT_MS = 20_000;
const RELAY_DEADLINE_MS = 5_000;

function backoff(attempt: number): number {
  return Math.min(2000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2);
}

export class RedisBus extends Bus {
  readonly kind = 'redis';
  readonly usesOutbox = true;
  private readonly subscriber: Redis;
  private readonly publisher: Redis;
  private readonly inbound: StreamInbound;
  private isSubscribed = false;
  private hasSubscribedOnce = false;
  private isClosed = false;
  private probeTimer: NodeJS.Timeout | undefined;

  constructor(
    url: string,
    private readonly channel: string,
    private readonly logger: Logger,
  ) {
    super();
    const options = {
      lazyConnect: true,
      // Resubscribing is ours: `resync` must wait for Redis to confirm it (see above).
      autoResubscribe: false,
      retryStrategy: (attempt: number) => backoff(attempt),
      connectTimeout: 5_000,
      keepAlive: 10_000,
      connectionName: 'msgr-bus',
    };
    this.subscriber = new Redis(url, { ...options, maxRetriesPerRequest: null });
    // The relay retries a batch itself: a command fails at once while Redis is away.
    this.publisher = new Redis(url, {
      ...options,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    });
    this.inbound = new StreamInbound(
      this.stats,
      logger,
      (e) => this.emit('event', e),
      () => this.emit('resync'),
    );
    // Without error listeners a refused connection would crash the process.
    this.subscriber.on('error', (err) => this.logger.debug({ err }, 'redis subscriber error'));
    this.publisher.on('error', (err) => this.logger.debug({ err }, 'redis publisher error'));
    this.subscriber.on('close', () => this.lost());
    this.subscriber.on('ready', () => void this.subscribe());
    this.subscriber.on('message', (channel: string, text: string) => {
      if (channel === this.channel) this.inbound.accept(text);
    });
  }

  get isConnected(): boolean {
    return this.isSubscribed;
  }

  async start(): Promise<void> {
    const deadline = Date.now() + FIRST_CONNECT_MS;
    this.subscriber.connect().catch(() => undefined);
    this.publisher.connect().catch(() => undefined);
    // The publisher too: the relay's first batch should not fail for want of a connection.
    while (!this.isSubscribed || this.publisher.status !== 'ready') {
      if (this.isClosed) return;
      if (Date.now() > deadline) {
        throw new Error(`cannot subscribe to Redis within ${FIRST_CONNECT_MS} ms`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async subscribe(): Promise<void> {
    try {
      await this.subscriber.subscribe(this.channel);
    } catch (err) {
      this.logger.warn({ err }, 'redis subscribe failed: reconnecting');
      this.subscriber.disconnect(true);
      return;
    }
    if (this.isClosed) return;
    this.isSubscribed = true;
    clearInterval(this.probeTimer);
    this.probeTimer = setInterval(() => void this.probe(), PROBE_EVERY_MS);
    this.probeTimer.unref();
    if (this.hasSubscribedOnce) {
      this.stats.reconnects++;
      this.logger.info('redis bus reconnected');
      this.emit('resync');
    }
    this.hasSubscribedOnce = true;
  }

  private async probe(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.subscriber.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('no PONG in time')), PROBE_DEADLINE_MS);
        }),
      ]);
    } catch (err) {
      if (!this.isSubscribed || this.isClosed) return;
      this.logger.warn({ err }, 'redis bus did not answer in time: reconnecting');
      this.subscriber.disconnect(true);
    } finally {
      clearTimeout(timer);
    }
  }

  private lost(): void {
    clearInterval(this.probeTimer);
    // Batches that arrive on the next connection, even before its subscription's answer is
    // handled, follow a `resync`: none of them is a gap.
    this.inbound.reconnected();
    if (!this.isSubscribed) return;
    this.isSubscribed = false;
    if (!this.isClosed) this.logger.warn('redis bus lost its connection: reconnecting');
  }

  async publishEphemeral(event: BusEvent): Promise<void> {
    await this.publisher.publish(this.channel, encodeEphemeral(event));
  }

  async relay(batch: OutboxBatch): Promise<void> {
    const pipeline = this.publisher.pipeline();
    for (const part of splitBatch(batch)) pipeline.publish(this.channel, encodeBatch(part));
    let timer: NodeJS.Timeout | undefined;
    try {
      const results = await Promise.race([
        pipeline.exec(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error('Redis took no batch in time')),
            RELAY_DEADLINE_MS,
          );
        }),
      ]);
      const failed = results?.find(([err]) => err);
      if (!results || failed) throw failed?.[0] ?? new Error('Redis ran no pipeline');
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.isClosed = true;
    this.isSubscribed = false;
    clearInterval(this.probeTimer);
    this.subscriber.disconnect(false);
    this.publisher.disconnect(false);
    return Promise.resolve();
  }
}
