/**
 * Resumable uploads over tus (`/uploads`, contract v1.3) with tus-js-client, across the client's
 * hosts. tus-js-client speaks the protocol (creation, HEAD for the offset, PATCH from there);
 * what it does not do is ours: one try per tus `Upload` (its own retries are off), then our
 * backoff, host failover (the upload lives in the shared database: its `/uploads/<id>` is
 * re-based on the next host), token refresh, typed errors, and a stall timeout per request.
 */
import type { HttpRequest, HttpResponse, HttpStack } from 'tus-js-client';
import { backoffDelay, sleep } from './backoff.js';
import { MessengerError } from './errors.js';
import type { RetryOptions } from './transport.js';
import { Transport } from './transport.js';
import { SourceError, type PreparedSource } from './upload-source.js';

type Tus = typeof import('tus-js-client');

/** What an upload needs of the client. */
export interface UploadDeps {
  hosts: readonly string[];
  /** Where to start: the host that answered last. */
  firstHost: number;
  retry: Readonly<Required<RetryOptions>>;
  /** The longest a request may go without sending a byte or getting its answer. */
  timeoutMs: number;
  accessToken(): Promise<string>;
  /** A new access token after `stale` was refused (shared with the client's other calls). */
  refresh(stale: string): Promise<string>;
  /** The upload completed on `host`: the client's next calls start there. */
  prefer(host: string): void;
}

export interface UploadRunOptions {
  onProgress?: (sent: number, total: number) => void;
  signal?: AbortSignal;
  idempotencyKey?: string;
}

/** A request that produced no answer (refused, cut, or silent for too long). */
class RequestFailure extends Error {
  constructor(readonly error: MessengerError) {
    super(error.message, { cause: error });
  }
}

/** How one try of the upload ended. */
type Outcome =
  | { fileId: string }
  | { fatal: MessengerError }
  /** Worth another try: `nextHost` after no answer or a 5xx; `waitMs`: the server's Retry-After. */
  | { retry: MessengerError; nextHost: boolean; waitMs?: number }
  | { unauthorized: MessengerError };

/** tus answers without a body (HEAD) still deserve a code. */
const BODILESS_CODES: Record<number, string> = {
  404: 'upload_not_found',
  410: 'upload_not_found',
  413: 'payload_too_large',
  423: 'upload_conflict',
  409: 'upload_conflict',
};

/** Uploads `prepared` and resolves to the id of the file it became. */
export async function uploadFile(
  deps: UploadDeps,
  prepared: PreparedSource,
  options: UploadRunOptions,
): Promise<string> {
  const tus = await import('tus-js-client');
  const run = new UploadRun(tus, deps, prepared, options);
  try {
    return await run.finish();
  } finally {
    prepared.source.close();
  }
}

class UploadRun {
  /** The upload's id on the server, once created. */
  private uploadId: string | undefined;
  /** The most bytes the server said it kept (`Upload-Offset`). */
  private confirmed = 0;
  /** Set by an answer that carried `Msgr-File-Id`: the upload is complete. */
  private fileId: string | undefined;
  /** The access token of the last request. */
  private lastToken: string | undefined;
  private host: string;
  private current: InstanceType<Tus['Upload']> | undefined;
  private lastSent = -1;
  private readonly idempotencyKey: string;

  constructor(
    private readonly tus: Tus,
    private readonly deps: UploadDeps,
    private readonly prepared: PreparedSource,
    private readonly options: UploadRunOptions,
  ) {
    this.host = deps.hosts[deps.firstHost % deps.hosts.length]!;
    this.idempotencyKey = options.idempotencyKey ?? randomKey();
  }

  async finish(): Promise<string> {
    try {
      return await this.tryUntilDone();
    } catch (err) {
      if (err instanceof MessengerError && err.code === 'aborted') this.terminate();
      throw err;
    }
  }

  private async tryUntilDone(): Promise<string> {
    const { deps } = this;
    const { signal } = this.options;
    let hostIndex = deps.hosts.indexOf(this.host);
    let failures = 0;
    let isRefreshed = false;
    let confirmedAtLastFailure = this.confirmed;
    for (;;) {
      if (signal?.aborted) throw this.aborted();
      const outcome = await this.tryOnce();
      if ('fileId' in outcome) {
        if (this.lastSent < this.prepared.size) this.progress(this.prepared.size);
        deps.prefer(this.host);
        return outcome.fileId;
      }
      if ('fatal' in outcome) throw outcome.fatal;
      // Bytes kept since the last failure: the budget starts again.
      if (this.confirmed > confirmedAtLastFailure) {
        failures = 0;
        isRefreshed = false;
      }
      confirmedAtLastFailure = this.confirmed;
      if ('unauthorized' in outcome) {
        // One refresh per stretch without progress, as every other call gets one per call.
        if (isRefreshed || this.lastToken === undefined) {
          throw new MessengerError(
            401,
            'session_expired',
            'the session has expired: log in again',
            {
              cause: outcome.unauthorized,
            },
          );
        }
        isRefreshed = true;
        await this.deps.refresh(this.lastToken);
        continue;
      }
      // Longer than we would wait (or no try left): the caller hears it now, not later.
      if (outcome.waitMs !== undefined && outcome.waitMs > deps.retry.maxRetryAfterMs) {
        throw outcome.retry;
      }
      failures++;
      if (failures >= deps.retry.attempts) throw outcome.retry;
      if (outcome.nextHost) {
        hostIndex = (hostIndex + 1) % deps.hosts.length;
        this.host = deps.hosts[hostIndex]!;
      }
      const delay = Math.max(
        outcome.waitMs ?? 0,
        backoffDelay(failures - 1, deps.retry.baseDelayMs, deps.retry.maxDelayMs),
      );
      await sleep(delay, signal).catch(() => {
        throw this.aborted();
      });
    }
  }

