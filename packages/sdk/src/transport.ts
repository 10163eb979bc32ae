/**
 * HTTP over several hosts. Answers are values here (status + body); only failures that produced
 * no usable answer throw. The client above turns answers into domain objects or MessengerErrors.
 */
import { backoffDelay, sleep } from './backoff.js';
import { MessengerError } from './errors.js';

/**
 * How hosts are used: one at a time (`failover`), all at once (`race`: same request, first answer
 * wins), or one, then the next only when the first is slow to answer (`hedge`).
 */
export type Strategy = 'failover' | 'race' | 'hedge';

/**
 * When a request may be sent again: `idempotent` after any retryable failure (no answer, 429,
 * 5xx) — reads, and sends that carry an operation id; `unsent` only when it surely never reached
 * a server (connection refused) or the server refused it unprocessed (429).
 */
export type RetryPolicy = 'idempotent' | 'unsent';

/** How failed requests are tried again (see {@link MessengerClientOptions}`.retry`). */
export interface RetryOptions {
  /** Tries in all, across hosts (default: 2 per host, at least 3). */
  attempts?: number;
  /** First backoff step in ms (default 100). */
  baseDelayMs?: number;
  /** Longest backoff in ms (default 2000); a server's `Retry-After` may ask for more. */
  maxDelayMs?: number;
  /**
   * The longest `Retry-After` (429, 503) the client waits out by itself before trying again, in
   * ms (default 5000). A server that asks for longer gets no retry: the call rejects at once
   * with the server's error, `retryAfterSeconds` set (`rate_limited` for a 429), so the caller
   * decides whether to wait.
   */
  maxRetryAfterMs?: number;
}

/**
 * When `strategy: 'hedge'` asks the next host (see {@link MessengerClientOptions}`.hedge`): after
 * the current host's recent p95 answer time, kept within these bounds.
 */
export interface HedgeOptions {
  /**
   * The shortest wait in ms before the same request goes to the next host (default 10). Below
   * it a second request saves a few milliseconds and costs a whole request's work, and the
   * client's own timer and event-loop jitter would pass for a slow host.
   */
  minDelayMs?: number;
  /**
   * The longest wait in ms (default 1000), however slow the host's recent answers were: a host
   * slower than that is in trouble, and the next one is asked long before `timeoutMs`.
   */
  maxDelayMs?: number;
}

/** What the transport sent so far (see {@link MessengerClient.stats}). */
export interface TransportStats {
  /** HTTP requests sent: every try on every host, a race's and a hedge's copies included. */
  readonly requests: number;
  /**
   * Of those, the hedge's extra ones: sent to another host while a copy of the same request was
   * still waiting for its answer. (A copy sent after the one before failed is not extra.)
   */
  readonly hedged: number;
}

export interface TransportOptions {
  hosts: string[];
  strategy: Strategy;
  timeoutMs: number;
  fetch: typeof fetch;
  retry: Required<RetryOptions>;
  hedge: Required<HedgeOptions>;
}

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  token?: string;
  retry: RetryPolicy;
  /** Only requests that are safe to run on every host at once may race. */
  mayRace: boolean;
  signal?: AbortSignal;
  /** This request's timeout in ms, when not the client's (a long-poll waits longer). */
  timeoutMs?: number;
  /** More request headers (a download's `Range`). */
  headers?: Record<string, string>;
  /**
   * How a 2xx body is read: JSON (default), whole as bytes, or not at all (`stream`: the body is
   * the response's `ReadableStream`, and the timeout covers the headers only). Error bodies are
   * always read as JSON.
   */
  responseType?: 'json' | 'bytes' | 'stream';
}

export interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
  host: string;
}

/** An answer that settles the request: anything but 429 and 5xx. */
function isDefinitive(a: Answer): boolean {
  return a.status !== 429 && a.status < 500;
}

/** A 200 with `Idempotent-Replayed: true`: an earlier request under the same key made it. */
export function isReplayed(answer: Answer): boolean {
  return answer.headers.get('idempotent-replayed')?.toLowerCase() === 'true';
}

