/**
 * The `@` completion as rows above a composer's input: who `@word` may name, the highlighted one
 * marked. Names and emails were made safe when the candidates were found (`mentionCandidates`).
 */
import { COMPLETION_ROWS, type OpenCompletion } from '../state/mentions.js';
import { fit } from './banner.js';
import type { Segment } from './message-rows.js';

export function completionRows(open: OpenCompletion | undefined, width: number): Segment[][] {
  if (!open) return [];
  const { candidates, index } = open;
  const first = Math.max(
    0,
    Math.min(index - COMPLETION_ROWS + 1, candidates.length - COMPLETION_ROWS),
  );
  return candidates.slice(first, first + COMPLETION_ROWS).map((c, i) => {
    const isAt = first + i === index;
    const name = c.kind === 'user' ? `@${c.name}` : `@${c.token}`;
    const about = c.kind === 'user' ? (c.email ?? '') : 'everyone in the chat';
    const segments: Segment[] = [
      { text: isAt ? '› ' : '  ', color: 'cyan' },
      isAt ? { text: name, color: 'cyan', isBold: true } : { text: name },
      { text: about ? `  ${about}` : '', isDim: true },
    ];
    if (isAt) segments.push({ text: '  Tab/Enter insert · Esc', isDim: true });
    return fit(segments, width);
  });
}
