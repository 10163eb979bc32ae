import { z } from 'zod';

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
  /** Most WebSockets one user may hold open on one instance. */
  readonly wsMaxSocketsPerUser: number;
  /** How often sockets are pinged; one missed pong drops the socket. */
  readonly wsHeartbeatMs: number;
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  readonly logLevel: string;
  /** `auto`: human-readable on a terminal outside production, JSON lines otherwise. */
  readonly logFormat: 'auto' | 'json' | 'pretty';
  /** Origins browsers may call from (`*`: any); see http/cors.ts. */
  readonly corsOrigins: readonly string[];
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
  SEED_DEMO_USERS: flag.default(true),
  MAX_GROUP_MEMBERS: int(1, 100_000).default(1000),
  ACCESS_TOKEN_TTL_SECONDS: int(10, 24 * 3600).default(900),
  REFRESH_TOKEN_TTL_SECONDS: int(60, 365 * 24 * 3600).default(30 * 24 * 3600),
  BCRYPT_ROUNDS: int(4, 15).default(10),
  DATABASE_POOL_MAX: int(2, 100).default(10),
  MSGR_DATA_DIR: z.string().min(1).default('.data/postgres'),
  EMBEDDED_PG_PORT: int(1, 65535).default(54329),
  SHUTDOWN_TIMEOUT_MS: int(100, 60_000).default(8000),
  SHUTDOWN_DRAIN_MS: int(0, 5000).default(0),
  WS_MAX_SOCKETS_PER_USER: int(1, 10_000).default(20),
  WS_HEARTBEAT_MS: int(100, 600_000).default(30_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
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
  }
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    jwtSecret: e.JWT_SECRET,
    isProduction,
    idempotencyWindowSeconds: e.IDEMPOTENCY_WINDOW_SECONDS,
    seedDemoUsers: e.SEED_DEMO_USERS,
    maxGroupMembers: e.MAX_GROUP_MEMBERS,
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS,
    bcryptRounds: e.BCRYPT_ROUNDS,
    databasePoolMax: e.DATABASE_POOL_MAX,
    embeddedDataDir: e.MSGR_DATA_DIR,
    embeddedPort: e.EMBEDDED_PG_PORT,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
    wsMaxSocketsPerUser: e.WS_MAX_SOCKETS_PER_USER,
    wsHeartbeatMs: e.WS_HEARTBEAT_MS,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    corsOrigins: e.CORS_ORIGINS,
    ...overrides,
  });
}
