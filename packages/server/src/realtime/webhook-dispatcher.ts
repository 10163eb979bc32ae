/**
 * Delivers outgoing webhooks (contract v1.5, "Outgoing webhooks"; the rows are
 * db/webhooks-queries.ts's). Every instance runs one; a webhook is delivered by whichever
 * instance holds its lease, so it is never delivered by two at once while their clocks and
 * processes are sound, and is taken over when its holder dies.
 *
 * - A turn: claim a due webhook (`FOR UPDATE SKIP LOCKED`), read the log after its position as
 *   its owner would, and deliver matching events one at a time, each only after the one before
 *   was answered 2xx. Events that do not match its kinds and chats are skipped. The position
 *   moves only by an UPDATE that still finds this turn's lease on the row: a turn that lost its
 *   lease (it stalled past it, or the webhook was deleted) stops without moving anything.
 * - Only events at or below the published mark are delivered: all of them have committed, so the
 *   order is the log's (seq order) and a position is a plain mark. Delivery trails a commit by
 *   the marker's tick (some 25 ms).
 * - At least once: an instance killed mid-attempt leaves the position where it was; after the
 *   lease lapses another instance delivers the same event with the same `webhook-id`.
 * - A failed attempt gives the lease up and schedules a retry (capped exponential backoff with
 *   full jitter) within WEBHOOK_RETRY_HOURS of the event's first failure; past that the webhook
 *   is `failing` until resumed.
 * - At most WEBHOOK_CONCURRENCY turns at once per instance, each holding no database connection
 *   while it waits for a receiver, each attempt bounded in time and in what it reads, so a dead
 *   or slow receiver costs one slot for ten seconds and nothing else.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';
import { Webhook } from 'standardwebhooks';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import * as W from '../db/webhooks-queries.js';
import { checkPosition, placed, readLog, type LoggedEvent } from '../domain/log.js';
import {
  checkedLookup,
  DELIVERIES_KEPT,
  forbiddenAddress,
  webhookMessageId,
  webhookReader,
  type WebhookLookup,
} from '../domain/webhooks.js';
import type { Logger } from '../logger.js';
import type { WebhookStats } from '../metrics.js';

export interface DispatcherOptions {
  /**
   * How long a claim lasts unless renewed (default 30 s). It is renewed before every attempt,
   * so it must comfortably outlast one attempt plus the statements around it; it is also how
   * long a webhook waits after its holder died.
   */
  leaseMs?: number;
  /** One attempt, from DNS to the status line (default 10 s, the contract's). */
  attemptTimeoutMs?: number;
  /** How often due webhooks are looked for without being woken (default 1 s). */
  pollMs?: number;
  /** The first retry's delay; it doubles per failure (default 1 s)… */
  backoffBaseMs?: number;
  /** …up to this (default 1 h). */
  backoffMaxMs?: number;
}

/** Claims start at least this far apart (see `poke`). */
const CLAIM_GAP_MS = 50;
/** Events read per page of the log. */
const PAGE = 100;
/**
 * A turn gives its slot up after this long even with more to deliver, and claims again like
 * anyone: with more due webhooks than slots, the others get their turn.
 */
const TURN_MS = 5000;
/**
 * While the log moves, a webhook with nothing to deliver still gets a turn this often, which
 * moves its position past what it skipped (it would fall behind the log's retention otherwise).
 */
const IDLE_TURN_MS = 60_000;
/** Bytes of a response body read (and thrown away) so its connection can be used again… */
const BODY_CAP = 4096;
/** …for at most this long; a receiver that says more, or says it slower, is cut off. */
const DRAIN_MS = 1000;

/** What became of one attempt. */
export interface AttemptResult {
  /** The receiver's HTTP status; null when none came. */
  status: number | null;
  /** Why it failed; null on a 2xx. */
  error: string | null;
  durationMs: number;
}

export class WebhookDispatcher {
  /** Attempts made here, by outcome (`msgr_webhook_deliveries_total`, `…_failures_total`). */
  readonly stats: WebhookStats = { delivered: 0, failed: 0 };
  private readonly instance = randomUUID();
  private readonly turns = new Map<number, Promise<void>>();
  private readonly stopping = new AbortController();
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly lookup: WebhookLookup;
  private readonly leaseSeconds: number;
  private readonly attemptTimeoutMs: number;
  private readonly pollMs: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private poll: NodeJS.Timeout | undefined;
  private claiming: Promise<void> | undefined;
  private wakeUp: NodeJS.Timeout | undefined;
  private lastClaimAt = 0;
  private isPokedAgain = false;
  private isUrgentAgain = false;
  /** The last claim took as many webhooks as it had slots for: more may be due right away. */
  private mayHaveMore = false;

