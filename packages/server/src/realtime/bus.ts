/**
 * The cross-instance event bus: what every instance hears, in one order (the stream), and what
 * it says without storing (Typing). One interface, three adapters, chosen by `MSGR_BUS`:
 *
 * - `postgres` (bus-postgres.ts, the default): writers `pg_notify` inside their transaction and
 *   each instance LISTENs on one dedicated connection. PostgreSQL delivers in commit order.
 * - `redis://…` (bus-redis.ts) and `nats://…` (bus-nats.ts): writers put the event into the
 *   outbox table in the same transaction instead (`msgr_publish()`, migrations/005-bus.ts), and
 *   the leader relays committed rows in outbox id order, in batches that name the outbox ids
 *   (realtime/outbox-relay.ts). The engine only fans out: the outbox in PostgreSQL is the log.
 *
 * Either way an event leaves only once its data is committed, every instance hears the stream in
 * one order, and a Mark comes after every message it covers (realtime/stream-marks.ts). When an
 * instance may have missed part of the stream it says `resync`, and the hub asks its sockets to
 * resume from their positions.
 */
import { EventEmitter } from 'node:events';
import type { BusChoice } from '../config.js';
import type { BusStats } from '../metrics.js';
import type { RevokedEvent } from '../services.js';

export type { BusChoice, BusStats };

/**
 * What travels on the bus: seqs and small fields, never texts. Logged changes are announced by
 * their seqs (`Log`, sent by `msgr_announce()` on commit): every instance reads their frames
 * from the log (migrations/006-log.ts).
 */
export type BusEvent =
  /** Events of the log committed, in this order. */
  | { t: 'Log'; ids: number[] }
  | { t: 'Typing'; chat_id: number; user_id: number }
  | RevokedEvent
  /** Every event with a seq ≤ up_to was announced before this (realtime/stream-marks.ts). */
  | { t: 'Mark'; up_to: number };

export interface BusEvents {
  /** The next event of the stream (or an ephemeral one), in stream order. */
  event: [BusEvent];
  /** Events may have been missed (the connection to the bus came back, or a gap was seen). */
  resync: [];
}

/** Committed outbox rows, in id order, relayed as one unit (see outbox-relay.ts). */
export interface OutboxBatch {
  /** The last outbox id relayed before this batch (what a subscriber must have seen). */
  readonly after: number;
  /** `[id, payload]` with ascending ids; each payload is a BusEvent's JSON text. */
  readonly rows: readonly (readonly [number, string])[];
}

export abstract class Bus extends EventEmitter<BusEvents> {
  abstract readonly kind: BusChoice['kind'];
  /** True when writers fill the outbox and the leader relays it (Redis, NATS). */
  abstract readonly usesOutbox: boolean;
  readonly stats: BusStats = { notifications: 0, reconnects: 0, duplicates: 0, gaps: 0 };

  /** True while this instance hears the stream (part of /readyz). */
  abstract get isConnected(): boolean;
  /** Connects and subscribes; resolves on the first success (retrying a while until then). */
  abstract start(): Promise<void>;
  /** Sends an event that is never stored (Typing) to every instance, now. */
  abstract publishEphemeral(event: BusEvent): Promise<void>;
  /**
   * Relays committed outbox rows to every instance; resolves once the engine has taken them
   * (only buses that use the outbox).
   */
  abstract relay(batch: OutboxBatch): Promise<void>;
  abstract close(): Promise<void>;
}

/** Names a deployment's channel (Redis) or subject (NATS) so that databases never share one. */
export function channelName(kind: 'redis' | 'nats', deployment: string): string {
  return kind === 'redis' ? `msgr:events:${deployment}` : `msgr.events.${deployment}`;
}
