/** Turning SDK failures into words for the status bar (expected failures are state, not crashes). */
import { MessengerError } from '@msgr/sdk';

/** The session is gone for good: only a new login helps. */
export function isSessionGone(err: unknown): boolean {
  return err instanceof MessengerError && ['session_expired', 'not_logged_in'].includes(err.code);
}

export function isAbort(err: unknown): boolean {
  return (
    (err instanceof MessengerError && err.code === 'aborted') ||
    (err instanceof Error && err.name === 'AbortError')
  );
}

/** One short line. */
export function describe(err: unknown): string {
  if (err instanceof MessengerError) {
    if (err.code === 'invalid_credentials') return 'wrong email or password';
    if (err.status === 0) return `server unreachable (${err.code})`;
    return err.detail || err.code;
  }
  return err instanceof Error ? err.message : String(err);
}
