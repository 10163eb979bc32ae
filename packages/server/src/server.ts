import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { PasswordHasher } from './auth/passwords.js';
import { ApiTokens, isApiToken } from './auth/api-tokens.js';
import { AccessTokens } from './auth/tokens.js';
import type { Config } from './config.js';
import { migrate, openDatabase, sql } from './db/database.js';
import { SendBatcher } from './db/send-batcher.js';
import { ensureUser, resolveJwtSecret } from './domain/accounts.js';
import { createHttpServer } from './http/http-server.js';
import { answerProtocolErrors } from './http/problem.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics } from './metrics.js';
import { Signals } from './realtime/change-signals.js';
import { createBus } from './realtime/create-bus.js';
import { FileSweeper } from './realtime/file-sweeper.js';
import { LogTrimmer } from './realtime/log-trimmer.js';
import { createStore } from './storage/create-store.js';
import { OutboxRelay } from './realtime/outbox-relay.js';
import { RealtimeHub } from './realtime/hub.js';
import { SocketLeases } from './realtime/leases.js';
import { StreamMarker } from './realtime/stream-marks.js';
import * as L from './db/limits-queries.js';
import { attachWebSockets } from './realtime/upgrade.js';
import { WebhookDispatcher } from './realtime/webhook-dispatcher.js';
import type { Services } from './services.js';

export interface RunningServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly services: Services;
  /** This instance's socket registry (tests look at it). */
  readonly hub: RealtimeHub;
  /**
   * Graceful stop: /readyz turns 503, no new connections, in-flight requests get their full
   * answer, then the pool closes. Resolves when all of that is done.
   */
  close(): Promise<void>;
}

export const DEMO_USERS = [1, 2, 3].map((n) => ({
  email: `test${n}@test.com`,
  name: `Test User ${n}`,
  password: 'test',
}));

const SWEEP_EVERY_MS = 60_000;
const sweepExpiredOperations = sql(
  'operations.sweep',
  `DELETE FROM message_operations WHERE ctid = ANY(ARRAY(
     SELECT ctid FROM message_operations WHERE expires_at < now() LIMIT 1000))`,
);
const sweepExpiredKeys = sql(
  'idempotency_keys.sweep',
  `DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(
     SELECT ctid FROM idempotency_keys WHERE expires_at < now() LIMIT 1000))`,
);
/** A bucket untouched this long has refilled (every limit is per minute): no row is the same. */
const FULL_BUCKET_SECONDS = 120;

