/**
 * Outgoing webhooks (contract v1.5, migrations/010-integrations.ts): their rows, the leases
 * under which an instance delivers one, and the log of attempts.
 *
 * A webhook's `position` is always a plain mark here (`<seq>`): it delivers only events at or
 * below the published mark, which have all committed, so it never needs the seqs-above-the-mark
 * of a client's position.
 */
import { sql } from './database.js';

export interface WebhookRow {
  id: number;
  owner_id: number;
  url: string;
  events: string[];
  chat_ids: number[] | null;
  secret: string;
  state: 'active' | 'failing';
  position: string;
  attempts: number;
  failing_since: Date | null;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
}

const COLUMNS = `w.id, w.owner_id, w.url, w.events, w.chat_ids, w.secret, w.state, w.position,
  w.attempts, w.failing_since, w.next_attempt_at, w.last_error, w.created_at`;

/** A webhook of `$1` to url `$2` for kinds `$3` in chats `$4` (NULL: all), secret `$5`, at `$6`. */
export const insertWebhook = sql(
  'webhooks.insert',
  `INSERT INTO webhooks AS w (owner_id, url, events, chat_ids, secret, position)
   VALUES ($1, $2, $3, $4, $5, $6)
   RETURNING ${COLUMNS}`,
);

export const countWebhooks = sql(
  'webhooks.count',
  'SELECT count(*)::int AS n FROM webhooks WHERE owner_id = $1',
);

/** User `$1`'s webhooks, oldest first. */
export const webhooksOf = sql(
  'webhooks.of_owner',
  `SELECT ${COLUMNS} FROM webhooks w WHERE w.owner_id = $1 ORDER BY w.id`,
);

/** Webhook `$1` if user `$2` owns it. */
export const webhookOf = sql(
  'webhooks.one',
  `SELECT ${COLUMNS} FROM webhooks w WHERE w.id = $1 AND w.owner_id = $2`,
);

/** Deletes webhook `$1` of user `$2` (its deliveries go with it). */
export const deleteWebhook = sql(
  'webhooks.delete',
  'DELETE FROM webhooks WHERE id = $1 AND owner_id = $2 RETURNING id',
);

/** Which of chats `$2` user `$1` is a member of. */
export const memberChats = sql(
  'webhooks.member_chats',
  'SELECT chat_id FROM chat_members WHERE user_id = $1 AND chat_id = ANY($2::bigint[])',
);

/**
 * Resumes webhook `$1` of user `$2`: due now. A failing one starts a new retry window on the
 * event where it stopped (at `$3` instead when not NULL, with last_error `$4`), and nobody holds
 * it (its last holder gave it up when it failed). An active one is only made due now: its
 * retry window and lease stay, so a delivery in flight is not doubled.
 */
export const resumeWebhook = sql(
  'webhooks.resume',
  `UPDATE webhooks w SET
     attempts = CASE WHEN w.state = 'failing' THEN 0 ELSE w.attempts END,
     failing_since = CASE WHEN w.state = 'failing' THEN NULL ELSE w.failing_since END,
     last_error = CASE WHEN w.state = 'failing' THEN $4 ELSE w.last_error END,
     lease_holder = CASE WHEN w.state = 'failing' THEN NULL ELSE w.lease_holder END,
     lease_until = CASE WHEN w.state = 'failing' THEN NULL ELSE w.lease_until END,
     position = coalesce($3, w.position),
     state = 'active',
     next_attempt_at = now()
   WHERE w.id = $1 AND w.owner_id = $2
   RETURNING ${COLUMNS}`,
);

// ---- Delivery (realtime/webhook-dispatcher.ts) ------------------------------------------------

/** A claimed webhook: what a turn needs to start. */
export interface ClaimedRow {
  id: number;
  owner_id: number;
  position: string;
  attempts: number;
}

/**
 * Leases to holder `$1` for `$2` seconds at most `$4` webhooks, not among `$3` (those this
 * instance is delivering), held by nobody (or by a holder whose lease lapsed), that are worth
 * a turn now:
 *
 * - a retry is due (`attempts` > 0: the backoff is over);
 * - or events it wants have committed after its position, up to the published mark (the same
 *   membership spans the log page reads; an index probe per chat of its owner);
 * - or, while the log moves, once every while (`next_attempt_at`, set ahead when a turn ends)
 *   even with nothing to deliver: its position moves past the events it skips, so it never
 *   falls behind what the log keeps.
 *
 * SKIP LOCKED: instances claiming at once take different rows instead of waiting on each other.
 */
export const claimWebhooks = sql(
  'webhooks.claim',
  `UPDATE webhooks w SET lease_holder = $1 || ':' || w.id,
                         lease_until = now() + make_interval(secs => $2)
   FROM (
     SELECT d.id FROM webhooks d
     JOIN users u ON u.id = d.owner_id
     CROSS JOIN stream_marks sm
     CROSS JOIN LATERAL (SELECT split_part(d.position, '.', 1)::bigint AS at) p
     WHERE d.state = 'active'
       AND (d.lease_until IS NULL OR d.lease_until < now())
       AND u.deleted_at IS NULL
       AND d.id <> ALL($3::bigint[])
       AND (
         (d.next_attempt_at <= now() AND (d.attempts > 0 OR p.at < sm.up_to))
         OR (d.attempts = 0 AND EXISTS (
           SELECT 1 FROM member_spans s
           WHERE s.user_id = d.owner_id
             AND (s.until_seq IS NULL OR s.until_seq > p.at)
             AND (d.chat_ids IS NULL OR s.chat_id = ANY(d.chat_ids))
             AND EXISTS (
               SELECT 1 FROM events e
               WHERE e.chat_id = s.chat_id AND e.id > p.at AND e.id <= sm.up_to
                 AND e.id >= s.from_seq AND (s.until_seq IS NULL OR e.id <= s.until_seq)
                 AND (e.recipient_id IS NULL OR e.recipient_id = d.owner_id)
                 AND e.type = ANY(d.events))))
       )
     ORDER BY d.next_attempt_at
     LIMIT $4
     FOR UPDATE OF d SKIP LOCKED
   ) due
   WHERE w.id = due.id
   RETURNING w.id, w.owner_id, w.position, w.attempts, w.lease_holder`,
);

