/**
 * The bus on NATS (`MSGR_BUS=nats://host:port`): core NATS on one subject per deployment.
 *
 * Why core NATS and not JetStream: as with Redis (bus-redis.ts), the outbox in PostgreSQL is the
 * durable, ordered log and the engine only fans out. JetStream would be a second log (a stream
 * to size, store and replicate, consumers to track) to get what a `resync` already gives us
 * cheaply. Core NATS is at-most-once — a slow consumer is cut off, a restart drops what was in
 * flight — and that is fine because nothing is taken on trust: each relayed batch names the id
 * before it (bus-inbound.ts), so a loss on a live connection is noticed as a gap, and a lost
 * connection is a `resync`.
 *
 * One connection does both: its subscription, and publishing (relay, Typing). The client pings
 * every 2 s and takes two missed PONGs for a dead path; it reconnects by itself and re-sends its
 * subscription; `resync` is said once a flush on the new connection came back, i.e. after the
 * server has the subscription again.
 */
import { connect, Events, type NatsConnection } from 'nats';
import type { Logger } from '../logger.js';
import { Bus, type BusEvent, type OutboxBatch } from './bus.js';
import { encodeBatch, encodeEphemeral, splitBatch, StreamInbound } from './bus-inbound.js';
import { PROBE_EVERY_MS } from './bus-postgres.js';

const FIRST_CONNECT_MS = 20_000;
const RELAY_DEADLINE_MS = 5_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class NatsBus extends Bus {
  readonly kind = 'nats';
  readonly usesOutbox = true;
  private nc: NatsConnection | undefined;
  private isSubscribed = false;
  private isClosed = false;
  private readonly inbound: StreamInbound;

  constructor(
    private readonly url: string,
    private readonly subject: string,
    private readonly logger: Logger,
  ) {
    super();
    this.inbound = new StreamInbound(
      this.stats,
      logger,
      (e) => this.emit('event', e),
      () => this.emit('resync'),
    );
  }

  get isConnected(): boolean {
    return this.isSubscribed;
  }

  async start(): Promise<void> {
    const deadline = Date.now() + FIRST_CONNECT_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        this.nc = await connect({
          servers: this.url,
          name: 'msgr-bus',
          reconnect: true,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 250,
          reconnectJitter: 250,
          pingInterval: PROBE_EVERY_MS,
          maxPingOut: 2,
          timeout: 5_000,
        });
        break;
      } catch (err) {
        if (this.isClosed) return;
        if (Date.now() > deadline) throw err;
        const delay = Math.min(2000, 100 * 2 ** attempt);
        this.logger.warn({ err, delay }, 'nats bus cannot connect: retrying');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    const nc = this.nc;
    nc.subscribe(this.subject, {
      callback: (err, msg) => {
        if (err) {
          this.logger.warn({ err }, 'nats subscription error');
          return;
        }
        this.inbound.accept(decoder.decode(msg.data));
      },
    });
    await nc.flush();
    if (this.isClosed) return;
    this.isSubscribed = true;
    void this.watch(nc);
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (this.isClosed) return;
      if (status.type === Events.Disconnect) {
        this.isSubscribed = false;
        this.inbound.reconnected();
        this.logger.warn('nats bus lost its connection: reconnecting');
      } else if (status.type === Events.Reconnect) {
        try {
          await nc.flush();
        } catch (err) {
          this.logger.warn({ err }, 'nats bus flush after reconnect failed');
          continue;
        }
        if (this.isClosed) return;
        this.isSubscribed = true;
        this.stats.reconnects++;
        this.logger.info('nats bus reconnected');
        this.emit('resync');
      }
    }
  }

  publishEphemeral(event: BusEvent): Promise<void> {
    this.nc?.publish(this.subject, encoder.encode(encodeEphemeral(event)));
    return Promise.resolve();
  }

  async relay(batch: OutboxBatch): Promise<void> {
    const nc = this.nc;
    if (!nc || !this.isSubscribed) throw new Error('the nats bus is not connected');
    for (const part of splitBatch(batch)) {
      nc.publish(this.subject, encoder.encode(encodeBatch(part)));
    }
    // Taken once the server answered a PING sent after them.
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        nc.flush(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error('NATS took no batch in time')),
            RELAY_DEADLINE_MS,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.isClosed = true;
    this.isSubscribed = false;
    const nc = this.nc;
    this.nc = undefined;
    await nc?.close().catch(() => undefined);
  }
}
