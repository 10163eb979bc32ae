/**
 * Prometheus metrics (`GET /metrics`). The names are a promise to users' dashboards: rename
 * nothing. Each server instance has a registry of its own, since tests run several instances in
 * one process; the process's default metrics (CPU, memory, event loop, GC) describe the process,
 * not an instance, so they live in one registry per process that every instance's answer adds.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The route label of requests that matched no route: raw URLs would be unbounded labels. */
export const UNMATCHED_ROUTE = 'unmatched';

export interface Metrics {
  /** `msgr_messages_created_total`: sends that created their message here. */
  readonly messagesCreated: Counter;
  /** `msgr_idempotent_replays_total`: sends answered with an earlier message. */
  readonly idempotentReplays: Counter;
  /** `msgr_ws_server_closes_total{code}`: sockets this instance decided to close, by code. */
  readonly socketsClosed: Counter<'code'>;
  /** `msgr_files_created_total{kind}`: files made here (`new` content, or a `duplicate` kept once). */
  readonly filesCreated: Counter<'kind'>;
  /** `msgr_file_bytes_received_total`: bytes of files made here (duplicates included). */
  readonly fileBytesReceived: Counter;
  /** Counts one answered request under its route template and status. */
  observeRequest(route: string, status: number, seconds: number): void;
  /** The Prometheus text exposition: this instance's metrics and the process's. */
  render(): Promise<{ contentType: string; text: string }>;
}

/** Counters the realtime bus keeps (realtime/bus.ts), read at scrape time. */
export interface BusStats {
  /** Stream announcements heard (notifications, or relayed ones), duplicates not counted. */
  notifications: number;
  /** Reconnects after a loss of the connection (each one a `resync`). */
  reconnects: number;
  /** Relayed events heard a second time (at-least-once relay) and dropped. */
  duplicates: number;
  /** Relayed batches that did not follow the last one heard (each one a `resync`). */
  gaps: number;
}

/** Counters of the outbox relay (realtime/outbox-relay.ts). */
export interface RelayStats {
  /** Outbox rows this instance relayed (as leader). */
  relayed: number;
  /** Relay steps that failed (the engine or the database was away); each one is retried. */
  failures: number;
}

/** Counters of the outgoing-webhook dispatcher (realtime/webhook-dispatcher.ts). */
export interface WebhookStats {
  /** Attempts this instance made that the receiver answered 2xx. */
  delivered: number;
  /** Attempts that failed (no answer in time, a refused address, a non-2xx); each is retried. */
  failed: number;
}

/** How sends went to PostgreSQL (db/send-batcher.ts). */
export interface SendStats {
  /** Statements run for sends: batches and lone sends. */
  statements: number;
  /** Sends that went in a batch of two or more. */
  batched: number;
  /** Sends of a batch sent again on their own (a lock wait or deadlock between batches). */
  sentAgain: number;
  /** Sends waiting in the instance now: for a free slot, or for a batch writing to their chat. */
  waiting: number;
}

/** What the realtime side exposes; read at scrape time. */
export interface RealtimeSources {
  socketCount(): number;
  readonly busStats: Readonly<BusStats>;
  /** Which bus this instance runs on (`msgr_bus_info{kind}`). */
  readonly busKind: string;
  /** True while this instance leads the stream marks (and relays the outbox). */
  isLeader(): boolean;
  /** The outbox relay's counters (engine buses only). */
  readonly relayStats?: Readonly<RelayStats>;
  /** The outgoing-webhook dispatcher's counters. */
  readonly webhookStats?: Readonly<WebhookStats>;
  /** How sends went to PostgreSQL (db/send-batcher.ts). */
  readonly sendStats?: Readonly<SendStats>;
  /** `GET /sync` calls waiting for a change now. */
  syncWaiting(): number;
  /** The database pool's connections: lent out, idle, and requests waiting for one. */
  dbPool(): { used: number; free: number; pending: number };
  /** Events the log trimming deleted on this instance (as leader). */
  eventsTrimmed(): number;
}

let processRegistry: Registry | undefined;

function defaultMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** A counter that mirrors a total kept elsewhere (the event bus counts for itself). */
function mirroredCounter(registry: Registry, name: string, help: string, read: () => number) {
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/** A new, independent set of the server's metrics. */
export function createMetrics(realtime: RealtimeSources): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const labelNames = ['route', 'status'] as const;
  const requests = new Counter({
    name: 'msgr_http_requests_total',
    help: 'HTTP requests answered (WebSocket upgrades included), by route template and status.',
    labelNames,
    registers,
  });
  const duration = new Histogram({
    name: 'msgr_http_request_duration_seconds',
    help: 'Seconds from the arrival of a request to its answer, by route template and status.',
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  new Gauge({
    name: 'msgr_ws_open_sockets',
    help: 'WebSockets open on this instance.',
    registers,
    collect() {
      this.set(realtime.socketCount());
    },
  });
  mirroredCounter(
    registry,
    'msgr_notifications_received_total',
    'Stream events (message, read, mark… notifications, or relayed outbox rows) this instance received.',
    () => realtime.busStats.notifications,
  );
  mirroredCounter(
    registry,
    'msgr_listener_reconnects_total',
    'Times the event listener (LISTEN, or the Redis/NATS subscription) reconnected after a loss (sockets got Resync).',
    () => realtime.busStats.reconnects,
  );
  new Gauge({
    name: 'msgr_bus_info',
    help: 'The realtime bus of this instance (MSGR_BUS): postgres, redis or nats, as the kind label.',
    labelNames: ['kind'] as const,
    registers,
    collect() {
      this.set({ kind: realtime.busKind }, 1);
    },
  });
  new Gauge({
    name: 'msgr_sync_waiting',
    help: 'GET /sync long-polls waiting for a change on this instance (each holds no database connection).',
    registers,
    collect() {
      this.set(realtime.syncWaiting());
    },
  });
  new Gauge({
    name: 'msgr_db_pool_connections',
    help: "This instance's database pool: connections lent out (used), idle (free), and requests waiting for one (pending).",
    labelNames: ['state'] as const,
    registers,
    collect() {
      const pool = realtime.dbPool();
      for (const state of ['used', 'free', 'pending'] as const) this.set({ state }, pool[state]);
    },
  });
  mirroredCounter(
    registry,
    'msgr_events_trimmed_total',
    'Events of the log deleted by retention (EVENT_RETENTION_DAYS) while this instance led.',
    () => realtime.eventsTrimmed(),
  );
  new Gauge({
    name: 'msgr_stream_leader',
    help: '1 while this instance leads the stream marks (and, on Redis or NATS, relays the outbox).',
    registers,
    collect() {
      this.set(realtime.isLeader() ? 1 : 0);
    },
  });
  mirroredCounter(
    registry,
    'msgr_bus_duplicates_dropped_total',
    'Relayed outbox rows heard again (the relay is at-least-once) and dropped.',
    () => realtime.busStats.duplicates,
  );
  mirroredCounter(
    registry,
    'msgr_bus_gaps_total',
    'Relayed batches that did not follow the last one heard: events were lost on the way (sockets got Resync).',
    () => realtime.busStats.gaps,
  );
  mirroredCounter(
    registry,
    'msgr_outbox_relayed_total',
    'Outbox rows this instance relayed to the engine while leading (0 on the PostgreSQL bus).',
    () => realtime.relayStats?.relayed ?? 0,
  );
  mirroredCounter(
    registry,
    'msgr_outbox_relay_failures_total',
    'Relay steps that failed (engine or database away) and were retried.',
    () => realtime.relayStats?.failures ?? 0,
  );
  mirroredCounter(
    registry,
    'msgr_webhook_deliveries_total',
    'Outgoing webhook attempts this instance made that were answered 2xx.',
    () => realtime.webhookStats?.delivered ?? 0,
  );
  mirroredCounter(
    registry,
    'msgr_webhook_delivery_failures_total',
    'Outgoing webhook attempts that failed (timeout, refused address, non-2xx) and will be retried.',
    () => realtime.webhookStats?.failed ?? 0,
  );
  mirroredCounter(
    registry,
    'msgr_send_statements_total',
    'Statements this instance ran for sends: coalesced batches and lone sends (SEND_BATCH_MAX).',
    () => realtime.sendStats?.statements ?? 0,
  );
  mirroredCounter(
    registry,
    'msgr_sends_coalesced_total',
    'Sends that went to PostgreSQL in a batch of two or more.',
    () => realtime.sendStats?.batched ?? 0,
  );
  mirroredCounter(
    registry,
    'msgr_sends_sent_again_total',
    "Sends of a batch undone for another batch's lock (a wait over 200 ms, a deadlock) and sent again on their own.",
    () => realtime.sendStats?.sentAgain ?? 0,
  );
  new Gauge({
    name: 'msgr_sends_waiting',
    help: 'Sends waiting in this instance to go to PostgreSQL: for a free slot (SEND_BATCH_IN_FLIGHT), or for the batch writing to their chat.',
    registers,
    collect() {
      this.set(realtime.sendStats?.waiting ?? 0);
    },
  });
  return {
    messagesCreated: new Counter({
      name: 'msgr_messages_created_total',
      help: 'Messages created by this instance (idempotent replays not included).',
      registers,
    }),
    filesCreated: new Counter({
      name: 'msgr_files_created_total',
      help: 'Files made by this instance, by whether their content was new or already kept.',
      labelNames: ['kind'],
      registers,
    }),
    fileBytesReceived: new Counter({
      name: 'msgr_file_bytes_received_total',
      help: 'Bytes of the files made by this instance (duplicates included).',
      registers,
    }),
    idempotentReplays: new Counter({
      name: 'msgr_idempotent_replays_total',
      help: 'Sends answered with an earlier message of the same operation_id (200, Idempotent-Replayed).',
      registers,
    }),
    socketsClosed: new Counter({
      name: 'msgr_ws_server_closes_total',
      help: 'WebSockets this instance closed, by close code (1013: too far behind; 4429: over the cap; …).',
      labelNames: ['code'] as const,
      registers,
    }),
    observeRequest(route, status, seconds) {
      const labels = { route, status: String(status) };
      requests.inc(labels);
      duration.observe(labels, seconds);
    },
    async render() {
      const merged = Registry.merge([defaultMetrics(), registry]);
      return { contentType: merged.contentType, text: await merged.metrics() };
    },
  };
}