/** What an attempt needs, read as the lease is renewed (a URL changed meanwhile is used). */
export interface LeasedRow {
  url: string;
  secret: string;
  events: string[];
  chat_ids: number[] | null;
  attempts: number;
}

/** Renews holder `$2`'s lease on webhook `$1` for `$3` seconds; no row: it is not theirs now. */
export const renewLease = sql(
  'webhooks.renew',
  `UPDATE webhooks SET lease_until = now() + make_interval(secs => $3)
   WHERE id = $1 AND lease_holder = $2 AND state = 'active'
   RETURNING url, secret, events, chat_ids, attempts`,
);

/**
 * Moves holder `$2`'s webhook `$1` to position `$3` (every event up to it delivered or skipped):
 * a clean slate for the next event. The lease is renewed for `$4` seconds, or given up when
 * `$5`, and then its next turn without events to deliver is `$6` seconds away. No row: the
 * lease is no longer theirs, and the position did not move.
 */
export const advanceWebhook = sql(
  'webhooks.advance',
  `UPDATE webhooks SET position = $3, attempts = 0, failing_since = NULL, last_error = NULL,
     next_attempt_at = now() + make_interval(secs => CASE WHEN $5 THEN $6 ELSE 0 END),
     lease_until = CASE WHEN $5 THEN NULL ELSE now() + make_interval(secs => $4) END,
     lease_holder = CASE WHEN $5 THEN NULL ELSE lease_holder END
   WHERE id = $1 AND lease_holder = $2 AND state = 'active'
   RETURNING id`,
);

/**
 * Holder `$2`'s attempt at webhook `$1`'s next event failed with `$4` (the events before it,
 * up to position `$3`, are done). Retried after `$6` seconds, but never later than the end of
 * the retry window (`$5` seconds from the first failure of this event), so the last retry
 * falls at its end; a failure at or past that end makes the webhook `failing`. The lease is
 * given up either way: whichever instance is free when the retry is due takes it.
 */
export const failAttempt = sql(
  'webhooks.fail',
  `UPDATE webhooks SET position = $3, attempts = attempts + 1, last_error = $4,
     failing_since = coalesce(failing_since, now()),
     state = CASE WHEN coalesce(failing_since, now()) <= now() - make_interval(secs => $5)
                  THEN 'failing' ELSE 'active' END,
     next_attempt_at = least(now() + make_interval(secs => $6),
                             coalesce(failing_since, now()) + make_interval(secs => $5)),
     lease_holder = NULL, lease_until = NULL
   WHERE id = $1 AND lease_holder = $2 AND state = 'active'
   RETURNING state, attempts, next_attempt_at`,
);

/** Holder `$2` stops webhook `$1` at position `$3`: `failing`, with last_error `$4`. */
export const stopWebhook = sql(
  'webhooks.stop',
  `UPDATE webhooks SET position = $3, state = 'failing', last_error = $4,
     failing_since = coalesce(failing_since, now()), lease_holder = NULL, lease_until = NULL
   WHERE id = $1 AND lease_holder = $2 AND state = 'active'
   RETURNING id`,
);

/** Holder `$2` gives webhook `$1` back as it is (shutting down): anyone may take it at once. */
export const releaseWebhook = sql(
  'webhooks.release',
  `UPDATE webhooks SET lease_holder = NULL, lease_until = NULL
   WHERE id = $1 AND lease_holder = $2`,
);

// ---- Attempts ---------------------------------------------------------------------------------

export interface DeliveryRow {
  id: number;
  webhook_id: number;
  event_seq: number;
  event_type: string;
  attempt: number;
  status: number | null;
  duration_ms: number;
  error: string | null;
  at: Date;
}

/**
 * Records an attempt of webhook `$1` at event `$2` of kind `$3`: attempt `$4`, status `$5`,
 * `$6` ms, error `$7`; and drops the webhook's attempts older than its last `$8` (the new one
 * included), in the same statement, so the table stays small without a sweeper.
 */
export const insertDelivery = sql(
  'webhook_deliveries.insert',
  `WITH added AS (
     INSERT INTO webhook_deliveries (webhook_id, event_seq, event_type, attempt, status,
                                     duration_ms, error)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
   ), dropped AS (
     DELETE FROM webhook_deliveries WHERE webhook_id = $1 AND id <= (
       SELECT id FROM webhook_deliveries WHERE webhook_id = $1
       ORDER BY id DESC OFFSET greatest($8::int - 1, 0) LIMIT 1)
   )
   SELECT id FROM added`,
);

/** Webhook `$1`'s last `$2` attempts, newest first. */
export const deliveriesOf = sql(
  'webhook_deliveries.of_webhook',
  `SELECT id, webhook_id, event_seq, event_type, attempt, status, duration_ms, error, at
   FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2`,
);
