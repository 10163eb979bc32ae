/**
 * The CLI's one error type and the one place where every failure becomes an exit code and a
 * line of text. `msgr --help` documents the codes (see EXIT_CODES_HELP).
 */
import { CommanderError } from 'commander';
import { MessengerError } from '@msgr/sdk';

/** Exit codes: part of the CLI's API, documented in `--help` and the README. */
export const ExitCode = {
  Ok: 0,
  Unexpected: 1,
  Usage: 2,
  Auth: 3,
  Refused: 4,
  Unavailable: 5,
  /** Ctrl-C during a one-shot command (128 + SIGINT, as shells do). */
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODES_HELP = `Exit codes:
  0    success
  1    unexpected error (a download whose sha256 does not match: nothing is kept)
  2    usage: unknown option, missing or invalid argument, a file to send that is missing
  3    authentication: not logged in, wrong credentials, session expired, an API token
       (--token, MSGR_TOKEN) refused: revoked, expired or mistyped
  4    refused by the server: forbidden, not found, conflict, invalid, too large, rate
       limited (403, 404, 409, 413, 422, 429; a rate limit says when to try again); or a
       position file in use by another msgr (watch, sync); or a file in the way of a
       download (--force replaces it)
  5    unavailable: no host reachable, server error or busy (5xx), timeouts on every host,
       a download cut short (run it again: it resumes)
  130  interrupted by Ctrl-C (watch ends with 0)`;

/**
 * A failure the CLI explains itself: `message` is the one line printed on stderr.
 *
 * @example throw new CliError(ExitCode.Usage, 'missing_target', 'give --to or --group');
 */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** A usage error (exit 2). */
export function usageError(code: string, message: string): CliError {
  return new CliError(ExitCode.Usage, code, message);
}

/** What the mapping may mention to help the user: the hosts that were tried. */
export interface ErrorContext {
  hosts?: readonly string[];
  /** Where the API token in use came from (`--token`, `MSGR_TOKEN`); none: the saved login. */
  tokenSource?: string;
}

const LOGIN_HINT = 'run `msgr login <email>`';
const TOKEN_HINT = '`msgr token list` shows yours, `msgr token create` makes a new one';

/** Every failure → a CliError with the exit code and the line to print. */
export function toCliError(err: unknown, context: ErrorContext = {}): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof CommanderError) return fromCommander(err);
  if (err instanceof MessengerError) return fromMessenger(err, context);
  const detail = err instanceof Error ? err.message : String(err);
  return new CliError(ExitCode.Unexpected, 'unexpected', `unexpected error: ${detail}`, {
    cause: err,
  });
}

function fromCommander(err: CommanderError): CliError {
  // --help and --version "fail" with exit code 0; a bare `msgr` shows help with 1: a usage error.
  const isOk = err.code === 'commander.helpDisplayed' || err.code === 'commander.version';
  const exitCode = isOk ? ExitCode.Ok : ExitCode.Usage;
  return new CliError(exitCode, err.code, err.message, { cause: err });
}

function fromMessenger(err: MessengerError, { hosts = [], tokenSource }: ErrorContext): CliError {
  const make = (exitCode: ExitCode, message: string) =>
    new CliError(exitCode, err.code, message, { cause: err });
  const where = hosts.length > 0 ? hosts.join(', ') : 'the server';
  // With an API token there is no login to renew: say which token failed, and why.
  if (tokenSource !== undefined && err.status === 401) {
    const token = `the API token from ${tokenSource}`;
    if (err.code === 'token_expired') {
      return make(ExitCode.Auth, `${token} has expired (token_expired): ${TOKEN_HINT}`);
    }
    return make(
      ExitCode.Auth,
      `${token} was refused: ${err.detail} (${err.code}); it was revoked, its bot deleted, or ` +
        `it is mistyped: ${TOKEN_HINT}`,
    );
  }
  switch (err.code) {
    case 'not_logged_in':
      return make(
        ExitCode.Auth,
        `not logged in: ${LOGIN_HINT} first (scripts: set MSGR_TOKEN to an API token)`,
      );
    case 'session_expired':
      return make(ExitCode.Auth, `your session has expired: ${LOGIN_HINT} again`);
    case 'invalid_credentials':
      return make(ExitCode.Auth, 'wrong email or password (new here? `msgr register`)');
    case 'insufficient_scope':
      return make(
        ExitCode.Refused,
        `${err.detail}; make a token with the scopes it needs: ` +
          '`msgr token create NAME --scope read --scope write` (insufficient_scope)',
      );
    case 'webhook_url_forbidden':
      return make(
        ExitCode.Refused,
        `the server will not deliver to that URL, ${err.detail}: give a public http(s) URL ` +
          '(webhook_url_forbidden)',
      );
    case 'network_error':
      return make(
        ExitCode.Unavailable,
        `cannot reach ${where}: is the server running? Choose hosts with --host or MSGR_HOSTS`,
      );
    case 'timeout':
      return make(ExitCode.Unavailable, `no answer in time from ${where}: try again later`);
    case 'aborted':
      return make(ExitCode.Interrupted, 'interrupted');
    case 'invalid_argument':
    case 'invalid_options':
      return make(ExitCode.Usage, err.detail);
  }
  if (err.status === 401) return make(ExitCode.Auth, `${err.detail}: ${LOGIN_HINT} again`);
  // Refused, not broken: this client asked too often; the server says for how long.
  if (err.status === 429 || err.code === 'rate_limited') {
    return make(ExitCode.Refused, `rate limited: ${tryAgain(err)} (${err.detail})`);
  }
  if (err.status >= 500 && err.retryAfterSeconds !== undefined) {
    return make(
      ExitCode.Unavailable,
      `${where} is busy (${err.status} ${err.code}): ${err.detail}; ${tryAgain(err)}`,
    );
  }
  if (err.status >= 500) {
    return make(
      ExitCode.Unavailable,
      `the server failed (${err.status} ${err.code}): ${err.detail}; try again later`,
    );
  }
  if (err.status >= 400) return make(ExitCode.Refused, `${err.detail} (${err.code})`);
  return make(ExitCode.Unexpected, `unexpected error: ${err.message}`);
}

/** "try again in 42 s", from the answer's Retry-After; "later" when it gave none. */
function tryAgain(err: MessengerError): string {
  if (err.retryAfterSeconds === undefined) return 'try again later';
  return `try again in ${Math.max(1, err.retryAfterSeconds)} s`;
}
