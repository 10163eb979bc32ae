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
