/** Turning SDK failures into words for the status bar (expected failures are state, not crashes). */
import { MessengerError } from '@msgr/sdk';

/** The session is gone for good: only a new login helps. */
export function isSessionGone(err: unknown): boolean {
  return err instanceof MessengerError && ['session_expired', 'not_logged_in'].includes(err.code);
}

/**
 * The server says I am not a member of that chat (any more): for a group, I was removed while
 * the event that says so did not reach this client.
 */
export function isNotMember(err: unknown): boolean {
  return err instanceof MessengerError && err.code === 'chat_forbidden';
}

export function isAbort(err: unknown): boolean {
  return (
    (err instanceof MessengerError && err.code === 'aborted') ||
    (err instanceof Error && err.name === 'AbortError')
  );
}

/** A 429: this client asked too often; `retryAfterSeconds` says for how long, when known. */
export function isRateLimited(err: unknown): boolean {
  return err instanceof MessengerError && (err.status === 429 || err.code === 'rate_limited');
}

/** "try again in 42 s", from the server's Retry-After. */
function tryAgain(err: MessengerError): string {
  const seconds = err.retryAfterSeconds;
  return seconds === undefined ? 'try again in a moment' : `try again in ${Math.max(1, seconds)} s`;
}

/** One short line. */
export function describe(err: unknown): string {
  if (err instanceof MessengerError) {
    if (err.code === 'invalid_credentials') return 'wrong email or password';
    if (isRateLimited(err)) return `too many tries: ${tryAgain(err)}`;
    if (err.status === 0) return `server unreachable (${err.code})`;
    if (err.status >= 500 && err.retryAfterSeconds !== undefined) {
      return `the server is busy: ${tryAgain(err)}`;
    }
    return err.detail || err.code;
  }
  return err instanceof Error ? err.message : String(err);
}

/** What the status bar says when a send fails. */
export function sendFailure(err: unknown): string {
  if (err instanceof MessengerError && isRateLimited(err))
    return `Sending too fast: ${tryAgain(err)}`;
  return `not sent: ${describe(err)}`;
}

/**
 * The operation id to send again with, when the failure is worth a retry (no answer, 429, 5xx):
 * the same id, so a send that did reach a server is answered, not made twice.
 */
export function retryOperationIdOf(err: unknown): number | undefined {
  return err instanceof MessengerError && err.isRetryable ? err.operationId : undefined;
}
