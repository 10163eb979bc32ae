/**
 * The one error the SDK throws. HTTP answers keep the server's `status` and `code`; failures
 * that never reached an answer use status 0 and the codes `network_error`, `timeout`, `aborted`.
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

  constructor(status: number, code: string, detail: string, options?: ErrorOptions) {
    super(`${code}: ${detail}`, options);
    this.name = 'MessengerError';
    this.status = status;
    this.code = code;
    this.detail = detail;
  }

  /** True for failures worth trying on another host: no answer, 429 or 5xx. */
  get isRetryable(): boolean {
    return this.status === 0 ? this.code !== 'aborted' : this.status === 429 || this.status >= 500;
  }
}
