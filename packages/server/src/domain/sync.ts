/**
 * `GET /sync`: catching up on the log without a socket (contract: "v1.2 — one log of every
 * change"). One read of the log per answer, in one snapshot; a call that finds nothing waits
 * for this instance to hear of a change for the caller (realtime/change-signals.ts), holding no
 * database connection meanwhile, and reads again.
 */
import type { AuthUser } from '../auth/tokens.js';
import { Limits } from '../contract/limits.js';
import {
  formatPosition,
  parsePosition,
  POSITION_FORMAT,
  type Position,
} from '../contract/position.js';
import type { Services } from '../services.js';
import { GoneError, UnprocessableError } from './errors.js';
import { checkPosition, logBounds, placed, readLog, type LogPage } from './log.js';

export interface SyncInput {
  /** Where the caller is; undefined: now (no events, the position of now). */
  position?: string | undefined;
  limit: number;
  /** Seconds to wait for a first event when there is none (0: answer at once). */
  timeoutSeconds: number;
  /** Aborted when the caller went away: stop waiting. */
  signal?: AbortSignal | undefined;
}

export interface SyncAnswer {
  /** The frames, as JSON texts (each the same as its socket frame). */
  frames: string[];
  position: string;
}

export const invalidPosition = () =>
  new UnprocessableError('position_invalid', 'not a position this server handed out');

export const expiredPosition = () =>
  new GoneError(
    'position_expired',
    'this position is older than the log keeps: reload what you show, then sync from now',
  );

/** The position `text`, or 422 position_invalid (for /sync and socket upgrades alike). */
export function positionFrom(text: string): Position {
  const position = parsePosition(text);
  if (!position) {
    throw new UnprocessableError('position_invalid', `position must be ${POSITION_FORMAT}`);
  }
  return position;
}

/**
 * The answer to one page: each frame's mark is what the caller has once it took that frame
 * (every event up to it in this snapshot was returned or was the caller's), and the position
 * after the last one moves to the page's mark when the page holds everything there was.
 * Seqs above the mark (still committing below them when the page was read) are listed in the
 * position, at most {@link Limits.maxPositionSeqs}: the page stops before one more would be.
 */
export function answerPage(from: Position, page: LogPage, limit: number): SyncAnswer {
  // from.seen ascends; the events' seqs too, and none of them is in from.seen.
  const old = from.seen;
  let firstAbove = 0; // old[firstAbove…] are above the mark
  const added: number[] = []; // seqs above the page's mark, so above every mark here
  let mark = from.mark;
  const frames: string[] = [];
  let isCut = false;
  const skipTo = (m: number) => {
    while (firstAbove < old.length && old[firstAbove]! <= m) firstAbove++;
  };
  for (const event of page.events) {
    const next = Math.max(mark, Math.min(event.seq, page.mark));
    skipTo(next);
    const isAbove = event.seq > next;
    if (old.length - firstAbove + added.length + (isAbove ? 1 : 0) > Limits.maxPositionSeqs) {
      isCut = true;
      break;
    }
    mark = next;
    if (isAbove) added.push(event.seq);
    frames.push(placed(event.frame, event.seq, mark));
  }
  if (!isCut && page.events.length < limit) mark = Math.max(mark, page.mark);
  skipTo(mark);
  const seen = [...old.slice(firstAbove), ...added.filter((seq) => seq > mark)];
  return { frames, position: formatPosition({ mark, seen: seen.sort((a, b) => a - b) }) };
}

/**
 * Where the caller is if they have everything committed now: the published mark, and the seqs
 * of the caller's events above it that had committed too (the mark trails commits by a few
 * milliseconds). Past {@link Limits.maxPositionSeqs} of those (the marks stalled), the rest
 * would be replayed from it: never lost.
 */
async function positionOfNow(s: Services, user: AuthUser): Promise<string> {
  const { mark } = await logBounds(s.db);
  const above = await readLog(s.db, user, { after: mark, limit: Limits.maxPositionSeqs });
  return formatPosition({ mark, seen: above.events.map((e) => e.seq) });
}

async function syncOnce(
  s: Services,
  user: AuthUser,
  from: Position,
  limit: number,
): Promise<SyncAnswer> {
  const page = await readLog(s.db, user, { after: from.mark, seen: from.seen, limit });
  const check = checkPosition(from, page);
  if (check === 'invalid') throw invalidPosition();
  if (check === 'expired') throw expiredPosition();
  return answerPage(from, page, limit);
}

/** One /sync answer, waiting up to `timeoutSeconds` for a first event when there is none. */
export async function sync(s: Services, user: AuthUser, input: SyncInput): Promise<SyncAnswer> {
  if (input.position === undefined) return { frames: [], position: await positionOfNow(s, user) };
  let from = positionFrom(input.position);
  const deadline = Date.now() + input.timeoutSeconds * 1000;
  for (;;) {
    // Listening before reading: a change announced while the read runs still wakes us.
    const wake = s.changes.listen(user.userId);
    try {
      const answer = await syncOnce(s, user, from, input.limit);
      const isDone =
        answer.frames.length > 0 ||
        Date.now() >= deadline ||
        s.lifecycle.isShuttingDown ||
        input.signal?.aborted === true;
      if (isDone) return answer;
      // Nothing yet, but the position may have moved on (changes of others' devices…).
      from = positionFrom(answer.position);
      await wake.until(deadline, input.signal);
      // The caller went away (or the instance is stopping): nobody waits for another read.
      if (input.signal?.aborted || s.lifecycle.isShuttingDown) return answer;
    } finally {
      wake.cancel();
    }
  }
}
