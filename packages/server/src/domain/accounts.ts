import { randomBytes, randomUUID } from 'node:crypto';
import { hashRefreshToken, newRefreshToken, type AuthUser } from '../auth/tokens.js';
import * as T from '../db/tokens-queries.js';
import * as U from '../db/users-queries.js';
import type { Services } from '../services.js';
import { ConflictError, NotFoundError, UnauthorizedError } from './errors.js';

export interface TokenPair {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  refresh_token: string;
}

export type PublicUser = U.UserRow;

/** Creates an account; the email is unique regardless of case. */
export async function register(
  s: Services,
  input: { email: string; name: string; password: string },
): Promise<PublicUser> {
  const hash = await s.passwords.hash(input.password);
  const [user] = await s.db.query<U.UserRow>(U.insertUser, [input.email, input.name, hash]);
  if (!user) throw new ConflictError('email_taken', 'an account with this email already exists');
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

async function issueTokens(s: Services, user: AuthUser): Promise<TokenPair> {
  const refresh = newRefreshToken();
  await s.db.query(T.insertRefreshToken, [
    user.userId,
    user.clientId,
    refresh.hash,
    s.config.refreshTokenTtlSeconds,
  ]);
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
 */
export async function login(
  s: Services,
  input: { email: string; password: string; clientId: string | undefined },
): Promise<TokenPair> {
  const [user] = await s.db.query<U.UserWithHashRow>(U.userByEmail, [input.email.trim()]);
  const isValid = await s.passwords.verify(input.password, user?.password_hash);
  if (!user || !isValid) {
    throw new UnauthorizedError('invalid_credentials', 'wrong email or password');
  }
  return issueTokens(s, { userId: user.id, clientId: input.clientId ?? randomUUID() });
}

/** Spends a refresh token for a new pair on the same device (rotation). */
export async function refresh(s: Services, refreshToken: string): Promise<TokenPair> {
  const [row] = await s.db.query<{ user_id: number; client_id: string }>(T.spendRefreshToken, [
    hashRefreshToken(refreshToken),
  ]);
  if (!row) {
    throw new UnauthorizedError(
      'invalid_refresh_token',
      'the refresh token is unknown, expired or already used: log in again',
    );
  }
  return issueTokens(s, { userId: row.user_id, clientId: row.client_id });
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
