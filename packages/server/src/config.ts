import net from 'node:net';
import { z } from 'zod';

/** The placeholder `JWT_SECRET` of `.env.example`: never a real secret (a test keeps them equal). */
export const EXAMPLE_JWT_SECRET = 'replace-with-a-long-random-secret';
/** The shortest `JWT_SECRET` production accepts (HS256 wants at least 256 bits). */
export const MIN_PRODUCTION_SECRET_LENGTH = 32;

/**
 * Whose `X-Forwarded-For` to believe (Express's `trust proxy`): `false` nobody (the default: the
 * peer's address is the client's), `true` everyone, a hop count, or a list of addresses, CIDR
 * ranges and the names `loopback`, `linklocal`, `uniquelocal`.
 */
export type TrustProxy = boolean | number | readonly string[];

/** Which bus a deployment runs on (`MSGR_BUS`). Every instance of one database uses the same. */
export type BusChoice =
  | { readonly kind: 'postgres' }
  | { readonly kind: 'redis'; readonly url: string }
  | { readonly kind: 'nats'; readonly url: string };

/** Where file bytes live (`FILE_STORE`, contract v1.3). */
export type FileStoreChoice =
  | { readonly kind: 'postgres' }
  | { readonly kind: 'fs'; readonly folder: string }
  | {
      readonly kind: 's3';
      readonly bucket: string;
      readonly endpoint: string | undefined;
      readonly region: string;
      readonly accessKeyId: string | undefined;
      readonly secretAccessKey: string | undefined;
      readonly forcePathStyle: boolean;
    };

/** Everything the server reads from its environment, parsed once at start. */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** `undefined` means: start the embedded PostgreSQL and use it. */
  readonly databaseUrl: string | undefined;
  /** `undefined` means: use the secret generated once and kept in the database. */
  readonly jwtSecret: string | undefined;
  readonly isProduction: boolean;
  readonly idempotencyWindowSeconds: number;
  readonly seedDemoUsers: boolean;
  readonly maxGroupMembers: number;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly bcryptRounds: number;
  readonly databasePoolMax: number;
  /** Where the embedded PostgreSQL keeps its data (only without `DATABASE_URL`). */
  readonly embeddedDataDir: string;
  readonly embeddedPort: number;
  readonly shutdownTimeoutMs: number;
  /**
   * How long /readyz answers 503 while requests are still accepted when shutdown begins, so a
   * load balancer stops routing here before the listener closes. 0 closes at once.
   */
  readonly shutdownDrainMs: number;
  /**
   * On shutdown, how long the listener stays open for keep-alive connections that were idle
   * at that moment (a request may already be on the wire); their answers say Connection: close.
   */
  readonly shutdownIdleGraceMs: number;
  /** Most WebSockets one user may hold open, counted across every instance. */
  readonly wsMaxSocketsPerUser: number;
  /** How often sockets are pinged; one missed pong drops the socket. */
  readonly wsHeartbeatMs: number;
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  readonly logLevel: string;
  /** `auto`: human-readable on a terminal outside production, JSON lines otherwise. */
  readonly logFormat: 'auto' | 'json' | 'pretty';
  /** Origins browsers may call from (`*`: any); see http/cors.ts. */
  readonly corsOrigins: readonly string[];
  /** Failed logins per account and client IP within the window before 429 (0: no limit). */
  readonly loginMaxFailures: number;
  readonly loginFailureWindowSeconds: number;
  /** Messages one user may create per minute, a token bucket that may be spent at once (0: off). */
  readonly rateLimitSendsPerMinute: number;
  /** The most sends that go to PostgreSQL as one statement (db/send-batcher.ts); 1: none. */
  readonly sendBatchMax: number;
  /**
   * Batches one instance has at PostgreSQL at once (kept under the pool's size); while they are
   * out, new sends wait and join the next. Fewer, larger batches: fewer commits and lock waits.
   */
  readonly sendBatchInFlight: number;
  /** Groups one user may create per minute (0: off). */
  readonly rateLimitGroupsPerMinute: number;
  /** Unauthenticated requests (/login, /register, /token/refresh) per client IP per minute (0: off). */
  readonly rateLimitIpPerMinute: number;
  readonly trustProxy: TrustProxy;
  /** A refresh token presented again this soon after its first use is a retry, not a theft. */
  readonly refreshReuseGraceSeconds: number;
  /** Password hashes waiting for a turn; past it logins and registrations answer 503. */
  readonly bcryptQueueMax: number;
  /**
   * The realtime bus (`MSGR_BUS`): PostgreSQL's LISTEN/NOTIFY (the default), or Redis or NATS
   * fed by the outbox (realtime/bus.ts). Every instance of one database must say the same.
   */
  readonly bus: BusChoice;
  /** How long the log keeps events (`EVENT_RETENTION_DAYS`, in seconds here; 0: for ever). */
  readonly eventRetentionSeconds: number;
  /** How often the leader trims the log (a few small batches each time). */
  readonly eventTrimIntervalMs: number;
  /** Where file bytes live (`FILE_STORE`): the database (default), a shared folder, or S3. */
  readonly fileStore: FileStoreChoice;
  /** Bytes of one file, at most. */
  readonly uploadMaxBytes: number;
  /** Bytes of every file of one user together (0: no quota). */
  readonly uploadQuotaBytes: number;
  /** Uploads (one-request or tus creations) one user may start per minute (0: off). */
  readonly rateLimitUploadsPerMinute: number;
  /** How long an unfinished upload is kept (and a finished one answers HEAD). */
  readonly uploadExpirySeconds: number;
  /** Files attached to no message for this long are deleted. */
  readonly uploadOrphanSeconds: number;
  /** How often the leader sweeps expired uploads, orphaned files and unreferenced bytes. */
  readonly fileSweepIntervalMs: number;
  /** Posts one incoming webhook may make per minute (its bot's send budget; 0: no limit). */
  readonly rateLimitHookPostsPerMinute: number;
  /** Outgoing webhooks may deliver to loopback and private addresses (tests, private networks). */
  readonly webhookAllowPrivate: boolean;
  /** How long an outgoing webhook retries one event before it is `failing`. */
  readonly webhookRetrySeconds: number;
  /** Deliveries one instance makes at once, over every webhook. */
  readonly webhookConcurrency: number;
}

