/**
 * Argument parsers (commander turns their InvalidArgumentError into a usage error, exit 2) and
 * the lookups that turn what people type (an email) into what the API takes (an id).
 */
import { InvalidArgumentError } from 'commander';
import type { MessengerClient } from '@msgr/sdk';
import { CliError, ExitCode, usageError } from './errors.js';

function integer(value: string, what: string, min: number, max: number): number {
  const n = /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in ${min}..${max}`;
    throw new InvalidArgumentError(`Expected ${what}: an integer ${range}.`);
  }
  return n;
}

/** A positive id (chat, message, group, user). */
export const parseId = (value: string): number =>
  integer(value, 'an id', 1, Number.MAX_SAFE_INTEGER);

/** A message id cursor (`--after`, `--before`); 0 means "from the start". */
export const parseCursor = (value: string): number =>
  integer(value, 'a message id', 0, Number.MAX_SAFE_INTEGER);

/** A page size, as the server allows it. */
export const parseLimit = (value: string): number => integer(value, 'the limit', 1, 100);

/** An idempotency key: the server takes an int16. */
export const parseOperationId = (value: string): number =>
  integer(value, 'the operation id', -32768, 32767);

/** `sync --wait`: seconds the server may wait for a first change. */
export const parseWait = (value: string): number => integer(value, 'seconds', 0, 60);

/** How a position looks, for messages. */
export const POSITION_FORMAT = '`<mark>` or `<mark>.<seq>.<seq>…` (integers), as msgr printed it';

/** Whether `text` has the form of a position in the server's log (the server decides the rest). */
export function isPosition(text: string): boolean {
  return /^\d{1,16}(\.\d{1,16})*$/.test(text);
}

/** `--position`: a position that `msgr sync` printed (`position: …`) or a position file holds. */
export function parsePosition(value: string): string {
  const position = value.trim();
  if (!isPosition(position)) {
    throw new InvalidArgumentError(`Expected a position: ${POSITION_FORMAT}.`);
  }
  return position;
}

/** Repeatable options: `--host a --host b` → ['a', 'b']. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * A user given as an id or an email; emails are looked up through `users` (exact match,
 * case-insensitive).
 */
export async function resolveUser(
  client: MessengerClient,
  ref: string,
  signal?: AbortSignal,
): Promise<number> {
  const trimmed = ref.trim();
  if (/^\d+$/.test(trimmed)) return parseIdOrThrow(trimmed);
  if (!trimmed.includes('@')) {
    throw usageError('invalid_user', `"${ref}" is neither a user id nor an email`);
  }
  const candidates = await client.users({ query: trimmed, limit: 100, signal });
  const user = candidates.find((u) => u.email.toLowerCase() === trimmed.toLowerCase());
  if (!user) {
    throw new CliError(
      ExitCode.Refused,
      'user_not_found',
      `no user has the email ${trimmed} (search with \`msgr users <query>\`)`,
    );
  }
  return user.id;
}

/** Several users, looked up at once. */
export function resolveUsers(
  client: MessengerClient,
  refs: string[],
  signal?: AbortSignal,
): Promise<number[]> {
  return Promise.all(refs.map((ref) => resolveUser(client, ref, signal)));
}

function parseIdOrThrow(value: string): number {
  try {
    return parseId(value);
  } catch {
    throw usageError('invalid_user', `"${value}" is not a valid user id`);
  }
}
