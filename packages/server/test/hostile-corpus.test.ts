/**
 * The hostile-input corpus, generated from openapi/openapi.json at test time: for every
 * operation (a route added later included), wrong types, huge and fractional numbers, NUL and
 * lone surrogates, over-long strings, deep JSON, prototype keys, bad percent-encoding, wrong
 * content types and encodings, lying framing, forged credentials, and odd WebSocket upgrades.
 *
 * Every variant must be answered (never hung, never closed unanswered), never 5xx, never with a
 * stack trace; refused ones with a 4xx problem+json carrying a `code`; and a refused request
 * must leave the data tables as they were. The instance must keep serving throughout.
 */
import { expect } from 'chai';
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import pg from 'pg';
import { COMMITTED_OPENAPI_PATH } from '../src/api-documents.js';
import {
  exampleOf,
  operationsOf,
  upgradeVariants,
  variantsOf,
  type Operation,
  type Variant,
} from './support/corpus.js';
import { startCluster, type Cluster, type Session } from './support/harness.js';
import { exchange, type WireAnswer, type WireRequest } from './support/wire.js';
import net from 'node:net';

/** The secret of testConfig(): the corpus forges tokens with it (no exp, unknown user…). */
const SECRET = 'test-secret-that-is-long-enough';
/** The data tables; rate_buckets, login_failures, instances and socket_leases are bookkeeping. */
const DATA_TABLES = [
  'settings',
  'users',
  'chats',
  'groups',
  'chat_members',
  'messages',
  'message_operations',
  'refresh_tokens',
];
const CONCURRENCY = 8;
const BATCH = 64;
const ANSWER_TIMEOUT_MS = 8000;
const LEAK = /node_modules|\bat \S+ \(|\.ts:\d+|"stack"/;

const b64url = (v: string | Buffer) => Buffer.from(v).toString('base64url');

function jwt(header: object, payload: object, sign: (data: string) => string): string {
  const data = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${data}.${sign(data)}`;
}
const hmac = (alg: 'sha256' | 'sha512', secret: string) => (data: string) =>
  createHmac(alg, secret).update(data).digest('base64url');

/** Authorization values that must be refused, for a caller `userId` on device `clientId`. */
function badAuthorizations(userId: number, token: string): [string, string | Buffer][] {
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: String(userId), client_id: 'corpus', iat: now, exp: now + 600 };
  const hs256 = hmac('sha256', SECRET);
  const signed = (payload: object, header: object = { alg: 'HS256', typ: 'JWT' }) =>
    `Bearer ${jwt(header, payload, hs256)}`;
  const without = (key: keyof typeof claims) =>
    Object.fromEntries(Object.entries(claims).filter(([k]) => k !== key));
  const [h, p, s] = token.split('.') as [string, string, string];
  const flipped = `${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`;
  return [
    ['empty', ''],
    ['scheme only', 'Bearer'],
    ['scheme and a space', 'Bearer '],
    ['Basic credentials', `Basic ${b64url('owner:password123')}`],
    ['another scheme', `Token ${token}`],
    ['a 10 KB token', `Bearer ${'a'.repeat(10 * 1024)}`],
    [
      '10 KB of JWT-shaped segments',
      `Bearer ${'a'.repeat(3400)}.${'b'.repeat(3400)}.${'c'.repeat(3400)}`,
    ],
    ['non-ASCII bytes', Buffer.from('Bearer тест.токен.✓')],
    ['alg none', `Bearer ${jwt({ alg: 'none', typ: 'JWT' }, claims, () => '')}`],
    ['alg none with a signature', `Bearer ${jwt({ alg: 'none' }, claims, hs256)}`],
    ['alg NONE', `Bearer ${jwt({ alg: 'NONE' }, claims, () => '')}`],
    ['HS512 with our secret', `Bearer ${jwt({ alg: 'HS512' }, claims, hmac('sha512', SECRET))}`],
    ['RS256 header over an HMAC signature', signed(claims, { alg: 'RS256' })],
    [
      'another secret',
      `Bearer ${jwt({ alg: 'HS256' }, claims, hmac('sha256', 'another-secret-that-is-long-enough'))}`,
    ],
    ['no exp', signed(without('exp'))],
    ['expired', signed({ ...claims, iat: now - 7200, exp: now - 3600 })],
    ['exp not a number', signed({ ...claims, exp: 'never' })],
    ['nbf in the future', signed({ ...claims, nbf: now + 3600 })],
    ['no sub', signed(without('sub'))],
    ['sub 0', signed({ ...claims, sub: '0' })],
    ['sub letters', signed({ ...claims, sub: 'admin' })],
    ['sub 2^64', signed({ ...claims, sub: '18446744073709551616' })],
    ['no client_id', signed(without('client_id'))],
    ['client_id a number', signed({ ...claims, client_id: 7 })],
    ['a header that is not JSON', `Bearer ${b64url('{not json')}.${p}.${s}`],
    ['a payload that is not JSON', `Bearer ${h}.${b64url('{not json')}.${s}`],
    ['the payload a JSON array', `Bearer ${jwt({ alg: 'HS256' }, [1, 2], hs256)}`],
    [
      '__proto__ in the payload',
      `Bearer ${h}.${b64url(`{"__proto__":{"sub":"${userId}"},"exp":${now + 600}}`)}.${s}`,
    ],
    ['a flipped signature', `Bearer ${h}.${p}.${flipped}`],
    ['no signature', `Bearer ${h}.${p}.`],
    ['cut short', `Bearer ${token.slice(0, -10)}`],
    ['four segments', `Bearer ${token}.x`],
    ['dots only', 'Bearer ...'],
  ];
}

/** A cheap fingerprint of every data table: row count and md5 of the rows, per table. */
const FINGERPRINT = `SELECT ${DATA_TABLES.map(
  (t) =>
    `(SELECT count(*) || ':' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM ${t} x) AS ${t}`,
).join(', ')}`;

interface Failure {
  variant: string;
  problem: string;
}

/** What is wrong with `a` as the answer to `v`, if anything. */
function judge(v: Variant, a: WireAnswer): string | undefined {
  if (a.isHung) return `no answer within ${ANSWER_TIMEOUT_MS} ms`;
  if (a.status === 0)
    return `the connection ended without an answer: ${JSON.stringify(a.body.slice(0, 100))}`;
  if (a.status >= 500) return `answered ${a.status}`;
  if (LEAK.test(a.body)) return `the body leaks internals: ${a.body.slice(0, 300)}`;
  const isRefused = a.status >= 400 && a.status < 500;
  const isAccepted = v.isUpgrade ? a.status === 101 : a.status >= 200 && a.status < 300;
  if (v.expect === 'refused' && !isRefused) return `expected 4xx, got ${a.status}`;
  if (!isRefused && !isAccepted) return `unexpected status ${a.status}`;
  if (isRefused && !v.isUpgrade) {
    if (!/^application\/problem\+json/.test(a.headers['content-type'] ?? '')) {
      return `a ${a.status} that is not problem+json (${a.headers['content-type'] ?? 'no type'}): ${a.body.slice(0, 100)}`;
    }
    if (v.request.method !== 'HEAD') {
      let body: any;
      try {
        body = JSON.parse(a.body);
      } catch {
        return `a problem that is not JSON: ${a.body.slice(0, 100)}`;
      }
      if (typeof body?.code !== 'string' || body.status !== a.status) {
        return `a problem without its code or status: ${a.body.slice(0, 200)}`;
      }
    }
  }
  return undefined;
}

async function pool<T>(items: T[], width: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

describe('hostile corpus from the OpenAPI document', function () {
  this.timeout(60_000);
  const document = JSON.parse(fs.readFileSync(COMMITTED_OPENAPI_PATH, 'utf8'));
  const operations = operationsOf(document);
  let c: Cluster;
  let url: string;
  let db: pg.Pool;
  let owner: Session & { email: string };
  let directChatId: number;
  let messageId: number;
  const variantsByOp = new Map<string, Variant[]>();
  const tally = new Map<string, { total: number; accepted: number; upgradeProblems: number }>();
  /** Every variant's answer, written to $HOSTILE_CORPUS_REPORT (a path) when it is set. */
  const report: { op: string; variant: string; expect: string; status: number; body: string }[] =
    [];

  before(async function () {
    this.timeout(60_000);
    c = await startCluster({ rateLimitGroupsPerMinute: 0 });
    url = c.servers[0]!.url;
    db = new pg.Pool({ connectionString: c.databaseUrl, max: 1 });
    owner = await c.api.newUser('owner');
    const peer = await c.api.newUser('peer');
    const outsider = await c.api.newUser('outsider');
    const group = await c.api.post(
      '/group',
      { name: 'corpus group', participant_user_ids: [peer.userId] },
      owner.token,
    );
    expect(group.status).to.equal(201);
    const sent = [];
    for (let i = 0; i < 3; i++) {
      sent.push(await c.api.send({ user: peer.userId }, `setup ${i}`, 30_000 + i, owner.token));
    }
    await c.api.send({ group: group.body.group_id }, 'in the group', 30_010, peer.token);
    directChatId = sent[0]!.body.chat_id;
    messageId = sent[0]!.body.id;
    const foreign = await c.api.post(
      '/group',
      { name: 'not yours', participant_user_ids: [] },
      outsider.token,
    );

    let operationId = -32768;
    let emails = 0;
    const unknownRefreshToken = randomBytes(32).toString('base64url');
    const hints: Record<string, (op: Operation) => unknown> = {
      email: (op) => (op.path === '/login' ? owner.email : `corpus-${++emails}@example.com`),
      username: () => owner.email,
      password: () => 'password123',
      client_id: () => 'corpus',
      name: () => 'corpus',
      text: () => 'corpus text',
      operation_id: () => operationId++,
      participant_user_ids: () => [peer.userId],
      user_ids: () => [peer.userId],
      refresh_token: () => unknownRefreshToken,
    };
    const pathValues: Record<string, number> = {
      user_id: peer.userId,
      group_id: group.body.group_id,
      chat_id: directChatId,
      message_id: messageId,
    };
    const bad = badAuthorizations(owner.userId, owner.token);
    const now = Math.floor(Date.now() / 1000);
    const ghostToken = jwt(
      { alg: 'HS256', typ: 'JWT' },
      { sub: '900719925474099', client_id: 'corpus', iat: now, exp: now + 3600 },
      hmac('sha256', SECRET),
    );
    const ctx = {
      token: owner.token,
      ghostToken,
      badAuthorizations: bad,
      pathValue: (_op: Operation, name: string) => String(pathValues[name] ?? 1),
      body: (op: Operation, kind: 'json' | 'form') => {
        const schema = (kind === 'json' ? op.jsonBody : op.formBody)!;
        const body = exampleOf(schema, 'body') as Record<string, unknown>;
        for (const field of Object.keys(schema.properties ?? {})) {
          const hint = hints[field];
          if (hint) body[field] = hint(op);
        }
        return body;
      },
    };
    for (const op of operations) variantsByOp.set(op.key, variantsOf(op, ctx));
    for (const v of upgradeVariants({
      token: owner.token,
      chatId: directChatId,
      foreignChatId: foreign.body.chat_id,
      badAuthorizations: bad,
      ghostToken,
    })) {
      variantsByOp.set(v.op, [...(variantsByOp.get(v.op) ?? []), v]);
    }
  });

  after(async () => {
    const total = [...tally.values()].reduce((n, t) => n + t.total, 0);
    const accepted = [...tally.values()].reduce((n, t) => n + t.accepted, 0);
    const upgradeProblems = [...tally.values()].reduce((n, t) => n + t.upgradeProblems, 0);
    const perOp = [...tally.entries()].map(([op, t]) => `${op} ${t.total}`).join(', ');
    console.log(
      `      hostile corpus: ${total} variants, ${accepted} accepted as valid, ` +
        `${upgradeProblems} upgrades refused without problem+json; ${perOp}`,
    );
    if (process.env.HOSTILE_CORPUS_REPORT) {
      fs.writeFileSync(process.env.HOSTILE_CORPUS_REPORT, JSON.stringify(report, null, 1));
    }
    await db?.end();
    await c?.close();
  });

  async function fingerprint(): Promise<Record<string, string>> {
    const { rows } = await db.query<Record<string, string>>(FINGERPRINT);
    return rows[0]!;
  }

  async function expectAlive(): Promise<void> {
    const get = (target: string, auth = true): WireRequest => ({
      method: 'GET',
      target,
      headers: [
        ['Host', '127.0.0.1'],
        ...(auth ? [['Authorization', `Bearer ${owner.token}`] as [string, string]] : []),
      ],
    });
    const health = await exchange(url, get('/healthz', false));
    expect(health.status, 'GET /healthz after the batch').to.equal(200);
    const me = await exchange(url, get('/me'));
    expect(me.status, `GET /me after the batch: ${me.body}`).to.equal(200);
    const history = await exchange(url, get(`/history/${directChatId}`));
    expect(history.status, `GET /history after the batch: ${history.body}`).to.equal(200);
  }

  /** Sends `v`, judges the answer, and counts it. */
  async function attempt(v: Variant, failures: Failure[]): Promise<WireAnswer> {
    const a = await exchange(url, v.request, ANSWER_TIMEOUT_MS);
    const problem = judge(v, a);
    const label = `${v.family} / ${v.name}`;
    if (problem) failures.push({ variant: label, problem });
    report.push({
      op: v.op,
      variant: label,
      expect: v.expect,
      status: a.status,
      body: a.body.slice(0, 200),
    });
    const t = tally.get(v.op) ?? { total: 0, accepted: 0, upgradeProblems: 0 };
    t.total++;
    if (a.status < 400) t.accepted++;
    if (v.isUpgrade && a.status >= 400 && !/problem\+json/.test(a.headers['content-type'] ?? '')) {
      t.upgradeProblems++;
    }
    tally.set(v.op, t);
    return a;
  }

  async function runAll(variants: Variant[]): Promise<Failure[]> {
    const failures: Failure[] = [];
    // Valid-or-not variants one at a time: a refusal among them must have changed nothing.
    for (const v of variants.filter((x) => x.expect === 'either')) {
      const before = await fingerprint();
      const a = await attempt(v, failures);
      if (a.status >= 400) {
        const after = await fingerprint();
        if (JSON.stringify(after) !== JSON.stringify(before)) {
          failures.push({
            variant: `${v.family} / ${v.name}`,
            problem: `refused (${a.status}) but changed ${changed(before, after)}`,
          });
        }
      }
    }
    await expectAlive();
    // Refused variants in batches: nothing in a batch may change a data table.
    const refused = variants.filter((x) => x.expect === 'refused');
    for (let i = 0; i < refused.length; i += BATCH) {
      const batch = refused.slice(i, i + BATCH);
      const before = await fingerprint();
      await pool(batch, CONCURRENCY, async (v) => {
        await attempt(v, failures);
      });
      const after = await fingerprint();
      if (JSON.stringify(after) !== JSON.stringify(before)) {
        failures.push({
          variant: `a batch of ${batch.length}: ${batch.map((v) => `${v.family} / ${v.name}`).join('; ')}`,
          problem: `refused requests changed ${changed(before, after)}`,
        });
      }
      await expectAlive();
    }
    return failures;
  }

  function changed(before: Record<string, string>, after: Record<string, string>): string {
    return DATA_TABLES.filter((t) => before[t] !== after[t]).join(', ');
  }

  const keys = [...operations.map((op) => op.key), 'GET /ws', 'GET /ws/{chat_id}'];
  for (const key of keys) {
    it(`${key}: every hostile variant is answered 4xx (or validly accepted), never 5xx, and a refusal changes nothing`, async () => {
      const variants = variantsByOp.get(key) ?? [];
      expect(variants, `no variants for ${key}`).not.to.be.empty;
      const failures = await runAll(variants);
      expect(
        failures.map((f) => `${f.variant}: ${f.problem}`),
        `${failures.length} of ${variants.length} variants of ${key} went wrong`,
      ).to.deep.equal([]);
    });
  }

  it('a body shorter than its Content-Length holds only its own connection', async () => {
    const { port } = new URL(url);
    const stalled = net.connect(Number(port), '127.0.0.1');
    let answered = '';
    stalled.on('data', (d: Buffer) => (answered += d.toString('latin1')));
    stalled.on('error', () => {});
    await new Promise((r) => stalled.once('connect', r));
    stalled.write(
      `POST /group HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${owner.token}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":',
    );
    await expectAlive();
    expect(answered, 'nothing to answer yet: the body is still coming').to.equal('');
    stalled.destroy();
    await expectAlive();
  });
});
