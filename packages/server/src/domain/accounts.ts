import { randomBytes, randomUUID } from 'node:crypto';
import { hashRefreshToken, newRefreshToken, type AuthUser } from '../auth/tokens.js';
import * as T from '../db/tokens-queries.js';
import * as U from '../db/users-queries.js';
import type { Services } from '../services.js';
import { ConflictError, NotFoundError, UnauthorizedError } from './errors.js';
import * as L from '../db/limits-queries.js';
import { rateLimited } from './limits.js';

export interface TokenPair {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  refresh_token: string;
}

export type PublicUser = U.UserRow;

const emailTaken = () =>
  new ConflictError('email_taken', 'an account with this email already exists');

/**
 * Creates an account; the email is unique regardless of case. A taken email is refused before
 * any hashing (bcrypt time is the scarce thing under a registration flood).
 */
export async function register(
  s: Services,
  input: { email: string; name: string; password: string },
): Promise<PublicUser> {
  const [existing] = await s.db.query<U.UserRow>(U.userByEmail, [input.email]);
  if (existing) throw emailTaken();
  const hash = await s.passwords.hash(input.password);
  const [user] = await s.db.query<U.UserRow>(U.insertUser, [input.email, input.name, hash]);
  if (!user) throw emailTaken();
  return user;
}

/** Creates the account unless one with this email exists; never changes an existing one. */
export async function ensureUser(
  s: Services,
  input: { email: string; name: string; password: string },
): Promise<void> {
  const [existing] = await s.db.query<U.UserRow>(U.userByEmail, [input.email]);
  if (existing) return;
  const hash = await s.passwords.hash(input.password);
  await s.db.query(U.insertUser, [input.email, input.name, hash]);
}

/**
 * A new pair. Without `family` it starts a session (a login): its refresh tokens all end
 * REFRESH_TOKEN_TTL_SECONDS from now. With it, the token joins that family and its end.
 */
async function issueTokens(
  s: Services,
  user: AuthUser,
  family?: { id: number; expiresAt: Date },
): Promise<TokenPair> {
  const refresh = newRefreshToken();
  await s.db.query(
    family ? T.insertFamilyToken : T.insertLoginToken,
    family
      ? [user.userId, user.clientId, refresh.hash, family.id, family.expiresAt]
      : [user.userId, user.clientId, refresh.hash, s.config.refreshTokenTtlSeconds],
  );
  return {
    access_token: s.tokens.sign(user),
    token_type: 'bearer',
    expires_in: s.tokens.ttlSeconds,
    refresh_token: refresh.token,
  };
}

/**
 * Password login. Unknown email and wrong password give the same error after the same work.
 * Without a `clientId` the login is a device of its own.
 *
 * Each attempt of an (email, client address) pair is counted before the password is checked,
 * so concurrent guesses cannot overtake LOGIN_MAX_FAILURES; past it the pair answers 429 —
 * even with the right password — until its window ends. A success clears the count.
 */
export async function login(
  s: Services,
  input: { email: string; password: string; clientId: string | undefined; address: string },
): Promise<TokenPair> {
  const email = input.email.trim();
  const attempt = [email.toLowerCase(), input.address];
  const { loginMaxFailures: max, loginFailureWindowSeconds: windowSeconds } = s.config;
  if (max > 0) {
    const [counted] = await s.db.query<L.LoginAttemptRow>(L.countLoginAttempt, [
      ...attempt,
      windowSeconds,
    ]);
    if (counted && counted.failures > max) throw rateLimited('failed logins', counted.retry_after);
  }
  const [user] = await s.db.query<U.UserWithHashRow>(U.userByEmail, [email]);
  const isValid = await s.passwords.verify(input.password, user?.password_hash);
  if (!user || !isValid) {
    throw new UnauthorizedError('invalid_credentials', 'wrong email or password');
  }
  if (max > 0) await s.db.query(L.clearLoginFailures, attempt);
  return issueTokens(s, { userId: user.id, clientId: input.clientId ?? randomUUID() });
}

const refreshRefused = () =>
  new UnauthorizedError(
    'invalid_refresh_token',
    'the refresh token is unknown, expired, revoked or already used: log in again',
  );

/**
 * Spends a refresh token for a new pair on the same device (rotation). A token presented again
 * within REFRESH_REUSE_GRACE_SECONDS of its first use is a retry (a lost answer, a race over
 * several hosts): it gets a working pair too. Later, it was stolen (RFC 6819 §5.2.2.3): the
 * whole family — every token of that login — is revoked. No refresh outlives the login's
 * REFRESH_TOKEN_TTL_SECONDS.
 */
export async function refresh(s: Services, refreshToken: string): Promise<TokenPair> {
  const [row] = await s.db.query<T.RefreshTokenRow>(T.useRefreshToken, [
    hashRefreshToken(refreshToken),
  ]);
  if (!row || !row.is_live) throw refreshRefused();
  const isRetry =
    row.used_seconds_ago === null || row.used_seconds_ago <= s.config.refreshReuseGraceSeconds;
  if (!isRetry) {
    await s.db.query(T.revokeFamily, [row.family_id]);
    s.logger.warn(
      { user_id: row.user_id, family_id: row.family_id },
      'refresh token replayed after its grace: family revoked',
    );
    throw new UnauthorizedError(
      'refresh_token_reused',
      'this refresh token was already used: every session of this login is revoked, log in again',
    );
  }
  return issueTokens(
    s,
    { userId: row.user_id, clientId: row.client_id },
    { id: row.family_id, expiresAt: row.expires_at },
  );
}

/** Revokes every refresh token of the caller's device. */
export async function logout(s: Services, user: AuthUser): Promise<void> {
  await s.db.query(T.revokeClientTokens, [user.userId, user.clientId]);
}

export async function me(s: Services, user: AuthUser): Promise<PublicUser> {
  const [row] = await s.db.query<U.UserRow>(U.userById, [user.userId]);
  if (!row) throw new NotFoundError('user_not_found', 'the account no longer exists');
  return row;
}

/** Users by email or name prefix, or by id (`ids`; unknown ids are left out). */
export async function searchUsers(
  s: Services,
  { query = '', ids, limit = 20 }: { query?: string; ids?: number[]; limit?: number },
): Promise<PublicUser[]> {
  if (ids) return s.db.query<U.UserRow>(U.usersByIds, [ids]);
  const prefix = query.trim().replace(/[\\%_]/g, (c) => `\\${c}`);
  return s.db.query<U.UserRow>(U.searchUsers, [prefix, limit]);
}

/** The JWT secret: the configured one, or one generated once and kept in the database. */
export async function resolveJwtSecret(
  db: Services['db'],
  configured: string | undefined,
): Promise<string> {
  if (configured) return configured;
  await db.query(T.jwtSecretInsert, [randomBytes(48).toString('base64url')]);
  const [row] = await db.query<{ value: string }>(T.jwtSecretSelect);
  return row!.value;
}
