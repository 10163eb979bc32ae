/** Options of a {@link MessengerError}: the standard `cause`, and the server's wait. */
export interface MessengerErrorOptions extends ErrorOptions {
  /** The answer's `Retry-After`, in whole seconds (rounded up). */
  retryAfterSeconds?: number;
}

/**
 * The one error the SDK throws. HTTP answers keep the server's `status` and `code`; failures
 * that never reached an answer use status 0 and the codes `network_error`, `timeout`, `aborted`.
 * A rate limit is status 429, code `rate_limited`, with `retryAfterSeconds` when the server said.
 *
 * @example
 * try {
 *   await client.sendToUser(2, 'hi');
 * } catch (e) {
 *   if (e instanceof MessengerError && e.code === 'user_not_found') console.error('no such user');
 *   else throw e;
 * }
 */
export class MessengerError extends Error {
  /** HTTP status, or 0 when no answer arrived. */
  readonly status: number;
  /** Stable machine code: the server's problem `code`, or one of the SDK's own. */
  readonly code: string;
  /** Human-readable detail. */
  readonly detail: string;
  /**
   * On a failed send: the operation id it used. Sending again with `{ operationId }` cannot
   * create a second message while the id's window lasts (the server answers the original).
   */
  operationId?: number;
  /**
   * How long the server asked to wait before trying again (its `Retry-After`, in whole seconds)
   * on a 429 or 503; undefined when it did not say. The client waits out short ones by itself
   * (`retry.maxRetryAfterMs`), so an error carrying one means: longer than that, or no tries
   * left.
   *
   * @example
   * if (e instanceof MessengerError && e.code === 'rate_limited') {
   *   console.error(`slow down: try again in ${e.retryAfterSeconds ?? 60} s`);
   * }
   */
  readonly retryAfterSeconds?: number;

  constructor(status: number, code: string, detail: string, options?: MessengerErrorOptions) {
    super(`${code}: ${detail}`, options);
    this.name = 'MessengerError';
    this.status = status;
    this.code = code;
    this.detail = detail;
    if (options?.retryAfterSeconds !== undefined)
      this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /**
   * True for failures worth trying again, on another host or later: no answer (but not
   * `aborted`), 429 (after `retryAfterSeconds`, when given) or 5xx.
   */
  get isRetryable(): boolean {
    return this.status === 0 ? this.code !== 'aborted' : this.status === 429 || this.status >= 500;
  }
}