  constructor(
    private readonly db: Database,
    private readonly config: Pick<
      Config,
      'webhookAllowPrivate' | 'webhookRetrySeconds' | 'webhookConcurrency'
    >,
    private readonly logger: Logger,
    {
      leaseMs = 30_000,
      attemptTimeoutMs = 10_000,
      pollMs = 1000,
      backoffBaseMs = 1000,
      backoffMaxMs = 3_600_000,
    }: DispatcherOptions = {},
  ) {
    this.leaseSeconds = leaseMs / 1000;
    this.attemptTimeoutMs = attemptTimeoutMs;
    this.pollMs = pollMs;
    this.backoffBaseMs = backoffBaseMs;
    this.backoffMaxMs = backoffMaxMs;
    // The addresses are checked after resolution, at connect time, on every new connection:
    // by our lookup (which knows the metadata addresses) and by the agent (private ranges).
    // A connection kept alive was checked when it was made, to the address it still has.
    const filter = {
      allowPrivateIPAddress: config.webhookAllowPrivate,
      keepAlive: true,
      maxFreeSockets: 64,
      // Idle kept-alive connections are closed after this.
      timeout: 20_000,
    };
    this.httpAgent = new RequestFilteringHttpAgent(filter);
    this.httpsAgent = new RequestFilteringHttpsAgent(filter);
    this.lookup = checkedLookup(config.webhookAllowPrivate);
  }

  start(): void {
    this.poll = setInterval(() => this.poke(), this.pollMs);
    this.poll.unref();
    this.poke();
  }

  /**
   * The log moved (or a slot came free): look for due webhooks soon. Calls coalesce, and claims
   * start {@link CLAIM_GAP_MS} apart at least: under load the bus wakes it every few
   * milliseconds, and one claim finds everything due by then. Two pokes claim at once instead:
   * an `isUrgent` one (a new stream mark, which is what makes events deliverable, and comes at
   * most once a marker tick), and any poke after a claim that filled every free slot (more are
   * likely due; without this, 100 webhooks behind 16 slots would take 50 ms per slot freed).
   */
  poke(isUrgent = false): void {
    if (this.stopping.signal.aborted) return;
    if (this.claiming) {
      this.isPokedAgain = true;
      this.isUrgentAgain ||= isUrgent;
      return;
    }
    const wait = isUrgent || this.mayHaveMore ? 0 : this.lastClaimAt + CLAIM_GAP_MS - Date.now();
    if (wait > 0) {
      this.wakeUp ??= setTimeout(() => {
        this.wakeUp = undefined;
        this.poke();
      }, wait);
      this.wakeUp.unref();
      return;
    }
    clearTimeout(this.wakeUp);
    this.wakeUp = undefined;
    this.lastClaimAt = Date.now();
    this.isPokedAgain = false;
    this.isUrgentAgain = false;
    this.claiming = this.claim().finally(() => {
      this.claiming = undefined;
      if (this.isPokedAgain) this.poke(this.isUrgentAgain);
    });
  }

