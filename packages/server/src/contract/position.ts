/**
 * Positions in the log (contract: "v1.2 — one log of every change"). Every logged frame carries
 * its `seq` (its place in the log) and the `mark` the instance had heard: every event with a seq
 * ≤ mark that the socket should get was sent before that frame. A client's position is its
 * highest mark and the seqs above it that it received, written `<mark>` or
 * `<mark>.<seq>.<seq>…`: resuming from it replays every event above the mark that is not
 * listed, in log order. A position of v1.1 (a mark and message ids) is one of these: a
 * message's id is the seq of its event.
 */
import { Limits } from './limits.js';

export interface Position {
  mark: number;
  /** Seqs above `mark` the client has, ascending. */
  seen: number[];
}

/** Parses a position; undefined when it is not one. */
export function parsePosition(text: string): Position | undefined {
  if (text.length > 17 * (Limits.maxPositionSeqs + 1)) return undefined;
  const parts = text.split('.');
  if (parts.length > Limits.maxPositionSeqs + 1) return undefined;
  const numbers: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,16}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > Number.MAX_SAFE_INTEGER) return undefined;
    numbers.push(n);
  }
  const [mark, ...seen] = numbers as [number, ...number[]];
  return { mark, seen: [...new Set(seen.filter((seq) => seq > mark))].sort((a, b) => a - b) };
}

/** The text of a position (its seen seqs ascending). */
export function formatPosition({ mark, seen }: Position): string {
  return [mark, ...seen].join('.');
}

export const POSITION_FORMAT = `\`<mark>\` or \`<mark>.<seq>.<seq>…\` (integers, at most ${Limits.maxPositionSeqs} seqs)`;
