/**
 * A Jepsen-style audit of one fault scenario over three logs (messages here; the other changes
 * in change-audit.ts, which `changes` holds and `check()` reports with them):
 *
 * - **attempted**: every send a client tried (sender, target, text, operation id), and every
 *   HTTP exchange it made for it (status, message id, or the network error);
 * - **acknowledged**: every send the client saw succeed (its message id and text);
 * - **delivered**: the final database read of every message, and every message each subscriber
 *   received.
 *
 * `check()` compares them: nothing acknowledged is missing from the database, no subscriber
 * misses a committed message of a chat it should see (after a bounded drain), nothing arrives
 * twice at one subscriber, nothing exists that was never attempted, no 5xx is taken for a
 * success. Texts are unique per logical send, so a text is the send's identity.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ChangeAudit, type ChangeCounts } from './change-audit.js';

export type Target = { user: number } | { group: number };

export interface AttemptInput {
  /** Who sent it (a label naming the client, e.g. `alice/race`). */
  sender: string;
  senderId: number;
  target: Target;
  text: string;
  operationId: number;
}

interface SendRecord extends AttemptInput {
  /** Calls of the SDK for this send (application-level retries included). */
  tries: number;
  acknowledged?: { id: number; chatId: number };
  /** Why tries failed, in order (`503 internal_error`, `0 network_error`…). */
  failures: string[];
}

/** One HTTP request of a send, as the instrumented fetch saw it. */
export interface Exchange {
  sender: string;
  host: string;
  operationId: number | undefined;
  text: string | undefined;
  /** 0 when no answer came. */
  status: number;
  messageId?: number;
  isReplayed?: boolean;
  /** `aborted` (the caller gave up: a sender stopping), `timeout`, or the cause code. */
  error?: string;
}

export interface DbMessage {
  id: number;
  chat_id: number;
  sender_id: number;
  sender_client_id: string;
  text: string;
}

export interface ReceivedMessage {
  id: number;
  chat_id: number;
  text: string;
}

/** What a subscriber should see: every chat of `userId` (or only `chatId`), minus its own sends. */
export interface SubscriberScope {
  userId: number;
  clientId: string;
  chatId?: number;
  /** It subscribed from this message id on (default 0: everything). */
  after?: number;
}

export interface AuditCounts extends ChangeCounts {
  /** Logical sends attempted (each with one text and one operation id). */
  attempted: number;
  /** Sends the client saw succeed. */
  acknowledged: number;
  /** Messages of this scenario in the database at the end. */
  delivered: number;
  /** Acknowledged but not in the database, plus every (subscriber, message) it should have and did not get. */
  lost: number;
  /** Extra database rows of one send, plus every repeat a subscriber got. */
  duplicated: number;
  /** 5xx answers seen by clients (each is retried, never success). */
  fiveXx: number;
  /** Requests that got no answer (refused, reset, timed out); race losers not counted. */
  networkErrors: number;
  /** Acknowledged sends without a 2xx answer carrying the same message id. Must be 0. */
  fiveXxTakenAsSuccess: number;
  /** Sends whose only answers were 5xx, and whose message exists anyway. Must be 0. */
  fiveXxWithEffect: number;
  /** Database messages or received messages that were never attempted (or differ). Must be 0. */
  unattempted: number;
  /** HTTP requests made for sends (retries and raced copies included). */
  requests: number;
  /** Sends that never got a success, and their message is not in the database either. */
  failedCleanly: number;
  /** Sends that never got a success, but their message was committed (an answer got lost). */
  failedButCommitted: number;
  subscribers: number;
  /** Messages the subscribers received, all together (repeats included). */
  received: number;
}

export interface AuditReport {
  scenario: string;
  counts: AuditCounts;
  /** One line per broken promise (empty: clean), with examples. */
  problems: string[];
  /** Per subscriber: expected, received, missing ids and repeated ids. */
  subscribers: Record<
    string,
    { expected: number; received: number; missing: number[]; repeated: number[] }
  >;
  /** How failures were spelled, with their counts (for the record). */
  failureKinds: Record<string, number>;
}

const EXAMPLES = 8;

function examples<T>(items: T[], show: (item: T) => string = String): string {
  const shown = items.slice(0, EXAMPLES).map(show).join(', ');
  return items.length > EXAMPLES ? `${shown}, … (${items.length} in all)` : shown;
}

function bump(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}

