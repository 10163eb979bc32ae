/**
 * API tokens (contract v1.5): made, listed and revoked from a login session (the routes say
 * `need: 'login'`). Checking one is auth/api-tokens.ts's.
 */
import { newApiToken } from '../auth/api-tokens.js';
import type { AuthUser, Scope } from '../auth/tokens.js';
import { Limits } from '../contract/limits.js';
import type { ApiToken } from '../contract/schemas.js';
import type { Queryable } from '../db/database.js';
import * as I from '../db/integrations-queries.js';
import type { Services } from '../services.js';
import { accountGone, foreignKeyOf, NotFoundError, UnprocessableError } from './errors.js';

export interface TokenInput {
  name: string;
  scopes: readonly Scope[];
  /** Seconds until it stops working; undefined: never. */
  expiresIn?: number | undefined;
}

export function toApiToken(row: I.ApiTokenRow): ApiToken {
  return {
    id: Number(row.id),
    name: row.name,
    scopes: row.scopes,
    created_at: row.created_at.toISOString(),
    expires_at: row.expires_at?.toISOString() ?? null,
    last_used_at: row.last_used_at?.toISOString() ?? null,
  };
}

export const limitReached = (what: string, max: number) =>
  new UnprocessableError('limit_reached', `you hold the most ${what} you may (${max})`);

/**
 * A new token of `userId` (the caller, or a bot of theirs), inside `q`'s transaction when it is
 * one. Answers it with its text, which is shown this once.
 */
export async function issueToken(
  q: Queryable,
  userId: number,
  input: TokenInput,
): Promise<ApiToken & { token: string }> {
  const [count] = await q.query<{ n: number }>(I.countApiTokens, [userId]);
  if ((count?.n ?? 0) >= Limits.maxApiTokens) throw limitReached('API tokens', Limits.maxApiTokens);
  const { token, hash } = newApiToken();
  const [row] = await q
    .query<I.ApiTokenRow>(I.insertApiToken, [
      userId,
      input.name,
      [...new Set(input.scopes)],
      hash,
      input.expiresIn ?? null,
    ])
    .catch(goneIf('api_tokens_user_id_fkey'));
  return { ...toApiToken(row!), token };
}

export async function createToken(
  s: Services,
  user: AuthUser,
  input: TokenInput,
): Promise<ApiToken & { token: string }> {
  return issueToken(s.db, user.userId, input);
}

export async function listTokens(s: Services, user: AuthUser): Promise<ApiToken[]> {
  return (await s.db.query<I.ApiTokenRow>(I.apiTokensOf, [user.userId])).map(toApiToken);
}

/** Deletes the caller's token `id`; its sockets on every instance close at once. */
export async function revokeToken(s: Services, user: AuthUser, id: number): Promise<void> {
  const rows = await s.db.query(I.deleteApiToken, [id, user.userId]);
  if (rows.length === 0)
    throw new NotFoundError('token_not_found', 'no API token of yours has this id');
  await announceRevoked(s, user.userId, [id]);
}

/**
 * Tells every instance that tokens of `userId` stopped working (`null`: all of them), so their
 * sockets close now. Requests never needed it (each reads its token); a lost announcement is
 * caught by the hub's periodic recheck.
 */
export async function announceRevoked(
  s: Services,
  userId: number,
  tokenIds: number[] | null,
): Promise<void> {
  await s.publish({ t: 'Revoked', user_id: userId, token_ids: tokenIds }).catch((err: unknown) => {
    s.logger.warn({ err }, 'announcing a token revocation failed: sockets close at the recheck');
  });
}

/** A catch for a write naming the caller: its foreign key `key` failing says the account is gone. */
export function goneIf(key: string): (err: unknown) => never {
  return (err) => {
    throw foreignKeyOf(err) === key ? accountGone() : err;
  };
}