function problemOf(a: Answer): MessengerError {
  const body = (a.body ?? {}) as { code?: unknown; detail?: unknown };
  // A 429 without a problem code (a proxy's, say) is still a rate limit to the caller.
  const fallbackCode = a.status === 429 ? 'rate_limited' : `http_${a.status}`;
  const code = typeof body.code === 'string' ? body.code : fallbackCode;
  const detail = typeof body.detail === 'string' ? body.detail : `HTTP ${a.status} from ${a.host}`;
  const wait = retryAfterMs(a);
  const retryAfterSeconds = wait === undefined ? undefined : Math.ceil(wait / 1000);
  return new MessengerError(a.status, code, detail, { retryAfterSeconds });
}

/** Seconds or an HTTP date, as Retry-After allows; undefined when absent or unreadable. */
function retryAfterMs(a: Answer): number | undefined {
  const value = a.headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function networkError(err: unknown, host: string, signal: AbortSignal | undefined): MessengerError {
  if (signal?.aborted)
    return new MessengerError(0, 'aborted', 'the request was aborted', { cause: err });
  const name = (err as { name?: string }).name;
  if (name === 'TimeoutError') {
    return new MessengerError(0, 'timeout', `${host} did not answer in time`, { cause: err });
  }
  return new MessengerError(0, 'network_error', `cannot reach ${host}`, { cause: err });
}

/** The request surely did not reach a server. */
function wasUnsent(err: MessengerError): boolean {
  const cause = err.cause as { cause?: { code?: string } } | undefined;
  return cause?.cause?.code === 'ECONNREFUSED' || cause?.cause?.code === 'ENOTFOUND';
}

/**
 * How long a race's (or a hedge's) losing requests may still run once one answer won (see
 * `Transport.race`). They are usually replays a few milliseconds behind the winner.
 */
export const RACE_LOSER_GRACE_MS = 1000;

/**
 * How long a race's (or a hedge's) replay answer waits for a copy still out. The copies of one
 * call carry one key: when one of them made the message, another's replay may come back first
 * (it waited for that commit, then answered beside it), and the call would read as a replay of
 * a message it made itself. A fresh answer coming within this long wins over the replay.
 */
export const REPLAY_HOLD_MS = 100;

/** Answer times kept per host for its hedge delay: the last this many. */
const HEDGE_SAMPLES = 64;
/** With fewer answer times than this from a host, its p95 means little: the cold delay is used. */
const HEDGE_MIN_SAMPLES = 8;
/**
 * The hedge delay of a host with too few answers to go by (then kept within the options'
 * bounds). Long enough for a first request's connection set-up over a WAN, short enough that a
 * stalled first host costs a fresh client a tenth of a second rather than `timeoutMs`.
 */
export const HEDGE_COLD_DELAY_MS = 100;

/** The last {@link HEDGE_SAMPLES} answer times of one host, in ms. */
class AnswerTimes {
  private readonly samples = new Float64Array(HEDGE_SAMPLES);
  private count = 0;
  private next = 0;

  add(ms: number): void {
    this.samples[this.next] = ms;
    this.next = (this.next + 1) % HEDGE_SAMPLES;
    this.count = Math.min(this.count + 1, HEDGE_SAMPLES);
  }

  /** The 95th percentile, or undefined with fewer than {@link HEDGE_MIN_SAMPLES} answers. */
  p95(): number | undefined {
    if (this.count < HEDGE_MIN_SAMPLES) return undefined;
    const sorted = this.samples.slice(0, this.count).sort();
    return sorted[Math.ceil(0.95 * this.count) - 1];
  }
}

type Outcome = { answer: Answer } | { error: MessengerError };

/**
 * The outcome of a call whose copies went to several hosts: the first definitive answer, except
 * that a replay waits up to {@link REPLAY_HOLD_MS} while copies are still out, and a fresh 2xx
 * coming meanwhile wins (it is this call's own: see REPLAY_HOLD_MS).
 */
class ReplayHold {
  private held: Outcome | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private isDone = false;

  constructor(private readonly resolve: (outcome: Outcome) => void) {}

  /** A definitive outcome (or the fallback once nothing else can come); `pending`: copies out. */
  offer(outcome: Outcome, pending: number): void {
    const answer = 'answer' in outcome ? outcome.answer : undefined;
    const isReplay = answer !== undefined && isReplayed(answer);
    if (answer && answer.status < 300 && !isReplay) this.finish(outcome);
    // Whatever else comes second, the replay held first answers the call.
    else if (this.held) this.finish(this.held);
    else if (!isReplay || pending === 0) this.finish(outcome);
    else {
      this.held = outcome;
      this.timer = setTimeout(() => this.finish(outcome), REPLAY_HOLD_MS);
    }
  }

  /** No copy is out any more: the held replay, if one waits. */
  noneLeft(): void {
    if (this.held) this.finish(this.held);
  }

  private finish(outcome: Outcome): void {
    if (this.isDone) return;
    this.isDone = true;
    clearTimeout(this.timer);
    this.resolve(outcome);
  }
}

export class Transport {
  /** The host that answered last: failover (and a hedge) starts there. */
  private preferred = 0;
  private readonly counts = { requests: 0, hedged: 0 };
  /** Per host (same index as `hosts`): its recent definitive answer times, for the hedge. */
  private readonly answerTimes: AnswerTimes[];

  constructor(private readonly options: TransportOptions) {
    this.answerTimes = options.hosts.map(() => new AnswerTimes());
  }

  /** Requests sent so far (a copy: it does not change as more go out). */
  get stats(): TransportStats {
    return { ...this.counts };
  }

  /** The per-request timeout of requests that set none. */
  get timeoutMs(): number {
    return this.options.timeoutMs;
  }

  get hosts(): readonly string[] {
    return this.options.hosts;
  }

  /** How failed requests are tried again. */
  get retry(): Readonly<Required<RetryOptions>> {
    return this.options.retry;
  }

  /** The index in `hosts` of the host that answered last: where failover starts. */
  get preferredIndex(): number {
    return this.preferred;
  }

  /** `host` answered (outside `send`, e.g. an upload): failover starts there next. */
  prefer(host: string): void {
    const index = this.options.hosts.indexOf(host);
    if (index >= 0) this.preferred = index;
  }

  /**
   * The HTTP answer (any status but 429/5xx), or the last failure once tries run out. A 429 or
   * 5xx with `Retry-After` is tried again no sooner than it says, unless it says longer than
   * `maxRetryAfterMs`: then the failure is thrown at once, to the caller who may wait.
   */
  async send(spec: RequestSpec): Promise<Answer> {
    const { hosts, strategy, retry } = this.options;
    // Where this call starts, fixed: other calls' answers move `preferred` meanwhile, and a retry
    // must go on to the next host from here, not back to the one that just failed.
    const start = this.preferred;
    let lastError: MessengerError | undefined;
    let waitAtLeast = 0;
    for (let attempt = 0; attempt < retry.attempts; attempt++) {
      if (attempt > 0) {
        const delay = Math.max(
          waitAtLeast,
          backoffDelay(attempt - 1, retry.baseDelayMs, retry.maxDelayMs),
        );
        await sleep(delay, spec.signal).catch((err: unknown) => {
          throw networkError(err, 'all hosts', spec.signal);
        });
      }
      const first = (start + attempt) % hosts.length;
      const isSpread = strategy !== 'failover' && spec.mayRace && hosts.length > 1;
      const outcome = !isSpread
        ? await this.tryHost(hosts[first]!, spec)
        : strategy === 'race'
          ? await this.race(spec)
          : await this.hedge(spec, first);
      if ('answer' in outcome) {
        if (isDefinitive(outcome.answer)) {
          this.preferred = hosts.indexOf(outcome.answer.host);
          return outcome.answer;
        }
        lastError = problemOf(outcome.answer);
        const asked = retryAfterMs(outcome.answer);
        // A 5xx may have done the work: only requests safe to repeat are repeated.
        if (outcome.answer.status !== 429 && spec.retry !== 'idempotent') throw lastError;
        // Longer than we would wait (or no try left): the caller hears it now, not later.
        if (asked !== undefined && asked > retry.maxRetryAfterMs) throw lastError;
        waitAtLeast = asked ?? 0;
      } else {
        lastError = outcome.error;
        waitAtLeast = 0;
        if (lastError.code === 'aborted') throw lastError;
        if (spec.retry !== 'idempotent' && !wasUnsent(lastError)) throw lastError;
      }
    }
    throw lastError!;
  }

  private async tryHost(
    host: string,
    spec: RequestSpec,
    extraSignal?: AbortSignal,
  ): Promise<Outcome> {
    this.counts.requests++;
    // Concatenated, not resolved: a host may carry a path prefix (http://proxy/msgr).
    const url = new URL(`${host}${spec.path}`);
    for (const [k, v] of Object.entries(spec.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const responseType = spec.responseType ?? 'json';
    const headers: Record<string, string> = {
      accept: responseType === 'json' ? 'application/json' : '*/*',
      ...spec.headers,
    };
    if (spec.token) headers.authorization = `Bearer ${spec.token}`;
    if (spec.body !== undefined) headers['content-type'] = 'application/json';
    const timeoutMs = spec.timeoutMs ?? this.options.timeoutMs;
    // A streamed body may take far longer than the timeout: it covers the headers only.
    const headersTimeout = new AbortController();
    const timer = setTimeout(
      () => headersTimeout.abort(new DOMException('no answer in time', 'TimeoutError')),
      timeoutMs,
    );
    const signals = [headersTimeout.signal];
    if (spec.signal) signals.push(spec.signal);
    if (extraSignal) signals.push(extraSignal);
    const signal = AbortSignal.any(signals);
    try {
      const res = await this.options.fetch(url, {
        method: spec.method,
        headers,
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        signal,
      });
      const isOk = res.status >= 200 && res.status < 300;
      if (isOk && responseType === 'stream') {
        // The timer is cleared on the way out (finally): the body is the caller's to read.
        return { answer: { status: res.status, headers: res.headers, body: res.body, host } };
      }
      if (isOk && responseType === 'bytes') {
        const bytes = new Uint8Array(await res.arrayBuffer());
        return { answer: { status: res.status, headers: res.headers, body: bytes, host } };
      }
      const text = await res.text();
      let body: unknown = undefined;
      if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          body = { detail: text.slice(0, 200) };
        }
      }
      return { answer: { status: res.status, headers: res.headers, body, host } };
    } catch (err) {
      return { error: networkError(err, host, spec.signal) };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The same request to every host at once; the first definitive answer wins. The others get
   * {@link RACE_LOSER_GRACE_MS} more to finish and their answers are dropped (they carry the same
   * operation id, so they change nothing): a request aborted mid-flight destroys its keep-alive
   * connection, which the next race would open again. Past the grace they are aborted, so a
   * stalled host does not collect a hanging request per send.
   */
  private async race(spec: RequestSpec): Promise<Outcome> {
    const losers = new AbortController();
    const attempts = this.options.hosts.map((host) => this.tryHost(host, spec, losers.signal));
    let grace: ReturnType<typeof setTimeout> | undefined;
    void Promise.all(attempts).then(() => clearTimeout(grace));
    return new Promise((resolve) => {
      let pending = attempts.length;
      let fallback: Outcome | undefined;
      const replay = new ReplayHold(resolve);
      for (const attempt of attempts) {
        void attempt.then((outcome) => {
          pending--;
          if ('answer' in outcome && isDefinitive(outcome.answer)) {
            if (pending > 0 && grace === undefined) {
              grace = setTimeout(() => losers.abort(), RACE_LOSER_GRACE_MS);
              grace.unref?.();
            }
            replay.offer(outcome, pending);
            return;
          }
          // Prefer an HTTP answer (429/5xx, with its Retry-After) over a network failure.
          if (!fallback || ('error' in fallback && 'answer' in outcome)) fallback = outcome;
          if (pending === 0) {
            replay.noneLeft();
            replay.offer(fallback, 0);
          }
        });
      }
    });
  }

  /**
   * "The Tail at Scale" (Dean & Barroso): the request goes to `hosts[first]`; when no answer
   * settled it within that host's hedge delay ({@link Transport.hedgeDelayMs}), the same request
   * (same operation id) goes to the next host too, and so on up to every host. A network failure
   * (nothing to wait for) asks the next host at once. The first definitive answer wins and the
   * others are dropped like a race's losers (a grace, then aborted). A 429 or 5xx stops the
   * hedging: once the copies in flight are done, the outcome goes back to `send`'s loop, which
   * waits its backoff or `Retry-After` — as it does for a race, an HTTP answer is preferred over
   * a network failure.
   */
  private hedge(spec: RequestSpec, first: number): Promise<Outcome> {
    const { hosts } = this.options;
    const losers = new AbortController();
    let launched = 0;
    let pending = 0;
    let isSettled = false;
    /** False after a 429 or 5xx: the loop, not the hedge, decides when to try again. */
    let isHedging = true;
    let fallback: Outcome | undefined;
    let next: ReturnType<typeof setTimeout> | undefined;
    let grace: ReturnType<typeof setTimeout> | undefined;
    return new Promise((resolve) => {
      const replay = new ReplayHold(resolve);
      const settle = (outcome: Outcome) => {
        isSettled = true;
        clearTimeout(next);
        if (pending > 0) {
          grace = setTimeout(() => losers.abort(), RACE_LOSER_GRACE_MS);
          grace.unref?.();
        }
        replay.offer(outcome, pending);
      };
      const launch = () => {
        clearTimeout(next);
        if (launched === hosts.length) return;
        const index = (first + launched++) % hosts.length;
        // Extra only when another copy is still out; after a failure it is plain failover.
        if (pending > 0) this.counts.hedged++;
        pending++;
        if (launched < hosts.length) next = setTimeout(launch, this.hedgeDelayMs(index));
        const started = performance.now();
        void this.tryHost(hosts[index]!, spec, losers.signal).then((outcome) => {
          pending--;
          if ('answer' in outcome && isDefinitive(outcome.answer)) {
            // Losers' answers count too: a slow host's times are what make its delay long.
            this.answerTimes[index]!.add(performance.now() - started);
            if (!isSettled) settle(outcome);
            else {
              replay.offer(outcome, pending);
              if (pending === 0) clearTimeout(grace);
            }
            return;
          }
          if (isSettled) {
            if (pending === 0) {
              replay.noneLeft();
              clearTimeout(grace);
            }
            return;
          }
          if (!fallback || ('error' in fallback && 'answer' in outcome)) fallback = outcome;
          if ('error' in outcome && outcome.error.code === 'aborted') return settle(outcome);
          if ('answer' in outcome) {
            isHedging = false;
            clearTimeout(next);
          } else if (isHedging) {
            launch();
          }
          if (pending === 0) settle(fallback);
        });
      };
      launch();
    });
  }

  /**
   * How long a hedge waits for `hosts[index]` before asking the next host: the p95 of its last
   * {@link HEDGE_SAMPLES} definitive answer times ({@link HEDGE_COLD_DELAY_MS} until it has
   * given {@link HEDGE_MIN_SAMPLES}), kept within `hedge.minDelayMs` … `hedge.maxDelayMs`.
   */
  hedgeDelayMs(index: number): number {
    const { minDelayMs, maxDelayMs } = this.options.hedge;
    const p95 = this.answerTimes[index]?.p95() ?? HEDGE_COLD_DELAY_MS;
    return Math.min(maxDelayMs, Math.max(minDelayMs, p95));
  }

  /** Turns a non-2xx answer into the error the public API throws. */
  static problem(answer: Answer): MessengerError {
    return problemOf(answer);
  }
}