/** Connects, migrates, seeds and listens: one server instance. */
export async function startServer(
  config: Config,
  { logger = createLogger(config.logLevel) }: { logger?: Logger } = {},
): Promise<RunningServer> {
  if (!config.databaseUrl) throw new Error('startServer needs config.databaseUrl');
  const usesOutbox = config.bus.kind !== 'postgres';
  const db = openDatabase(config.databaseUrl, {
    poolMax: config.databasePoolMax,
    logger,
    usesOutbox,
  });
  const leases = new SocketLeases(db, logger, config.wsMaxSocketsPerUser);
  const marker = new StreamMarker(config.databaseUrl, db, logger);
  const trimmer = new LogTrimmer(
    db,
    marker,
    logger,
    config.eventRetentionSeconds,
    config.eventTrimIntervalMs,
  );
  const signals = new Signals();
  const store = createStore(config.fileStore, db);
  let sweeper: FileSweeper | undefined;
  let bus: Awaited<ReturnType<typeof createBus>> | undefined;
  let hub: RealtimeHub | undefined;
  let relay: OutboxRelay | undefined;
  const webhooks = new WebhookDispatcher(db, config, logger);
  const stopRealtime = async () => {
    await webhooks.close(); // its turns still write: before the pool closes
    hub?.close();
    relay?.close();
    trimmer.close();
    sweeper?.close();
    await marker.close();
    await store.close();
    await bus?.close();
    await leases.close();
    await db.close();
  };
  try {
    await migrate(db);
    await store.open();
    // The engine buses are named after the database, so they are made once it is migrated.
    bus = await createBus(config.bus, { databaseUrl: config.databaseUrl, db, logger });
    hub = new RealtimeHub(db, bus, logger, leases, signals, config.wsHeartbeatMs);
    bus.on('event', (e) => {
      if (e.t === 'Log') marker.poke();
    });
    if (bus.usesOutbox) relay = new OutboxRelay(db, bus, marker, logger);
    await leases.start();
    await bus.start();
    marker.start();
    relay?.start();
    trimmer.start();
    // Webhooks deliver up to the stream mark: a new mark is what makes events deliverable.
    bus.on('event', (e) => {
      if (e.t === 'Mark') webhooks.poke(true);
      else if (e.t === 'Log') webhooks.poke();
    });
    webhooks.start();
    const listening = bus;
    const realtime = hub;
    const accessTokens = new AccessTokens(
      await resolveJwtSecret(db, config.jwtSecret),
      config.accessTokenTtlSeconds,
    );
    const apiTokens = new ApiTokens(db, logger);
    // Under the pool's size: a connection stays free for the other queries while sends pile up.
    const sends = new SendBatcher(db, {
      maxBatch: config.sendBatchMax,
      maxInFlight: Math.max(1, Math.min(config.sendBatchInFlight, config.databasePoolMax - 1)),
    });
    const services: Services = {
      config,
      db,
      sends,
      logger,
      metrics: createMetrics({
        socketCount: () => realtime.socketCount,
        busStats: listening.stats,
        busKind: listening.kind,
        isLeader: () => marker.isLeader,
        relayStats: relay?.stats,
        webhookStats: webhooks.stats,
        sendStats: sends.stats,
        syncWaiting: () => signals.waiting,
        dbPool: () => db.poolState(),
        eventsTrimmed: () => trimmer.trimmed,
      }),
      tokens: accessTokens,
      apiTokens,
      authenticate: (token) =>
        isApiToken(token) ? apiTokens.verify(token) : Promise.resolve(accessTokens.verify(token)),
      publish: (event) => listening.publishEphemeral(event),
      passwords: new PasswordHasher(config.bcryptRounds, config.bcryptQueueMax),
      lifecycle: { isShuttingDown: false },
      isListening: () => listening.isConnected,
      changes: signals,
      store,
    };
    sweeper = new FileSweeper(services, marker);
    sweeper.start();
    if (config.seedDemoUsers) {
      for (const user of DEMO_USERS) await ensureUser(services, user);
    }

    // Without a Host, Node answers a bare 400 itself; the app answers a problem instead.
    const server = createHttpServer(createApp(services), { requireHostHeader: false });
    answerProtocolErrors(server);
    server.keepAliveTimeout = 65_000;
    const wss = attachWebSockets(server, services, realtime);
    server.listen(config.port, config.host);
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    logger.info({ port, host: config.host }, 'listening');

    // Expired idempotency keys are taken over in place, full buckets and past login windows
    // count as absent: the sweep only keeps the tables small.
    const sweep = setInterval(() => {
      Promise.all([
        db.query(sweepExpiredOperations),
        db.query(sweepExpiredKeys),
        db.query(L.sweepBuckets, [FULL_BUCKET_SECONDS]),
        db.query(L.sweepLoginFailures),
      ]).catch((err: unknown) => {
        logger.warn({ err }, 'sweeping expired rows failed');
      });
    }, SWEEP_EVERY_MS);
    sweep.unref();

    let closing: Promise<void> | undefined;
    const close = async () => {
      services.lifecycle.isShuttingDown = true;
      clearInterval(sweep);
      if (config.shutdownDrainMs > 0) {
        await new Promise((r) => setTimeout(r, config.shutdownDrainMs));
      }
      realtime.close();
      // Answers from now on carry `Connection: close` (app.ts), so a busy keep-alive connection
      // closes after its answer. One idle at this moment may have a request on the wire: the
      // listener stays open for a grace (http's close() also closes idle connections), then
      // idle ones are closed as they appear, and every connection once the timeout passes.
      const force = setTimeout(() => {
        server.closeAllConnections();
        for (const ws of wss.clients) ws.terminate();
      }, config.shutdownTimeoutMs);
      await new Promise((r) => setTimeout(r, config.shutdownIdleGraceMs));
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const reap = setInterval(() => server.closeIdleConnections(), 50);
      try {
        await closed;
      } finally {
        clearInterval(reap);
        clearTimeout(force);
      }
      wss.close();
      await stopRealtime();
    };
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      services,
      hub: realtime,
      close: () => (closing ??= close()),
    };
  } catch (err) {
    await stopRealtime();
    throw err;
  }
}
