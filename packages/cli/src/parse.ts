/**
 * Argument parsers (commander turns their InvalidArgumentError into a usage error, exit 2) and
 * the lookups that turn what people type (an email) into what the API takes (an id).
 */
import { InvalidArgumentError } from 'commander';
import { Limits, type MessengerClient, type Scope } from '@msgr/sdk';
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

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const MAX_MUTE_DAYS = Limits.maxMuteSeconds / 86_400;

/** `mute --for`: a duration such as 30m, 8h, 2d, 1w or 1h30m, in milliseconds. */
export function parseDuration(value: string): number {
  const text = value.trim();
  if (!/^(\d{1,6}[mhdw])+$/.test(text)) {
    throw new InvalidArgumentError(
      'Expected a duration: a number and a unit, m h d or w (30m, 8h, 2d, 1w, 1h30m).',
    );
  }
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)([mhdw])/g)) ms += Number(n) * UNIT_MS[unit!]!;
  if (ms === 0) throw new InvalidArgumentError('Expected a duration longer than 0.');
  if (ms > Limits.maxMuteSeconds * 1000) {
    throw new InvalidArgumentError(`Expected a duration of at most ${MAX_MUTE_DAYS} days.`);
  }
  return ms;
}

/**
 * `mute --until`: an ISO 8601 date and time (`2025-12-24T18:00`, a space for the `T` will do);
 * without an offset or `Z` it is local time.
 */
export function parseTime(value: string): Date {
  const text = value.trim().replace(/^(\d{4}-\d{2}-\d{2}) (?=\d)/, '$1T');
  const time = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text) ? new Date(text) : undefined;
  if (time === undefined || Number.isNaN(time.getTime())) {
    throw new InvalidArgumentError(
      'Expected an ISO 8601 date and time: 2025-12-24T18:00 (local), or with Z or an offset.',
    );
  }
  return time;
}

const SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
/** The longest life the server gives an API token: ten years of 366 days. */
export const MAX_TOKEN_SECONDS = 10 * 366 * 86_400;

/**
 * `token create --expires-in`: seconds (`3600`) or a duration (`30d`, `12h`, `1w`, `1d12h`;
 * units s m h d w), from a minute to ten years; in seconds.
 */
export function parseExpiresIn(value: string): number {
  const text = value.trim();
  let seconds: number;
  if (/^\d{1,12}$/.test(text)) seconds = Number(text);
  else if (/^(\d{1,9}[smhdw])+$/.test(text)) {
    seconds = 0;
    for (const [, n, unit] of text.matchAll(/(\d+)([smhdw])/g))
      seconds += Number(n) * SECONDS[unit!]!;
  } else {
    throw new InvalidArgumentError(
      'Expected seconds (3600) or a duration: a number and a unit, s m h d or w (30d, 12h, 1d12h).',
    );
  }
  if (seconds < 60 || seconds > MAX_TOKEN_SECONDS) {
    throw new InvalidArgumentError('Expected from a minute (60, 1m) to ten years (3660d).');
  }
  return seconds;
}

/** `--scope read --scope write` or `--scope read,write` → the scopes, each once. */
export function collectScopes(value: string, previous: Scope[] = []): Scope[] {
  const scopes = value.split(',').map((v) => v.trim().toLowerCase());
  for (const scope of scopes) {
    if (scope !== 'read' && scope !== 'write') {
      throw new InvalidArgumentError('Expected read or write.');
    }
  }
  return [...new Set([...previous, ...(scopes as Scope[])])];
}

/** `send --idempotency-key`: 1..255 visible ASCII characters (no spaces), as the server takes. */
export function parseIdempotencyKey(value: string): string {
  if (!/^[\x21-\x7e]{1,255}$/.test(value)) {
    throw new InvalidArgumentError(
      'Expected 1..255 visible ASCII characters (letters, digits, punctuation; no spaces).',
    );
  }
  return value;
}

/** `--event Message --event Reaction` or `--event Message,Reaction` → the kinds, each once. */
export function collectKinds(value: string, previous: string[] = []): string[] {
  const kinds = value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
  if (kinds.length === 0) throw new InvalidArgumentError('Expected an event kind (Message, …).');
  return [...new Set([...previous, ...kinds])];
}

/** Repeatable ids: `--chat 3 --chat 4` or `--chat 3,4` → [3, 4]. */
export function collectIds(value: string, previous: number[] = []): number[] {
  return [...new Set([...previous, ...value.split(',').map((v) => parseId(v))])];
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
  // Bots have no email (null): they are found by id only.
  const user = candidates.find((u) => u.email?.toLowerCase() === trimmed.toLowerCase());
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

/**
 * `--mention`, of `send` and `edit`: at most `Limits.maxMentions` people (told apart by what was
 * typed, any case), checked before any request (usage error `too_many_mentions`).
 */
export function checkMentions(refs: readonly string[]): void {
  const named = new Set(refs.map((ref) => ref.trim().toLowerCase())).size;
  if (named > Limits.maxMentions) {
    throw usageError(
      'too_many_mentions',
      `a message names at most ${Limits.maxMentions} people (--mention), not ${named}`,
    );
  }
}

/**
 * The user ids of `--mention`s (ids or emails, looked up at once; an unknown email stops the
 * command before anything is sent), each once, in the order given.
 */
export async function resolveMentions(
  client: MessengerClient,
  refs: string[],
  signal?: AbortSignal,
): Promise<number[]> {
  return [...new Set(await resolveUsers(client, refs, signal))];
}

function parseIdOrThrow(value: string): number {
  try {
    return parseId(value);
  } catch {
    throw usageError('invalid_user', `"${value}" is not a valid user id`);
  }
}
