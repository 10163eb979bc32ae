import { sql } from './database.js';

export const insertRefreshToken = sql(
  'refresh_tokens.insert',
  `INSERT INTO refresh_tokens (user_id, client_id, token_hash, expires_at)
   VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
);

/** Rotation: the presented token is spent atomically, so two concurrent refreshes cannot both win. */
export const spendRefreshToken = sql(
  'refresh_tokens.spend',
  `UPDATE refresh_tokens SET revoked_at = now()
   WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()
   RETURNING user_id, client_id`,
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