  /** One tus `Upload` from where the server is: creation, or HEAD and PATCHes after it. */
  private tryOnce(): Promise<Outcome> {
    const { tus, prepared, host } = this;
    const { signal } = this.options;
    return new Promise<Outcome>((resolve) => {
      const onAbort = () => {
        resolve({ fatal: this.aborted() });
        void this.current?.abort(false);
      };
      const settle = (outcome: Outcome) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      const upload = new tus.Upload(prepared.source as unknown as Blob, {
        ...(this.uploadId === undefined
          ? { endpoint: `${host}/uploads` }
          : // No endpoint: a HEAD answered 404 must fail, not start again from byte 0.
            { endpoint: null, uploadUrl: this.uploadUrl(host) }),
        uploadSize: prepared.size,
        chunkSize: prepared.chunkSize,
        metadata: {
          filename: prepared.name,
          ...(prepared.contentType ? { filetype: prepared.contentType } : {}),
        },
        retryDelays: null,
        storeFingerprintForResuming: false,
        fingerprint: () => Promise.resolve(null as unknown as string),
        fileReader: { openFile: () => Promise.resolve(prepared.source) },
        httpStack: this.stack(),
        onBeforeRequest: (req) => this.authorize(req),
        onProgress: (sent) => this.progress(sent),
        onSuccess: ({ lastResponse }) => {
          const fileId = lastResponse.getHeader('Msgr-File-Id') ?? this.fileId;
          settle(
            fileId
              ? { fileId }
              : {
                  retry: new MessengerError(0, 'upload_failed', 'the server did not name the file'),
                  nextHost: false,
                },
          );
        },
        onError: (err) => settle(this.classify(err)),
      });
      this.current = upload;
      if (signal?.aborted) {
        resolve({ fatal: this.aborted() });
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      upload.start();
    });
  }

  private uploadUrl(host: string): string {
    return `${host}/uploads/${encodeURIComponent(this.uploadId!)}`;
  }

  private async authorize(req: HttpRequest): Promise<void> {
    this.lastToken = await this.deps.accessToken();
    req.setHeader('Authorization', `Bearer ${this.lastToken}`);
    if (req.getMethod() === 'POST') req.setHeader('Idempotency-Key', this.idempotencyKey);
  }

  private progress(sent: number): void {
    const total = this.prepared.size;
    this.lastSent = Math.min(sent, total);
    this.options.onProgress?.(this.lastSent, total);
  }

  /** What a failed try means: done after all, try again (where), or give up. */
  private classify(err: Error): Outcome {
    if (this.fileId !== undefined) return { fileId: this.fileId };
    const detailed = err as { originalResponse?: HttpResponse | null; causingError?: unknown };
    const cause = detailed.causingError ?? err;
    const res = detailed.originalResponse;
    if (res) {
      const status = res.getStatus();
      if (status < 400) {
        return { fatal: new MessengerError(0, 'upload_failed', err.message, { cause: err }) };
      }
      const error = this.problem(res);
      if (status === 401) return { unauthorized: error };
      const waitMs = retryMs(res.getHeader('Retry-After'));
      if (status >= 500) return { retry: error, nextHost: true, waitMs };
      if (status === 429) return { retry: error, nextHost: false, waitMs };
      // Another request still holds the upload, or it is at another offset: HEAD tells.
      if (status === 409 || status === 423) return { retry: error, nextHost: false };
      return { fatal: error };
    }
    if (cause instanceof RequestFailure) return { retry: cause.error, nextHost: true };
    if (cause instanceof MessengerError) return { fatal: cause };
    if (cause instanceof SourceError) {
      return { fatal: new MessengerError(0, 'source_error', cause.message, { cause }) };
    }
    return { fatal: new MessengerError(0, 'upload_failed', err.message, { cause: err }) };
  }

  private problem(res: HttpResponse): MessengerError {
    const status = res.getStatus();
    const text = res.getBody();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = { detail: text.slice(0, 200) };
    }
    const fallback = BODILESS_CODES[status];
    if (fallback && typeof (body as { code?: unknown } | undefined)?.code !== 'string') {
      body = { code: fallback, detail: `HTTP ${status} from ${this.host} (tus)` };
    }
    const headers = new Headers();
    const retryAfter = res.getHeader('Retry-After');
    if (retryAfter) headers.set('retry-after', retryAfter);
    return Transport.problem({ status, headers, body, host: this.host });
  }