const flag = z
  .enum(['1', '0', 'true', 'false', 'on', 'off', 'yes', 'no'])
  .transform((v) => ['1', 'true', 'on', 'yes'].includes(v));

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const EnvSchema = z.object({
  PORT: int(0, 65535).default(8000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z.string().url().optional(),
  JWT_SECRET: z.string().min(16, 'JWT_SECRET must be at least 16 characters').optional(),
  NODE_ENV: z.string().optional(),
  IDEMPOTENCY_WINDOW_SECONDS: int(1, 7 * 24 * 3600).default(300),
  SEED_DEMO_USERS: flag.optional(),
  MAX_GROUP_MEMBERS: int(1, 100_000).default(1000),
  ACCESS_TOKEN_TTL_SECONDS: int(10, 24 * 3600).default(900),
  REFRESH_TOKEN_TTL_SECONDS: int(60, 365 * 24 * 3600).default(30 * 24 * 3600),
  BCRYPT_ROUNDS: int(4, 15).default(10),
  DATABASE_POOL_MAX: int(2, 100).default(10),
  MSGR_DATA_DIR: z.string().min(1).default('.data/postgres'),
  EMBEDDED_PG_PORT: int(1, 65535).default(54329),
  SHUTDOWN_TIMEOUT_MS: int(100, 60_000).default(8000),
  SHUTDOWN_DRAIN_MS: int(0, 5000).default(0),
  SHUTDOWN_IDLE_GRACE_MS: int(0, 5000).default(1000),
  WS_MAX_SOCKETS_PER_USER: int(1, 10_000).default(20),
  WS_HEARTBEAT_MS: int(100, 600_000).default(30_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  LOGIN_MAX_FAILURES: int(0, 1_000_000).default(10),
  LOGIN_FAILURE_WINDOW_SECONDS: int(1, 7 * 24 * 3600).default(900),
  RATE_LIMIT_SENDS_PER_MINUTE: int(0, 1_000_000).default(600),
  SEND_BATCH_MAX: int(1, 64).default(32),
  SEND_BATCH_IN_FLIGHT: int(1, 64).default(2),
  RATE_LIMIT_GROUPS_PER_MINUTE: int(0, 1_000_000).default(30),
  RATE_LIMIT_IP_PER_MINUTE: int(0, 1_000_000).default(300),
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((v, ctx): TrustProxy => {
      const value = v.trim().toLowerCase();
      if (value === 'true' || value === 'false') return value === 'true';
      if (/^\d{1,3}$/.test(value)) return Number(value);
      const entries = value
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean);
      const bad = entries.filter((e) => !isTrustEntry(e));
      if (bad.length > 0 || entries.length === 0) {
        ctx.addIssue({
          code: 'custom',
          message: `true, false, a hop count, or addresses/CIDR/loopback/linklocal/uniquelocal (not ${bad.join(', ') || 'empty'})`,
        });
        return z.NEVER;
      }
      return entries;
    }),
  REFRESH_REUSE_GRACE_SECONDS: int(0, 3600).default(10),
  BCRYPT_QUEUE_MAX: int(0, 100_000).default(64),
  MSGR_BUS: z
    .string()
    .default('postgres')
    .transform((v, ctx): BusChoice => {
      const bus = parseBus(v);
      if (bus) return bus;
      ctx.addIssue({
        code: 'custom',
        message: `postgres, redis://host:port or nats://host:port (not ${v})`,
      });
      return z.NEVER;
    }),
  EVENT_RETENTION_DAYS: z.coerce.number().min(0).max(3650).default(30),
  EVENT_TRIM_INTERVAL_MS: int(10, 3_600_000).default(60_000),
  FILE_STORE: z
    .string()
    .default('postgres')
    .refine((v) => /^(postgres|fs:\/.+|s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$/.test(v), {
      message: 'postgres, fs:<absolute folder> or s3://<bucket>',
    }),
  S3_ENDPOINT: z.string().url().optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_FORCE_PATH_STYLE: flag.default(false),
  UPLOAD_MAX_BYTES: int(1, 2 ** 40).default(104_857_600),
  UPLOAD_QUOTA_BYTES: int(0, 2 ** 50).default(1_073_741_824),
  RATE_LIMIT_UPLOADS_PER_MINUTE: int(0, 1_000_000).default(60),
  UPLOAD_EXPIRY_SECONDS: int(1, 365 * 24 * 3600).default(86_400),
  UPLOAD_ORPHAN_SECONDS: int(1, 365 * 24 * 3600).default(86_400),
  FILE_SWEEP_INTERVAL_MS: int(10, 3_600_000).default(60_000),
  RATE_LIMIT_HOOK_POSTS_PER_MINUTE: int(0, 1_000_000).default(60),
  WEBHOOK_ALLOW_PRIVATE: flag.optional(),
  WEBHOOK_RETRY_HOURS: z.coerce
    .number()
    .min(0.001)
    .max(24 * 30)
    .default(24),
  WEBHOOK_CONCURRENCY: int(1, 1000).default(16),
  CORS_ORIGINS: z
    .string()
    .default('*')
    .transform((v) =>
      v
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    ),
});

/** `postgres`, or an engine's URL (`redis://`, `rediss://`, `nats://`, `tls://`); else undefined. */
export function parseBus(value: string): BusChoice | undefined {
  const v = value.trim();
  if (v.toLowerCase() === 'postgres') return { kind: 'postgres' };
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return undefined;
  }
  if (!url.hostname) return undefined;
  if (url.protocol === 'redis:' || url.protocol === 'rediss:') return { kind: 'redis', url: v };
  if (url.protocol === 'nats:' || url.protocol === 'tls:') return { kind: 'nats', url: v };
  return undefined;
}

function isTrustEntry(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address, bits, ...rest] = entry.split('/');
  const family = net.isIP(address ?? '');
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

function fileStoreOf(e: z.output<typeof EnvSchema>): FileStoreChoice {
  const v = e.FILE_STORE;
  if (v.startsWith('fs:')) return { kind: 'fs', folder: v.slice(3) };
  if (v.startsWith('s3://')) {
    return {
      kind: 's3',
      bucket: v.slice(5),
      endpoint: e.S3_ENDPOINT,
      region: e.S3_REGION,
      accessKeyId: e.S3_ACCESS_KEY_ID,
      secretAccessKey: e.S3_SECRET_ACCESS_KEY,
      forcePathStyle: e.S3_FORCE_PATH_STYLE,
    };
  }
  return { kind: 'postgres' };
}

/** Thrown when the environment cannot run a server; `message` says what to set. */
export class ConfigError extends Error {
  readonly code = 'config_invalid';
}

/**
 * Parses the environment into a frozen {@link Config}. The only place that reads `process.env`.
 * `overrides` lets tests and the cluster script set fields without touching the environment.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<Config> = {},
): Config {
  const blanksRemoved = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = EnvSchema.safeParse(blanksRemoved);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid environment: ${lines.join('; ')}`);
  }
  const e = parsed.data;
  const isProduction = e.NODE_ENV === 'production';
  if (isProduction) {
    const missing = (['JWT_SECRET', 'DATABASE_URL'] as const).filter((k) => e[k] === undefined);
    if (missing.length > 0) {
      throw new ConfigError(
        `NODE_ENV=production needs ${missing.join(' and ')}: set ${missing.length > 1 ? 'them' : 'it'} in the environment`,
      );
    }
    if (e.JWT_SECRET === EXAMPLE_JWT_SECRET) {
      throw new ConfigError(
        'JWT_SECRET is the example value of .env.example: set a secret of your own (e.g. openssl rand -hex 32)',
      );
    }
    if (e.JWT_SECRET!.length < MIN_PRODUCTION_SECRET_LENGTH) {
      throw new ConfigError(
        `JWT_SECRET must be at least ${MIN_PRODUCTION_SECRET_LENGTH} characters with NODE_ENV=production (e.g. openssl rand -hex 32)`,
      );
    }
  }
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    jwtSecret: e.JWT_SECRET,
    isProduction,
    idempotencyWindowSeconds: e.IDEMPOTENCY_WINDOW_SECONDS,
    // Demo users with a known password: by default only outside production.
    seedDemoUsers: e.SEED_DEMO_USERS ?? !isProduction,
    maxGroupMembers: e.MAX_GROUP_MEMBERS,
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS,
    bcryptRounds: e.BCRYPT_ROUNDS,
    databasePoolMax: e.DATABASE_POOL_MAX,
    embeddedDataDir: e.MSGR_DATA_DIR,
    embeddedPort: e.EMBEDDED_PG_PORT,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
    shutdownIdleGraceMs: e.SHUTDOWN_IDLE_GRACE_MS,
    wsMaxSocketsPerUser: e.WS_MAX_SOCKETS_PER_USER,
    wsHeartbeatMs: e.WS_HEARTBEAT_MS,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    corsOrigins: e.CORS_ORIGINS,
    loginMaxFailures: e.LOGIN_MAX_FAILURES,
    loginFailureWindowSeconds: e.LOGIN_FAILURE_WINDOW_SECONDS,
    rateLimitSendsPerMinute: e.RATE_LIMIT_SENDS_PER_MINUTE,
    sendBatchMax: e.SEND_BATCH_MAX,
    sendBatchInFlight: e.SEND_BATCH_IN_FLIGHT,
    rateLimitGroupsPerMinute: e.RATE_LIMIT_GROUPS_PER_MINUTE,
    rateLimitIpPerMinute: e.RATE_LIMIT_IP_PER_MINUTE,
    trustProxy: e.TRUST_PROXY,
    refreshReuseGraceSeconds: e.REFRESH_REUSE_GRACE_SECONDS,
    bcryptQueueMax: e.BCRYPT_QUEUE_MAX,
    bus: e.MSGR_BUS,
    eventRetentionSeconds: Math.round(e.EVENT_RETENTION_DAYS * 86_400),
    eventTrimIntervalMs: e.EVENT_TRIM_INTERVAL_MS,
    fileStore: fileStoreOf(e),
    uploadMaxBytes: e.UPLOAD_MAX_BYTES,
    uploadQuotaBytes: e.UPLOAD_QUOTA_BYTES,
    rateLimitUploadsPerMinute: e.RATE_LIMIT_UPLOADS_PER_MINUTE,
    uploadExpirySeconds: e.UPLOAD_EXPIRY_SECONDS,
    uploadOrphanSeconds: e.UPLOAD_ORPHAN_SECONDS,
    fileSweepIntervalMs: e.FILE_SWEEP_INTERVAL_MS,
    rateLimitHookPostsPerMinute: e.RATE_LIMIT_HOOK_POSTS_PER_MINUTE,
    webhookAllowPrivate: e.WEBHOOK_ALLOW_PRIVATE ?? false,
    webhookRetrySeconds: Math.round(e.WEBHOOK_RETRY_HOURS * 3600),
    webhookConcurrency: e.WEBHOOK_CONCURRENCY,
    ...overrides,
  });
}
