/**
 * Announcing what changed: `msgr_publish()` inside the writer's transaction — a NOTIFY, or an
 * outbox row the leader relays to Redis or NATS — so it leaves only when the change commits, and
 * reaches every instance in one order (realtime/bus.ts).
 */
import type { AuthUser } from '../auth/tokens.js';
import type { Queryable } from '../db/database.js';
import { publish as publishStatement } from '../db/messages-queries.js';
import type { Actor, BusEvent } from '../realtime/bus.js';

/** Ids per notification at most: keeps payloads far below NOTIFY's 8000 bytes. */
export const IDS_PER_EVENT = 300;

export function publish(q: Queryable, event: BusEvent): Promise<unknown> {
  return q.query(publishStatement, [JSON.stringify(event)]);
}

export function actorOf(user: AuthUser): Actor {
  return { u: user.userId, c: user.clientId };
}

/** `ids` in slices of {@link IDS_PER_EVENT}. */
export function chunks<T>(ids: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < ids.length; i += IDS_PER_EVENT) out.push(ids.slice(i, i + IDS_PER_EVENT));
  return out;
}
