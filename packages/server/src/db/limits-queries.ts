import { sql } from './database.js';

/** `$1` bucket key, `$2` capacity, `$3` tokens per second → `wait`: 0 when taken, else seconds. */
export const rateTake = sql('limits.rate_take', `SELECT msgr_rate_take($1, $2, $3) AS wait`);

export interface LoginAttemptRow {
  failures: number;
  retry_after: number;
}

/**
 * Counts a login attempt of (`$1` email, `$2` ip) before the password is checked, so concurrent
 * guesses cannot overtake the limit; a success then clears the row. A window (`$3` seconds)
 * starts at the first failure of a series; `retry_after` is the seconds left in it.
 */
export const countLoginAttempt = sql(
  'limits.login_attempt',
  `INSERT INTO login_failures AS f (email, ip, failures, window_ends_at)
   VALUES ($1, $2, 1, now() + make_interval(secs => $3))
   ON CONFLICT (email, ip) DO UPDATE SET
     failures = CASE WHEN f.window_ends_at <= now() THEN 1 ELSE f.failures + 1 END,
     window_ends_at = CASE WHEN f.window_ends_at <= now()
                           THEN now() + make_interval(secs => $3) ELSE f.window_ends_at END
   RETURNING failures, extract(epoch FROM window_ends_at - now())::float8 AS retry_after`,
);

export const clearLoginFailures = sql(
  'limits.login_clear',
  `DELETE FROM login_failures WHERE email = $1 AND ip = $2`,
);

/** `$1` instance id: inserted at start, then its heartbeat. */
export const instanceHeartbeat = sql(
  'instances.heartbeat',
  `INSERT INTO instances (id, seen_at) VALUES ($1, now())
   ON CONFLICT (id) DO UPDATE SET seen_at = now()`,
);

/** Instances silent for `$1` seconds are gone; their leases go with them (cascade). */
export const forgetDeadInstances = sql(
  'instances.forget_dead',
  `DELETE FROM instances WHERE seen_at < now() - make_interval(secs => $1)`,
);

export const forgetInstance = sql('instances.forget', `DELETE FROM instances WHERE id = $1`);

/** `$1` instance, `$2` socket, `$3` user, `$4` cap, `$5` liveness seconds → `granted`. */
export const claimSocket = sql(
  'sockets.claim',
  `SELECT msgr_socket_claim($1, $2, $3, $4, $5) AS granted`,
);

export const releaseSocket = sql(
  'sockets.release',
  `DELETE FROM socket_leases WHERE instance_id = $1 AND socket_id = $2`,
);

/** Buckets untouched for `$1` seconds are full again: the same as no row. */
export const sweepBuckets = sql(
  'limits.sweep_buckets',
  `DELETE FROM rate_buckets WHERE ctid = ANY(ARRAY(
     SELECT ctid FROM rate_buckets WHERE updated_at < now() - make_interval(secs => $1) LIMIT 1000))`,
);

export const sweepLoginFailures = sql(
  'limits.sweep_login_failures',
  `DELETE FROM login_failures WHERE ctid = ANY(ARRAY(
     SELECT ctid FROM login_failures WHERE window_ends_at < now() LIMIT 1000))`,
);
