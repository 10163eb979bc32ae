import type { ApiTokens } from './auth/api-tokens.js';
import type { AccessTokens, AuthUser } from './auth/tokens.js';
import type { PasswordHasher } from './auth/passwords.js';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import type { SendBatcher } from './db/send-batcher.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { FileStore } from './storage/file-store.js';

/** What handlers and domain functions get to work with; built once per server instance. */
export interface Services {
  readonly config: Config;
  readonly db: Database;
  /** Where sends go to PostgreSQL, coalesced with the sends around them (SEND_BATCH_MAX). */
  readonly sends: SendBatcher;
  readonly tokens: AccessTokens;
  /** The caller of a bearer token: an access token (JWT) or an API token (`msgr_pat_…`). */
  readonly authenticate: (token: string) => Promise<AuthUser>;
  readonly apiTokens: ApiTokens;
  /** Sends an event that is never stored to every instance (realtime/bus.ts). */
  readonly publish: (event: RevokedEvent) => Promise<void>;
  readonly passwords: PasswordHasher;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Flipped once when shutdown begins; /readyz answers 503 from then on. */
  readonly lifecycle: { isShuttingDown: boolean };
  /** True while this instance's event listener is connected (part of /readyz). */
  readonly isListening: () => boolean;
  /** Where a `/sync` long-poll waits for changes without holding a connection. */
  readonly changes: ChangeSignals;
  /** Where file bytes live (FILE_STORE). */
  readonly store: FileStore;
}

/** A wait for changes of one user, registered before the log is read (realtime/change-signals.ts). */
export interface ChangeListener {
  /** Resolves when a change for the user was heard since listening, at `deadline`, or on abort. */
  until(deadline: number, signal?: AbortSignal): Promise<void>;
  /** Stops listening (always call it). */
  cancel(): void;
}

export interface ChangeSignals {
  listen(userId: number): ChangeListener;
}

/** API tokens of `user_id` stopped working (`token_ids` null: all of them): close their sockets. */
export interface RevokedEvent {
  t: 'Revoked';
  user_id: number;
  token_ids: number[] | null;
}
