/**
 * Terminal text: measuring and wrapping it by display width. Untrusted text is made safe first,
 * by @msgr/safe-text (the one sanitizer of both clients).
 */
import stringWidth from 'string-width';

/** Where a message's continuation lines, quotes, files and reactions start. */
export const INDENT = '      ';

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Grapheme clusters, so a flag or an accented letter is never cut in half. */
export function graphemes(text: string): string[] {
  return Array.from(segmenter.segment(text), (s) => s.segment);
}

export function widthOf(text: string): number {
  return stringWidth(text);
}

/** Cuts `text` to at most `width` columns, with `…` when it was longer. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  if (widthOf(text) <= width) return text;
  let out = '';
  let used = 0;
  for (const g of graphemes(text)) {
    const w = widthOf(g);
    if (used + w > width - 1) break;
    out += g;
    used += w;
  }
  return `${out}…`;
}

/** Splits a word wider than `width` into pieces that fit. */
function hardSplit(word: string, width: number): string[] {
  const pieces: string[] = [];
  let piece = '';
  let used = 0;
  for (const g of graphemes(word)) {
    const w = widthOf(g);
    if (used + w > width && piece !== '') {
      pieces.push(piece);
      piece = '';
      used = 0;
    }
    piece += g;
    used += w;
  }
  if (piece !== '') pieces.push(piece);
  return pieces;
}

/**
 * Word-wraps `text` (which may hold `\n`) into lines: the first at most `firstWidth` columns,
 * the others at most `restWidth`. Words wider than a line are cut.
 */
export function wrap(text: string, firstWidth: number, restWidth = firstWidth): string[] {
  const lines: string[] = [];
  const limit = (): number => Math.max(1, lines.length === 0 ? firstWidth : restWidth);
  for (const paragraph of text.split('\n')) {
    let line = '';
    let used = 0;
    for (const token of paragraph.split(/(\s+)/)) {
      if (token === '') continue;
      const isSpace = /^\s+$/.test(token);
      const w = widthOf(token);
      if (used + w <= limit()) {
        line += token;
        used += w;
        continue;
      }
      if (isSpace) {
        // A break replaces the space.
        lines.push(line);
        line = '';
        used = 0;
        continue;
      }
      if (line !== '') {
        lines.push(line.trimEnd());
        line = '';
        used = 0;
      }
      const pieces = w > limit() ? hardSplit(token, limit()) : [token];
      for (const piece of pieces.slice(0, -1)) lines.push(piece);
      line = pieces[pieces.length - 1] ?? '';
      used = widthOf(line);
    }
    lines.push(line);
  }
  return lines;
}