export class Audit {
  private readonly sends = new Map<string, SendRecord>();
  private readonly exchanges: Exchange[] = [];
  private readonly scopes = new Map<string, SubscriberScope>();
  private readonly inbox = new Map<string, ReceivedMessage[]>();
  private readonly subscriberFailures = new Map<string, string>();
  private database: DbMessage[] | undefined;
  private members: Map<number, Set<number>> | undefined;
  /** Changes other than new messages: their attempts, acknowledgements and deliveries. */
  readonly changes = new ChangeAudit();

  /** `scenario` prefixes every text, so one database may hold several scenarios' messages. */
  constructor(readonly scenario: string) {}

  /** A unique text for a send of `sender` (its `seq`-th). */
  text(sender: string, seq: number, padding = ''): string {
    return `${this.scenario}|${sender}|${seq}${padding ? `|${padding}` : ''}`;
  }

  attempt(input: AttemptInput): void {
    const existing = this.sends.get(input.text);
    if (existing) {
      if (existing.operationId !== input.operationId || existing.sender !== input.sender) {
        throw new Error(`text reused for another send: ${input.text}`);
      }
      existing.tries++;
      return;
    }
    this.sends.set(input.text, { ...input, tries: 1, failures: [] });
  }

  acknowledged(text: string, message: { id: number; chat_id: number }): void {
    const send = this.mustGet(text);
    if (send.acknowledged && send.acknowledged.id !== message.id) {
      send.failures.push(
        `acknowledged twice with different ids ${send.acknowledged.id}/${message.id}`,
      );
    }
    send.acknowledged = { id: message.id, chatId: message.chat_id };
  }

  failed(text: string, err: unknown): void {
    const e = err as { status?: number; code?: string; message?: string };
    this.mustGet(text).failures.push(
      e.status !== undefined ? `${e.status} ${e.code ?? ''}`.trim() : String(e.message ?? err),
    );
  }

  exchange(e: Exchange): void {
    this.exchanges.push(e);
  }

  /** Declares a subscriber and what it should see. */
  subscriber(label: string, scope: SubscriberScope): void {
    this.scopes.set(label, scope);
    if (!this.inbox.has(label)) this.inbox.set(label, []);
  }

  received(label: string, message: ReceivedMessage): void {
    const list = this.inbox.get(label);
    if (!list) throw new Error(`unknown subscriber ${label}`);
    list.push({ id: message.id, chat_id: message.chat_id, text: message.text });
  }

  /** The subscription ended with an error (it must not: it reconnects by itself). */
  subscriberFailed(label: string, err: unknown): void {
    this.subscriberFailures.set(label, err instanceof Error ? err.message : String(err));
  }

  /** What `label` received so far. */
  inboxOf(label: string): readonly ReceivedMessage[] {
    return this.inbox.get(label) ?? [];
  }

