/**
 * Test harness: fresh databases copied from the migrated template, real server instances on
 * ephemeral ports, and a small HTTP client. Nothing here is mocked.
 */
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config.js';
import { migrate, openDatabase } from '../../src/db/database.js';
import { startEmbeddedPostgres, withDatabase } from '../../src/db/embedded.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { testBus } from './engines.js';

let databaseCounter = 0;

/**
 * A throwaway PostgreSQL for tests and benchmarks: durability off (its data is deleted after),
 * room for many instances' pools, and a port below Linux's ephemeral range (32768+), so it
 * never collides with a port the OS hands out to a listener on port 0. Pass the `port` of an
 * earlier start to start the same cluster again where its clients expect it (fault tests).
 */
export function throwawayPostgres(
  dataDir: string,
  port = 20_000 + Math.floor(Math.random() * 12_000),
  /** Overrides (fault scenarios that want production's durable commits turn fsync back on). */
  settings: Record<string, string | number> = {},
) {
  return startEmbeddedPostgres({
    dataDir,
    port,
    settings: {
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      max_connections: 300,
      ...settings,
    },
  });
}

function adminUrl(): string {
  const url = process.env.MSGR_TEST_ADMIN_URL;
  if (!url) throw new Error('the global fixture did not run (see .mocharc.yml)');
  return url;
}

/** A new database holding the migrated schema and the demo users; its connection string. */
export async function freshDatabase(): Promise<string> {
  const name = `msgr_test_${process.pid}_${++databaseCounter}`;
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name}`);
    await client.query(`CREATE DATABASE ${name} TEMPLATE ${process.env.MSGR_TEST_TEMPLATE!}`);
  } finally {
    await client.end();
  }
  return withDatabase(adminUrl(), name);
}

/**
 * An upgrade test's database: empty, migrated only up to `upTo` (an older release's schema),
 * handed to `fn` with a connected client to write that release's rows with; dropped after.
 */
export async function withOlderDatabase(
  upTo: string,
  fn: (url: string, raw: pg.Client) => Promise<void>,
): Promise<void> {
  const name = `msgr_older_${process.pid}_${++databaseCounter}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  const raw = new pg.Client({ connectionString: withDatabase(adminUrl(), name) });
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
    const db = openDatabase(withDatabase(adminUrl(), name));
    try {
      await migrate(db, { upTo });
    } finally {
      await db.close();
    }
    await raw.connect();
    await fn(withDatabase(adminUrl(), name), raw);
  } finally {
    await raw.end().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.end();
  }
}

export function testConfig(databaseUrl: string, overrides: Partial<Config> = {}): Config {
  return loadConfig(
    {},
    {
      databaseUrl,
      port: 0,
      host: '127.0.0.1',
      logLevel: process.env.MSGR_TEST_LOG_LEVEL ?? 'silent',
      bcryptRounds: 4,
      jwtSecret: 'test-secret-that-is-long-enough',
      databasePoolMax: 5,
      // Every test client is 127.0.0.1: the per-address budget is tested on its own.
      rateLimitIpPerMinute: 0,
      // In-process test servers close at the end of a suite, with nothing on the wire.
      shutdownIdleGraceMs: 0,
      // MSGR_TEST_BUS=redis|nats: the global fixture's engine (support/engines.ts).
      bus: testBus(),
      ...overrides,
    },
  );
}

export interface Cluster {
  readonly databaseUrl: string;
  readonly servers: RunningServer[];
  /** One client per instance, in order. */
  readonly apis: Api[];
  /** The first instance's client. */
  readonly api: Api;
  close(): Promise<void>;
}

/** `instances` servers (default 1) on one fresh database. */
export async function startCluster({
  instances = 1,
  ...overrides
}: Partial<Config> & { instances?: number } = {}): Promise<Cluster> {
  const databaseUrl = await freshDatabase();
  const servers = await Promise.all(
    Array.from({ length: instances }, () => startServer(testConfig(databaseUrl, overrides))),
  );
  const apis = servers.map((s) => new Api(s.url));
  return {
    databaseUrl,
    servers,
    apis,
    api: apis[0]!,
    close: async () => {
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}

export interface Answer<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface Session {
  token: string;
  refreshToken: string;
  userId: number;
}

/** A thin HTTP client over fetch: answers are values, never thrown. */
export class Api {
  constructor(readonly baseUrl: string) {}

  async request<T = any>(
    method: string,
    path: string,
    {
      body,
      token,
      headers = {},
      raw,
    }: {
      body?: unknown;
      token?: string;
      headers?: Record<string, string>;
      raw?: string | Uint8Array;
    } = {},
  ): Promise<Answer<T>> {
    const h: Record<string, string> = { ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    let payload: string | Uint8Array | undefined = raw;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    const res = await fetch(this.baseUrl + path, { method, headers: h, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  }

  get<T = any>(path: string, token?: string) {
    return this.request<T>('GET', path, { token });
  }

  post<T = any>(path: string, body?: unknown, token?: string) {
    return this.request<T>('POST', path, { body, token });
  }

  /** A request whose answer is bytes (downloads, uploads' answers kept raw). */
  async bytes(
    method: string,
    path: string,
    {
      token,
      headers = {},
      body,
    }: { token?: string; headers?: Record<string, string>; body?: Buffer | Uint8Array } = {},
  ): Promise<{ status: number; headers: Headers; data: Buffer }> {
    const h: Record<string, string> = { ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    const res = await fetch(this.baseUrl + path, { method, headers: h, body });
    return { status: res.status, headers: res.headers, data: Buffer.from(await res.arrayBuffer()) };
  }

  /** `POST /files?name=` with `data` as the body; the answer parsed like any other. */
  upload(
    data: Buffer | Uint8Array,
    name: string,
    token: string,
    headers: Record<string, string> = {},
  ) {
    return this.request('POST', `/files?name=${encodeURIComponent(name)}`, {
      token,
      headers: { 'content-type': 'application/octet-stream', ...headers },
      raw: data,
    });
  }

  async login(email: string, password = 'test', clientId?: string): Promise<Session> {
    const res = await this.post('/login', { email, password, client_id: clientId });
    if (res.status !== 200)
      throw new Error(`login ${email}: ${res.status} ${JSON.stringify(res.body)}`);
    const me = await this.get('/me', res.body.access_token);
    return {
      token: res.body.access_token,
      refreshToken: res.body.refresh_token,
      userId: me.body.id,
    };
  }

  /** Registers a new user (password `password123`) and logs in. */
  async newUser(label: string): Promise<Session & { email: string }> {
    const email = `${label}-${Math.random().toString(36).slice(2, 10)}@example.com`;
    const res = await this.post('/register', { email, name: label, password: 'password123' });
    if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`);
    return { ...(await this.login(email, 'password123')), email };
  }

  /** `owner` makes a group of `members` (201 or it throws); its body. */
  async newGroup(owner: Session, members: Session[], name = 'G'): Promise<any> {
    const res = await this.post(
      '/group',
      { name, participant_user_ids: members.map((m) => m.userId) },
      owner.token,
    );
    if (res.status !== 201) throw new Error(`group: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  send(
    target: { user: number } | { group: number },
    text: string,
    operationId: number,
    token: string,
  ) {
    const path =
      'user' in target ? `/messages/user/${target.user}` : `/messages/group/${target.group}`;
    return this.post(path, { text, operation_id: operationId }, token);
  }
}
