import type { Request } from 'express';
import { HttpError } from './problem.js';

/** The IETF httpapi draft's `Idempotency-Key`: 1..255 visible ASCII characters. */
const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * The request's `Idempotency-Key` (undefined when it has none), or 422 `idempotency_key_invalid`.
 * A structured-field string in quotes (`"abc"`) is taken without its quotes.
 */
export function idempotencyKeyOf(req: Request): string | undefined {
  const raw = req.get('idempotency-key');
  if (raw === undefined) return undefined;
  const value = raw.trim();
  const key = /^"[^"]*"$/.test(value) ? value.slice(1, -1) : value;
  if (!KEY.test(key)) {
    throw new HttpError(
      422,
      'idempotency_key_invalid',
      'Idempotency-Key must be 1..255 visible ASCII characters',
    );
  }
  return key;
}