  /**
   * A fetch that records every send's HTTP exchange into this audit (give it to the SDK client
   * of `sender`); other requests pass through unrecorded.
   */
  fetchFor(sender: string, base: typeof fetch = globalThis.fetch.bind(globalThis)): typeof fetch {
    return async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (!(init?.method === 'POST' && url.pathname.startsWith('/messages/'))) {
        return base(input, init);
      }
      let operationId: number | undefined;
      let text: string | undefined;
      try {
        const body = JSON.parse(typeof init.body === 'string' ? init.body : '') as {
          operation_id?: number;
          text?: string;
        };
        operationId = body.operation_id;
        text = body.text;
      } catch {
        // not ours to judge
      }
      const record: Exchange = { sender, host: url.origin, operationId, text, status: 0 };
      try {
        const res = await base(input, init);
        const body = await res.text();
        record.status = res.status;
        record.isReplayed = res.headers.get('idempotent-replayed') === 'true';
        if (res.status < 300) {
          try {
            record.messageId = (JSON.parse(body) as { id?: number }).id;
          } catch {
            record.error = 'unparsable 2xx body';
          }
        }
        this.exchanges.push(record);
        return new Response(body, { status: res.status, headers: res.headers });
      } catch (err) {
        record.error = errorKind(err);
        this.exchanges.push(record);
        throw err;
      }
    };
  }

  /** Reads every message of this scenario, and every chat's members, from the database. */
  async readDatabase(databaseUrl: string): Promise<DbMessage[]> {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<DbMessage>(
        `SELECT id::int, chat_id::int, sender_id::int, sender_client_id, text FROM messages
         WHERE starts_with(text, $1) ORDER BY id`,
        [`${this.scenario}|`],
      );
      const members = await client.query<{ chat_id: number; user_id: number }>(
        'SELECT chat_id::int, user_id::int FROM chat_members',
      );
      this.useDatabase(rows, members.rows);
    } finally {
      await client.end();
    }
    await this.changes.readLog(databaseUrl);
    return this.database!;
  }

  /** Takes the final database state as given (what `readDatabase` reads; for the audit's own tests). */
  useDatabase(messages: DbMessage[], members: { chat_id: number; user_id: number }[]): void {
    this.members = new Map();
    for (const m of members) {
      let set = this.members.get(m.chat_id);
      if (!set) this.members.set(m.chat_id, (set = new Set()));
      set.add(m.user_id);
    }
    this.database = messages.filter((m) => m.text.startsWith(`${this.scenario}|`));
  }

  /** The database messages `label` should receive (after `readDatabase`). */
  expectedFor(label: string): DbMessage[] {
    const scope = this.scopes.get(label);
    if (!scope || !this.database || !this.members) return [];
    return this.database.filter(
      (m) =>
        m.id > (scope.after ?? 0) &&
        (scope.chatId === undefined || m.chat_id === scope.chatId) &&
        (this.members!.get(m.chat_id)?.has(scope.userId) ?? false) &&
        !(m.sender_id === scope.userId && m.sender_client_id === scope.clientId),
    );
  }

  private missingFor(label: string): DbMessage[] {
    const got = new Set(this.inboxOf(label).map((m) => m.id));
    return this.expectedFor(label).filter((m) => !got.has(m.id));
  }

  /**
   * Waits (at most `timeoutMs`) until every subscriber has every message it should have;
   * resolves with how long it took, or -1 when the time ran out (check() then says what is
   * missing).
   */
  async drain(timeoutMs: number): Promise<number> {
    if (!this.database) throw new Error('readDatabase() first');
    const t0 = Date.now();
    for (;;) {
      const waiting = [...this.scopes.keys()].filter((l) => this.missingFor(l).length > 0);
      if (waiting.length === 0 && this.changes.isDrained()) return Date.now() - t0;
      if (Date.now() - t0 > timeoutMs) return -1;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  check(): AuditReport {
    if (!this.database) throw new Error('readDatabase() first');
    const problems: string[] = [];
    const failureKinds: Record<string, number> = {};
    const sends = [...this.sends.values()];
    const byText = new Map<string, DbMessage[]>();
    for (const m of this.database) {
      const list = byText.get(m.text) ?? [];
      list.push(m);
      byText.set(m.text, list);
    }
    const dbById = new Map(this.database.map((m) => [m.id, m]));

    // acknowledged − delivered(final DB) = ∅, and each acknowledged id is that text's row.
    const acked = sends.filter((s) => s.acknowledged);
    const lostAcked = acked.filter((s) => !byText.has(s.text));
    if (lostAcked.length) {
      problems.push(
        `acknowledged but not in the database (${lostAcked.length}): ${examples(lostAcked, (s) => `#${s.acknowledged!.id} "${s.text}"`)}`,
      );
    }
    const wrongId = acked.filter(
      (s) => byText.has(s.text) && !byText.get(s.text)!.some((m) => m.id === s.acknowledged!.id),
    );
    if (wrongId.length) {
      problems.push(
        `acknowledged with an id that is not the stored message (${wrongId.length}): ${examples(
          wrongId,
          (s) =>
            `"${s.text}" acked #${s.acknowledged!.id}, stored #${byText
              .get(s.text)!
              .map((m) => m.id)
              .join('/')}`,
        )}`,
      );
    }

    // Exactly once: one row per send.
    const dbDuplicates = [...byText.entries()].filter(([, rows]) => rows.length > 1);
    if (dbDuplicates.length) {
      problems.push(
        `sends stored more than once (${dbDuplicates.length}): ${examples(dbDuplicates, ([t, rows]) => `"${t}" ×${rows.length} (#${rows.map((r) => r.id).join(', #')})`)}`,
      );
    }

    // Nothing delivered that was never attempted.
    const unattemptedRows = this.database.filter((m) => {
      const s = this.sends.get(m.text);
      return !s || s.senderId !== m.sender_id;
    });
    if (unattemptedRows.length) {
      problems.push(
        `stored but never attempted by that sender (${unattemptedRows.length}): ${examples(unattemptedRows, (m) => `#${m.id} "${m.text}"`)}`,
      );
    }

    // No 5xx taken for a success: each acknowledgement is backed by a 2xx with its id.
    const okExchanges = new Map<string, Exchange[]>();
    for (const e of this.exchanges) {
      if (e.text === undefined) continue;
      const list = okExchanges.get(e.text) ?? [];
      list.push(e);
      okExchanges.set(e.text, list);
      if (e.status >= 500) bump(failureKinds, `http ${e.status}`);
      else if (e.status === 0 && e.error !== 'aborted') bump(failureKinds, `no answer: ${e.error}`);
      else if (e.status === 0) bump(failureKinds, 'aborted (the caller gave up)');
      else if (e.status >= 400) bump(failureKinds, `http ${e.status}`);
    }
    const unbacked = acked.filter(
      (s) =>
        !(okExchanges.get(s.text) ?? []).some(
          (e) => e.status >= 200 && e.status < 300 && e.messageId === s.acknowledged!.id,
        ),
    );
    if (unbacked.length) {
      problems.push(
        `acknowledged without a 2xx answer carrying that id (${unbacked.length}): ${examples(unbacked, (s) => `"${s.text}" → ${(okExchanges.get(s.text) ?? []).map((e) => e.status).join('/')}`)}`,
      );
    }
    const split = [...okExchanges.entries()].filter(
      ([, list]) => new Set(list.filter((e) => e.messageId).map((e) => e.messageId)).size > 1,
    );
    if (split.length) {
      problems.push(
        `one send answered with different message ids (${split.length}): ${examples(split, ([t, list]) => `"${t}" → #${[...new Set(list.map((e) => e.messageId).filter(Boolean))].join('/#')}`)}`,
      );
    }
    // A 5xx must not have done the work: a send whose every request got a 5xx or a replay,
    // none unanswered, yet its message exists.
    const withEffect = sends.filter((s) => {
      const list = okExchanges.get(s.text) ?? [];
      return (
        byText.has(s.text) &&
        list.some((e) => e.status >= 500) &&
        !list.some((e) => e.status === 201 || e.status === 0)
      );
    });
    if (withEffect.length) {
      problems.push(
        `a 5xx answer created the message anyway (${withEffect.length}): ${examples(withEffect, (s) => `"${s.text}" → ${(okExchanges.get(s.text) ?? []).map((e) => e.status).join('/')}`)}`,
      );
    }
    for (const s of sends) for (const f of s.failures) bump(failureKinds, `sdk threw: ${f}`);

    // Per subscriber: nothing missing, nothing twice, nothing foreign.
    const subscriberReport: AuditReport['subscribers'] = {};
    let lostAtSubscribers = 0;
    let repeatsAtSubscribers = 0;
    let foreign = 0;
    let received = 0;
    for (const label of this.scopes.keys()) {
      const inbox = this.inboxOf(label);
      received += inbox.length;
      const counts = new Map<number, number>();
      for (const m of inbox) counts.set(m.id, (counts.get(m.id) ?? 0) + 1);
      const repeated = [...counts.entries()].filter(([, n]) => n > 1).map(([id]) => id);
      const missing = this.missingFor(label);
      const strangers = inbox.filter((m) => {
        const row = dbById.get(m.id);
        return m.text.startsWith(`${this.scenario}|`) && (!row || row.text !== m.text);
      });
      const expected = this.expectedFor(label);
      subscriberReport[label] = {
        expected: expected.length,
        received: inbox.length,
        missing: missing.map((m) => m.id),
        repeated,
      };
      lostAtSubscribers += missing.length;
      repeatsAtSubscribers += [...counts.values()].reduce((n, c) => n + c - 1, 0);
      foreign += strangers.length;
      if (missing.length) {
        const ackedIds = new Set(acked.map((s) => s.acknowledged!.id));
        problems.push(
          `${label} is missing ${missing.length} of ${expected.length} messages: ${examples(missing, (m) => `#${m.id} chat ${m.chat_id}${ackedIds.has(m.id) ? '' : ' (unacknowledged)'}`)}`,
        );
      }
      if (repeated.length) {
        problems.push(`${label} received messages twice: #${examples(repeated)}`);
      }
      if (strangers.length) {
        problems.push(
          `${label} received messages that are not stored so: ${examples(strangers, (m) => `#${m.id} "${m.text}"`)}`,
        );
      }
      const failure = this.subscriberFailures.get(label);
      if (failure) problems.push(`${label}'s subscription ended with an error: ${failure}`);
    }

    const notAcked = sends.filter((s) => !s.acknowledged);
    const changes = this.changes.check();
    problems.push(...changes.problems);
    Object.assign(failureKinds, this.changes.failureKinds());
    const counts: AuditCounts = {
      ...changes.counts,
      attempted: sends.length,
      acknowledged: acked.length,
      delivered: this.database.length,
      lost: lostAcked.length + lostAtSubscribers,
      duplicated:
        dbDuplicates.reduce((n, [, rows]) => n + rows.length - 1, 0) + repeatsAtSubscribers,
      fiveXx: this.exchanges.filter((e) => e.status >= 500).length,
      networkErrors: this.exchanges.filter((e) => e.status === 0 && e.error !== 'aborted').length,
      fiveXxTakenAsSuccess: unbacked.length,
      fiveXxWithEffect: withEffect.length,
      unattempted: unattemptedRows.length + foreign,
      requests: this.exchanges.length,
      failedCleanly: notAcked.filter((s) => !byText.has(s.text)).length,
      failedButCommitted: notAcked.filter((s) => byText.has(s.text)).length,
      subscribers: this.scopes.size,
      received,
    };
    return {
      scenario: this.scenario,
      counts,
      problems,
      subscribers: subscriberReport,
      failureKinds,
    };
  }

  private mustGet(text: string): SendRecord {
    const send = this.sends.get(text);
    if (!send) throw new Error(`no attempt recorded for "${text}"`);
    return send;
  }
}

function errorKind(err: unknown): string {
  const e = err as { name?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'timeout';
  if (e.name === 'AbortError') return 'aborted';
  return e.cause?.code ?? e.cause?.message ?? e.name ?? 'error';
}

/** The text an assertion prints: counts first, then every broken promise. */
export function describeReport(report: AuditReport): string {
  const c = report.counts;
  const head =
    `${report.scenario}: attempted ${c.attempted}, acknowledged ${c.acknowledged}, ` +
    `delivered ${c.delivered}, lost ${c.lost}, duplicated ${c.duplicated}, 5xx ${c.fiveXx}, ` +
    `network errors ${c.networkErrors}; changes attempted ${c.changesAttempted}, ` +
    `acknowledged ${c.changesAcknowledged}, delivered ${c.changesDelivered}, lost ` +
    `${c.changesLost}, duplicated ${c.changesDuplicated}`;
  return report.problems.length === 0
    ? `${head}: clean`
    : `${head}\n  - ${report.problems.join('\n  - ')}`;
}

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** Where scenarios leave their numbers: `artifacts/faults/latest.json` (git-ignored). */
export const ARTIFACTS = path.join(ROOT, 'artifacts', 'faults');
export const LATEST = path.join(ARTIFACTS, 'latest.json');

export interface ScenarioRecord {
  /** The command that checks it again. */
  grep: string;
  passed: boolean;
  durationMs: number;
  at: string;
  commit: string;
  /**
   * The audit's counts, or a scenario's own in the same columns (uploads: attempted uploads,
   * acknowledged file ids, delivered files whose bytes match, …).
   */
  counts: AuditCounts | Record<string, number>;
  problems: string[];
  /** Numbers of the fault itself (how long /readyz was 503, resyncs, memory…). */
  observed: Record<string, unknown>;
}

function headCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
  } catch {
    return 'unknown';
  }
}

/**
 * Records a scenario's numbers into `artifacts/faults/latest.json`, keeping the other
 * scenarios' last numbers (a run with `-g` updates only its own).
 */
export async function recordScenario(
  name: string,
  entry: Omit<ScenarioRecord, 'at' | 'commit'>,
): Promise<void> {
  await fs.mkdir(ARTIFACTS, { recursive: true });
  let all: { scenarios: Record<string, ScenarioRecord> } = { scenarios: {} };
  try {
    all = JSON.parse(await fs.readFile(LATEST, 'utf8')) as typeof all;
  } catch {
    // first run
  }
  all.scenarios[name] = { ...entry, at: new Date().toISOString(), commit: headCommit() };
  const tmp = `${LATEST}.${process.pid}.tmp`;
  await fs.writeFile(tmp, `${JSON.stringify(all, null, 2)}\n`);
  await fs.rename(tmp, LATEST);
}
