/**
 * The database layer's own failure, so that `db/` imports nothing above it: the one problem
 * mapping (http/problem.ts) answers it with 503 `database_unavailable` and `Retry-After`.
 */
export class DatabaseUnavailableError extends Error {
  readonly code = 'database_unavailable';
  /** A retry this much later (or on another instance) may find the database back. */
  readonly retryAfterSeconds = 1;

  constructor(options?: ErrorOptions) {
    super('the database cannot be reached right now: try again shortly', options);
    this.name = 'DatabaseUnavailableError';
  }
}
