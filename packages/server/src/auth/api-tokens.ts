/**
 * Personal access tokens (`msgr_pat_…`, contract v1.5): opaque random strings of which only the
 * SHA-256 is kept. A token is read from the database on every request that carries it: a
 * revocation (the row deleted) is then seen by every instance at once, with no cache to outlive
 * it. Its use is written at most once a minute (`last_used_at`), not once per request.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../db/database.js';
import * as I from '../db/integrations-queries.js';
import { ForbiddenError, UnauthorizedError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import type { AuthUser, Scope } from './tokens.js';

export const API_TOKEN_PREFIX = 'msgr_pat_';

/** A new token and the hash kept of it. */
export function newApiToken(): { token: string; hash: Buffer } {
  const token = API_TOKEN_PREFIX + randomBytes(32).toString('base64url');
  return { token, hash: hashApiToken(token) };
}

export function hashApiToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export function isApiToken(token: string): boolean {
  return token.startsWith(API_TOKEN_PREFIX);
}

/** The device a token's requests are made from: its own events are not sent back to it. */
export function tokenDevice(tokenId: number): string {
  return `token:${tokenId}`;
}

const invalid = () => new UnauthorizedError('invalid_token', 'the API token is not valid');

export class ApiTokens {
  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
  ) {}

  /** The token's user, scopes and device, or an {@link UnauthorizedError}. */
  async verify(token: string): Promise<AuthUser> {
    // A token is 9 + 43 characters; anything far longer is not one (and not worth a hash).
    if (token.length > 200) throw invalid();
    const [row] = await this.db.query<I.TokenCallerRow>(I.tokenByHash, [hashApiToken(token)]);
    if (!row) throw invalid();
    if (row.is_expired) {
      throw new UnauthorizedError('token_expired', 'the API token has expired: make a new one');
    }
    if (row.is_stale) {
      this.db.query(I.touchApiToken, [row.id]).catch((err: unknown) => {
        this.logger.warn({ err }, 'recording the use of an API token failed');
      });
    }
    return {
      userId: Number(row.user_id),
      clientId: tokenDevice(Number(row.id)),
      tokenId: Number(row.id),
      scopes: row.scopes,
      ...(row.expires_at ? { expiresAt: row.expires_at.getTime() } : {}),
    };
  }
}

/**
 * What a request needs of its caller: a scope of an API token, `any` (any token: who am I), or
 * `login` (managing tokens and bots is done from a login session, never with a token).
 */
export type Need = Scope | 'any' | 'login';

/** Throws 403 `insufficient_scope` when `user` (an API token) may not do what `need` says. */
export function assertScope(user: AuthUser, need: Need): void {
  if (!user.scopes || need === 'any') return;
  if (need === 'login') {
    throw new ForbiddenError(
      'insufficient_scope',
      'API tokens and bots are managed from a login session, not with an API token',
    );
  }
  if (!user.scopes.includes(need)) {
    throw new ForbiddenError(
      'insufficient_scope',
      `this API token may not ${need === 'write' ? 'change anything' : 'read'}: it needs the ${need} scope`,
    );
  }
}