  /** Best effort: the server drops what it kept now, not after UPLOAD_EXPIRY_SECONDS. */
  private terminate(): void {
    if (this.uploadId === undefined) return;
    void this.tus.Upload.terminate(this.uploadUrl(this.host), {
      httpStack: this.stack(),
      onBeforeRequest: (req) => this.authorize(req),
      // The aborted PATCH may hold the upload a moment longer (423).
      retryDelays: [250, 1000],
    }).catch(() => undefined);
  }

  private aborted(): MessengerError {
    return new MessengerError(0, 'aborted', 'the upload was aborted', {
      cause: this.options.signal?.reason,
    });
  }

  /** The platform's tus HTTP stack, watched: see {@link WatchedRequest}. */
  private stack(): HttpStack {
    const inner = new this.tus.DefaultHttpStack({});
    return {
      getName: () => 'msgr',
      createRequest: (method, url) =>
        new WatchedRequest(inner.createRequest(method, url), this.deps.timeoutMs, (res) =>
          this.seen(res),
        ),
    };
  }

  /** Notes what an answer says: the upload's id, the offset kept, the file it became. */
  private seen(res: HttpResponse): HttpResponse {
    const offset = Number(res.getHeader('Upload-Offset'));
    if (Number.isSafeInteger(offset) && offset > this.confirmed) this.confirmed = offset;
    const fileId = res.getHeader('Msgr-File-Id');
    if (fileId) this.fileId = fileId;
    const location = res.getHeader('Location');
    const id = location?.match(/\/uploads\/([^/?#]+)\/?(?:[?#].*)?$/)?.[1];
    if (id === undefined) return res;
    this.uploadId = decodeURIComponent(id);
    // The server answers `/uploads/<id>`, which tus would resolve against the host's origin and
    // lose a path prefix (http://proxy/msgr): ours is the host's own URL for it.
    const url = this.uploadUrl(this.host);
    return {
      getStatus: () => res.getStatus(),
      getHeader: (name) => (name.toLowerCase() === 'location' ? url : res.getHeader(name)),
      getBody: () => res.getBody(),
      getUnderlyingObject: () => res.getUnderlyingObject() as unknown,
    };
  }
}

/**
 * A request that fails (as a {@link RequestFailure}) when it goes `timeoutMs` without sending a
 * byte or getting its answer — a dead path never ends a request by itself — and (as a
 * {@link SourceError}) when the file it streams cannot be read.
 */
class WatchedRequest implements HttpRequest {
  private onProgress: (sent: number) => void = () => undefined;

  constructor(
    private readonly inner: HttpRequest,
    private readonly timeoutMs: number,
    private readonly seen: (res: HttpResponse) => HttpResponse,
  ) {}

  getMethod(): string {
    return this.inner.getMethod();
  }

  getURL(): string {
    return this.inner.getURL();
  }

  setHeader(header: string, value: string): void {
    this.inner.setHeader(header, value);
  }

  getHeader(header: string): string | undefined {
    return this.inner.getHeader(header);
  }

  setProgressHandler(handler: (sent: number) => void): void {
    this.onProgress = handler;
  }

  abort(): Promise<void> {
    return this.inner.abort();
  }

  getUnderlyingObject(): unknown {
    return this.inner.getUnderlyingObject() as unknown;
  }

  send(body: unknown): Promise<HttpResponse> {
    const host = new URL(this.getURL()).origin;
    return new Promise<HttpResponse>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let isSettled = false;
      const fail = (err: Error) => {
        if (isSettled) return;
        isSettled = true;
        clearTimeout(timer);
        void this.inner.abort();
        (body as { destroy?: () => void } | null)?.destroy?.();
        reject(err);
      };
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          const error = new MessengerError(0, 'timeout', `${host} did not answer in time`);
          fail(new RequestFailure(error));
        }, this.timeoutMs);
      };
      this.inner.setProgressHandler((sent) => {
        arm();
        this.onProgress(sent);
      });
      const stream = body as { on?: (event: string, listener: (err: Error) => void) => void };
      if (typeof stream?.on === 'function') {
        stream.on('error', (err) => {
          fail(new SourceError(`reading the file failed: ${err.message}`, { cause: err }));
        });
      }
      arm();
      this.inner.send(body).then(
        (res) => {
          if (isSettled) return;
          isSettled = true;
          clearTimeout(timer);
          resolve(this.seen(res));
        },
        (err: unknown) => {
          const error = new MessengerError(0, 'network_error', `cannot reach ${host}`, {
            cause: err,
          });
          fail(new RequestFailure(error));
        },
      );
    });
  }
}

/** Retry-After in ms (seconds or an HTTP date); undefined when absent or unreadable. */
function retryMs(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** A random Idempotency-Key (visible ASCII). */
function randomKey(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return `sdk-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
