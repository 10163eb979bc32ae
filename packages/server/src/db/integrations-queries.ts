/**
 * API tokens, bots, incoming hooks and outgoing webhooks (contract v1.5, migration 010).
 */
import { sql } from './database.js';

// ---- API tokens -------------------------------------------------------------------------------

export interface ApiTokenRow {
  id: number;
  user_id: number;
  name: string;
  scopes: ('read' | 'write')[];
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
}

const TOKEN_COLUMNS = 't.id, t.user_id, t.name, t.scopes, t.created_at, t.expires_at, t.last_used_at';

/** A token of user `$1` named `$2`, scopes `$3`, hash `$4`, ending in `$5` seconds (NULL: never). */
export const insertApiToken = sql(
  'api_tokens.insert',
  `INSERT INTO api_tokens AS t (user_id, name, scopes, token_hash, expires_at)
   VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
   RETURNING ${TOKEN_COLUMNS}`,
);

/** User `$1`'s tokens, newest first. */
export const apiTokensOf = sql(
  'api_tokens.of_user',
  `SELECT ${TOKEN_COLUMNS} FROM api_tokens t WHERE t.user_id = $1 ORDER BY t.id DESC`,
);

export const countApiTokens = sql(
  'api_tokens.count',
  'SELECT count(*)::int AS n FROM api_tokens WHERE user_id = $1',
);

/** Deletes token `$1` of user `$2`. */
export const deleteApiToken = sql(
  'api_tokens.delete',
  'DELETE FROM api_tokens WHERE id = $1 AND user_id = $2 RETURNING id',
);

export interface TokenCallerRow {
  id: number;
  user_id: number;
  scopes: ('read' | 'write')[];
  expires_at: Date | null;
  is_expired: boolean;
  /** Its last use was written more than a minute ago (or never): write it now. */
  is_stale: boolean;
}

/** The live token whose hash is `$1`, of a user that is not deleted. */
export const tokenByHash = sql(
  'api_tokens.by_hash',
  `SELECT t.id, t.user_id, t.scopes, t.expires_at,
          t.expires_at IS NOT NULL AND t.expires_at <= now() AS is_expired,
          t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute' AS is_stale
   FROM api_tokens t JOIN users u ON u.id = t.user_id
   WHERE t.token_hash = $1 AND u.deleted_at IS NULL`,
);

/** Which of tokens `$1` still work. */
export const liveTokens = sql(
  'api_tokens.live',
  `SELECT t.id FROM api_tokens t WHERE t.id = ANY ($1::bigint[])
     AND (t.expires_at IS NULL OR t.expires_at > now())`,
);

/** Records a use of token `$1`, unless another instance just did. */
export const touchApiToken = sql(
  'api_tokens.touch',
  `UPDATE api_tokens SET last_used_at = now()
   WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
);
