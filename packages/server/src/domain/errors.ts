/**
 * The rules' failures. Each carries a stable machine `code`; the HTTP layer maps the class to a
 * status in one place (http/problem.ts). Domain code knows nothing of HTTP.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The thing asked for does not exist (or is not for the caller to know of). */
export class NotFoundError extends DomainError {}

/** The caller is known but may not do this (e.g. not a member of the chat). */
export class ForbiddenError extends DomainError {}

/** The request clashes with what exists (e.g. an email already registered). */
export class ConflictError extends DomainError {}

/** Well-formed input that the rules refuse (e.g. a group over the member limit). */
export class UnprocessableError extends DomainError {}

/** What was asked for existed once and is gone for good (e.g. an expired position). */
export class GoneError extends DomainError {}

/** More than a size limit or quota allows (a file over UPLOAD_MAX_BYTES, a full quota). */
export class TooLargeError extends DomainError {}

/** The foreign key a PostgreSQL error says was violated (SQLSTATE 23503), if that is what it is. */
export function foreignKeyOf(err: unknown): string | undefined {
  const { code, constraint } = (err ?? {}) as { code?: unknown; constraint?: unknown };
  return code === '23503' && typeof constraint === 'string' ? constraint : undefined;
}

/**
 * A token can outlive its account's row (a database restored or reset under the same
 * JWT_SECRET): what it writes then fails on the user's foreign key. That token is not valid.
 */
export function accountGone(): DomainError {
  return new UnauthorizedError('invalid_token', 'the account of this access token does not exist');
}

/** Missing, wrong or expired credentials. */
export class UnauthorizedError extends DomainError {}

/** A limit was reached: the same request may succeed after `retryAfterSeconds`. */
export class RateLimitedError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('rate_limited', message);
  }
}

/** The instance cannot take this now (a full queue); try again after `retryAfterSeconds`. */
export class UnavailableError extends DomainError {
  constructor(
    code: string,
    message: string,
    readonly retryAfterSeconds: number,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
  }
}
