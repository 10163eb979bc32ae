/**
 * The client's side of a position in the log (contract v1.2), as a test keeps it from the frames
 * one socket (or /sync page) received: the highest `mark`, and the seqs above it received.
 */
export interface TestPosition {
  mark: number;
  seen: Set<number>;
  /** As a `?position=` says it. */
  text: string;
}

export function positionOf(frames: readonly any[], previous?: TestPosition): TestPosition {
  let mark = previous?.mark ?? 0;
  const seen = new Set(previous?.seen ?? []);
  for (const f of frames) {
    if (typeof f.mark === 'number') mark = Math.max(mark, f.mark);
    if (typeof f.seq === 'number') seen.add(f.seq);
  }
  for (const seq of seen) if (seq <= mark) seen.delete(seq);
  return { mark, seen, text: [mark, ...[...seen].sort((a, b) => a - b)].join('.') };
}

/** A position as text, parsed (the server's own answers, e.g. /sync's `position`). */
export function parsedPosition(text: string): TestPosition {
  const [mark, ...seen] = text.split('.').map(Number) as [number, ...number[]];
  return { mark, seen: new Set(seen), text };
}
