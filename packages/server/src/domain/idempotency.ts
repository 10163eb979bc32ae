/**
 * `Idempotency-Key`s of requests that make something (contract v1.5): one table per deployment
 * (`idempotency_keys`, migration 010), keys per user, each bound for the window to a hash of the
 * request that first used it. Sends claim theirs inside msgr_send; other creations claim theirs
 * here, in the transaction that makes the thing, so a refused request leaves its key free and
 * racing duplicates on several instances wait for the first one's commit and then replay it.
 */
import { createHash } from 'node:crypto';
import type { Queryable } from '../db/database.js';
import { sql } from '../db/database.js';
import { UnprocessableError } from './errors.js';

const claim = sql(
  'idempotency.claim',
  'SELECT state, result_id FROM msgr_claim_key($1, $2, $3, $4)',
);
const settle = sql(
  'idempotency.settle',
  'UPDATE idempotency_keys SET result_id = $3 WHERE user_id = $1 AND key = $2',
);

export const keyConflict = () =>
  new UnprocessableError(
    'idempotency_key_conflict',
    'this Idempotency-Key was used for another request within the window: pick another',
  );

/** The hash a key is bound to: the kind of request and its parts, in a fixed order. */
export function requestHash(kind: string, ...parts: readonly unknown[]): Buffer {
  return createHash('sha256')
    .update(JSON.stringify([kind, ...parts]))
    .digest();
}

export type Claim =
  /** The key is ours: make the thing, then `settle` the key on it, in this transaction. */
  | { isReplay: false; settle: (resultId: number) => Promise<void> }
  /** The same request made `resultId` earlier within the window. */
  | { isReplay: true; resultId: number };

/**
 * Claims `key` of `userId` for a request hashed `hash`, inside `tx`, or throws 422
 * `idempotency_key_conflict` when another request holds it.
 */
export async function claimKey(
  tx: Queryable,
  userId: number,
  key: string,
  hash: Buffer,
  windowSeconds: number,
): Promise<Claim> {
  const [row] = await tx.query<{ state: string; result_id: string | null }>(claim, [
    userId,
    key,
    hash,
    windowSeconds,
  ]);
  if (row?.state === 'replayed' && row.result_id !== null) {
    return { isReplay: true, resultId: Number(row.result_id) };
  }
  if (row?.state !== 'claimed') throw keyConflict();
  return {
    isReplay: false,
    settle: async (resultId) => {
      await tx.query(settle, [userId, key, resultId]);
    },
  };
}
