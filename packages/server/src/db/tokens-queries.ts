import { sql } from './database.js';

/** A login's first refresh token: a family of its own (its own id), ending `$4` seconds from now. */
export const insertLoginToken = sql(
  'refresh_tokens.insert_login',
  `INSERT INTO refresh_tokens (id, family_id, user_id, client_id, token_hash, expires_at)
   OVERRIDING SYSTEM VALUE
   SELECT n.id, n.id, $1, $2, $3, now() + make_interval(secs => $4)
   FROM (SELECT nextval(pg_get_serial_sequence('refresh_tokens', 'id')) AS id) n`,
);

/** A token of family `$4` ending at `$5` (the family's end: refreshes never extend a session). */
export const insertFamilyToken = sql(
  'refresh_tokens.insert_family',
  `INSERT INTO refresh_tokens (user_id, client_id, token_hash, family_id, expires_at)
   VALUES ($1, $2, $3, $4, $5)`,
);

export interface RefreshTokenRow {
  id: number;
  user_id: number;
  client_id: string;
  family_id: number;
  expires_at: Date;
  is_live: boolean;
  /** Seconds since its first use; null when this is the first. */
  used_seconds_ago: number | null;
}

/**
 * The presented token, locked, and marked used (its first use is kept). Concurrent refreshes
 * with one token queue on the row lock, so each sees whether and when it was used before.
 */
export const useRefreshToken = sql(
  'refresh_tokens.use',
  `WITH t AS (
     SELECT id, used_at FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE
   ), marked AS (
     UPDATE refresh_tokens r SET used_at = coalesce(r.used_at, clock_timestamp())
     FROM t WHERE r.id = t.id
     RETURNING r.id, r.user_id, r.client_id, r.family_id, r.expires_at,
               r.revoked_at IS NULL AND r.expires_at > now() AS is_live,
               extract(epoch FROM clock_timestamp() - t.used_at)::float8 AS used_seconds_ago
   )
   SELECT * FROM marked`,
);

/** A replay outside the grace: every token of the family stops working. */
export const revokeFamily = sql(
  'refresh_tokens.revoke_family',
  `UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`,
);

export const revokeClientTokens = sql(
  'refresh_tokens.revoke_client',
  `UPDATE refresh_tokens SET revoked_at = now()
   WHERE user_id = $1 AND client_id = $2 AND revoked_at IS NULL`,
);

export const jwtSecretInsert = sql(
  'settings.jwt_secret_insert',
  `INSERT INTO settings (key, value) VALUES ('jwt_secret', $1) ON CONFLICT (key) DO NOTHING`,
);

export const jwtSecretSelect = sql(
  'settings.jwt_secret_select',
  `SELECT value FROM settings WHERE key = 'jwt_secret'`,
);
