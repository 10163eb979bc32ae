/**
 * Limits counted across instances, in PostgreSQL (contract: "Limits, abuse and exact resume").
 * Token buckets refill continuously and may be spent in one burst; they never reset at a fixed
 * edge, so no window lets twice the limit through. Sends are counted inside msgr_send itself,
 * where a send is known to create a message (see migrations/002-limits.ts).
 */
import net from 'node:net';
import type { Queryable } from '../db/database.js';
import * as L from '../db/limits-queries.js';
import { RateLimitedError } from './errors.js';

/**
 * Takes one token of `perMinute` from bucket `key` (0 turns the limit off), or throws a
 * {@link RateLimitedError} saying when to come back.
 */
export async function takeToken(
  q: Queryable,
  key: string,
  perMinute: number,
  what: string,
): Promise<void> {
  if (perMinute <= 0) return;
  const [row] = await q.query<{ wait: number }>(L.rateTake, [key, perMinute, perMinute / 60]);
  const wait = row?.wait ?? 0;
  if (wait > 0) throw rateLimited(what, wait);
}

export function rateLimited(what: string, seconds: number): RateLimitedError {
  return new RateLimitedError(
    `too many ${what}: try again in ${Math.max(1, Math.ceil(seconds))} s`,
    seconds,
  );
}

/**
 * The bucket key of a client address. IPv4-mapped IPv6 counts as IPv4; other IPv6 addresses
 * count by their /64, the block one subscriber gets, so walking a prefix does not multiply the
 * budget.
 */
export function addressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (net.isIPv6(address)) return `${expandIpv6(address).slice(0, 4).join(':')}::/64`;
  return address;
}

function expandIpv6(address: string): string[] {
  const [head = '', tail] = address.split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0');
  return (tail === undefined ? left : [...left, ...zeros, ...right]).map((g) =>
    (parseInt(g, 16) || 0).toString(16),
  );
}