  /**
   * Stops claiming, cuts attempts in flight short (their events are delivered again by whoever
   * claims next, with the same `webhook-id`) and gives the leases up; resolves when every turn
   * has ended, so it must come before the database closes.
   */
  async close(): Promise<void> {
    this.stopping.abort(new Error('this instance is shutting down'));
    clearInterval(this.poll);
    clearTimeout(this.wakeUp);
    await this.claiming;
    await Promise.all(this.turns.values());
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /** One claim: as many due webhooks as there are free slots, each started on its turn. */
  private async claim(): Promise<void> {
    const free = this.config.webhookConcurrency - this.turns.size;
    if (free <= 0) {
      this.mayHaveMore = true; // an ending turn pokes again, and claims at once
      return;
    }
    try {
      const rows = await this.db.query<W.ClaimedRow & { lease_holder: string }>(W.claimWebhooks, [
        this.instance,
        this.leaseSeconds,
        [...this.turns.keys()],
        free,
      ]);
      this.mayHaveMore = rows.length === free;
      for (const row of rows) this.startTurn(row);
    } catch (err) {
      this.logger.warn({ err }, 'claiming webhooks failed: trying again at the next poll');
    }
  }

  private startTurn(row: W.ClaimedRow & { lease_holder: string }): void {
    const turn = this.turn(row)
      .catch(async (err: unknown) => {
        this.logger.warn({ err, webhookId: row.id }, 'webhook turn failed: retried later');
        // Given back now rather than when the lease lapses (if the database lets us).
        await this.db.query(W.releaseWebhook, [row.id, row.lease_holder]).catch(() => undefined);
      })
      .finally(() => {
        this.turns.delete(row.id);
        this.poke();
      });
    this.turns.set(row.id, turn);
  }

  /** One turn of webhook `claimed` under its lease: see the header. */
  private async turn(claimed: W.ClaimedRow & { lease_holder: string }): Promise<void> {
    const { id, lease_holder: holder } = claimed;
    const reader = webhookReader(id, claimed.owner_id);
    let position = Number(claimed.position.split('.')[0]);
    const endsAt = Date.now() + TURN_MS;
    const settle = (release: boolean) =>
      this.db.query(W.advanceWebhook, [
        id,
        holder,
        String(position),
        this.leaseSeconds,
        release,
        IDLE_TURN_MS / 1000,
      ]);
    for (;;) {
      if (this.stopping.signal.aborted) {
        await this.db.query(W.releaseWebhook, [id, holder]);
        return;
      }
      const [lease] = await this.db.query<W.LeasedRow>(W.renewLease, [
        id,
        holder,
        this.leaseSeconds,
      ]);
      if (!lease) return; // deleted, or no longer ours
      const chatIds = lease.chat_ids;
      const page = await readLog(this.db, reader, {
        after: position,
        limit: PAGE,
        chatId: chatIds?.length === 1 ? chatIds[0] : undefined,
      });
      if (checkPosition({ mark: position, seen: [] }, page) !== 'ok') {
        // The log was trimmed past it (it failed, or its instance was away, for longer than
        // EVENT_RETENTION_DAYS), or the database is not the one it was made on. Skipping to now
        // would lose events silently: it stops instead, and resuming goes on from now.
        await this.db.query(W.stopWebhook, [
          id,
          holder,
          String(position),
          `position_expired: the log no longer holds the events after ${position}; ` +
            'resume to go on from now (the events in between are lost)',
        ]);
        this.logger.warn({ webhookId: id, position }, 'webhook position expired: failing');
        return;
      }
      const ready = page.events.filter((e) => e.seq <= page.mark);
      let attempts = lease.attempts;
      for (const event of ready) {
        const isWanted =
          lease.events.includes(event.type) && (chatIds === null || chatIds.includes(event.chatId));
        if (!isWanted) {
          position = event.seq;
          continue;
        }
        const result = await this.deliver(id, lease, event, attempts + 1);
        if (this.stopping.signal.aborted && result.status === null) {
          // Cut short by shutdown: not the receiver's failure. Given back as it stood.
          await this.db.query(W.releaseWebhook, [id, holder]);
          return;
        }
        if (result.error !== null) {
          const [failed] = await this.db.query<{ state: string; next_attempt_at: Date }>(
            W.failAttempt,
            [
              id,
              holder,
              String(position),
              result.error,
              this.config.webhookRetrySeconds,
              this.backoffMs(attempts) / 1000,
            ],
          );
          if (failed?.state === 'failing') {
            this.logger.warn(
              { webhookId: id, seq: event.seq, error: result.error },
              'webhook failing: its receiver refused one event for the whole retry window',
            );
          }
          return;
        }
        position = event.seq;
        attempts = 0;
        // Moves the position and renews the lease for the next attempt in one statement.
        if ((await settle(false)).length === 0) return;
        if (Date.now() > endsAt || this.stopping.signal.aborted) {
          await settle(true);
          return;
        }
      }
      // Events above the mark end a page: everything at or below it was in it.
      const isCaughtUp = page.events.length < PAGE || ready.length < page.events.length;
      if (isCaughtUp) position = Math.max(position, page.mark);
      if (isCaughtUp || Date.now() > endsAt) {
        await settle(true);
        return;
      }
    }
  }

  /** One attempt at `event`, recorded in the webhook's deliveries. */
  private async deliver(
    webhookId: number,
    lease: W.LeasedRow,
    event: LoggedEvent,
    attempt: number,
  ): Promise<AttemptResult> {
    const messageId = webhookMessageId(webhookId, event.seq);
    // The frame as /sync gives it, without `mark`: a webhook keeps no position of its own, and
    // so every retry of an event carries the same bytes.
    const body = placed(event.frame, event.seq, undefined);
    const result = await this.post(lease.url, messageId, lease.secret, body);
    if (result.error === null) this.stats.delivered++;
    else if (!this.stopping.signal.aborted) this.stats.failed++;
    this.logger.debug({ webhookId, seq: event.seq, attempt, ...result }, 'webhook attempt');
    await this.db
      .query(W.insertDelivery, [
        webhookId,
        event.seq,
        event.type,
        attempt,
        result.status,
        result.durationMs,
        result.error,
        DELIVERIES_KEPT,
      ])
      .catch((err: unknown) => {
        // Deleted meanwhile (its rows went with it), or the database is away: the attempt
        // itself stands.
        this.logger.debug({ err, webhookId }, 'recording a webhook attempt failed');
      });
    return result;
  }

  /**
   * POSTs `body` to `target`, signed (Standard Webhooks). Decided on the status line: 2xx is a
   * success, anything else a failure (redirects are not followed: a 3xx is one too). The
   * response body is never waited for.
   */
  private async post(
    target: string,
    messageId: string,
    secret: string,
    body: string,
  ): Promise<AttemptResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const attempt = new AbortController();
    const cut = () => attempt.abort(this.stopping.signal.reason);
    this.stopping.signal.addEventListener('abort', cut, { once: true });
    const timer = setTimeout(
      () => attempt.abort(new Error(`no answer within ${this.attemptTimeoutMs / 1000} s`)),
      this.attemptTimeoutMs,
    );
    try {
      const url = new URL(target);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new Error(`forbidden address: only http and https URLs (not ${url.protocol})`);
      }
      const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
      const why =
        net.isIP(host) === 0 ? undefined : forbiddenAddress(host, this.config.webhookAllowPrivate);
      if (why) throw new Error(`forbidden address: ${host} is ${why}`);
      const timestamp = new Date();
      const payload = Buffer.from(body);
      const { status, location } = await new Promise<{ status: number; location?: string }>(
        (resolve, reject) => {
          const request = (url.protocol === 'https:' ? https : http).request(url, {
            method: 'POST',
            agent: url.protocol === 'https:' ? this.httpsAgent : this.httpAgent,
            lookup: this.lookup,
            signal: attempt.signal,
            headers: {
              'content-type': 'application/json',
              'content-length': String(payload.length),
              'user-agent': 'msgr-webhooks/1',
              'webhook-id': messageId,
              'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
              'webhook-signature': new Webhook(secret).sign(messageId, timestamp, payload),
            },
          });
          request.on('response', (res) => {
            resolve({ status: res.statusCode ?? 0, location: res.headers.location });
            drain(res);
          });
          request.on('error', reject);
          request.end(payload);
        },
      );
      if (status >= 200 && status < 300) return { status, error: null, durationMs: elapsed() };
      const error =
        status >= 300 && status < 400
          ? `answered ${status}: redirects are not followed${location ? ` (to ${location.slice(0, 200)})` : ''}`
          : `answered ${status}`;
      return { status, error, durationMs: elapsed() };
    } catch (err) {
      const reason: unknown = attempt.signal.aborted ? attempt.signal.reason : err;
      return { status: null, error: describe(reason), durationMs: elapsed() };
    } finally {
      clearTimeout(timer);
      this.stopping.signal.removeEventListener('abort', cut);
    }
  }

  /** Capped exponential backoff with full jitter (centrifuge-js `backoff`), after `failed` failures. */
  private backoffMs(failed: number): number {
    const ceiling = Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** Math.min(failed, 31));
    return Math.min(this.backoffMaxMs, this.backoffBaseMs + Math.random() * ceiling);
  }
}

/**
 * Reads a response body to its end when it is small and quick, so the connection can carry the
 * next event; otherwise destroys it. Either way nobody waits for it.
 */
function drain(res: http.IncomingMessage): void {
  let bytes = 0;
  const timer = setTimeout(() => res.destroy(), DRAIN_MS);
  timer.unref();
  res.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > BODY_CAP) res.destroy();
  });
  res.on('error', () => undefined);
  res.on('close', () => clearTimeout(timer));
}

/** An error's words for `webhook_deliveries.error` (one line, bounded). */
function describe(err: unknown): string {
  const { message, code } = (err ?? {}) as { message?: unknown; code?: unknown };
  const text = typeof message === 'string' && message ? message : String(err);
  const words = typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text;
  return words.replace(/\s+/g, ' ').slice(0, 500);
}
