/**
 * The line above the input that says what Enter will do when it is not a plain send: the
 * reaction picker, an edit in progress, or the message a reply quotes. Pure.
 */
import { safeLine } from '@msgr/safe-text';
import { PICKER_EMOJI, findMessage, previewOf } from '../state/messages.js';
import type { ChatState } from '../state/types.js';
import type { Segment } from './message-rows.js';
import { truncate, widthOf } from './text.js';

/** Segments cut to `width` columns (the last one shortened with `…`). */
export function fit(segments: Segment[], width: number): Segment[] {
  const out: Segment[] = [];
  let used = 0;
  for (const s of segments) {
    const w = widthOf(s.text);
    if (used + w <= width) {
      out.push(s);
      used += w;
      continue;
    }
    if (width - used > 1) out.push({ ...s, text: truncate(s.text, width - used) });
    break;
  }
  return out;
}

export function composeBanner(
  chat: ChatState | undefined,
  nameOf: (userId: number) => string,
  width: number,
): Segment[] | undefined {
  if (!chat) return undefined;
  if (chat.pickerIndex !== undefined) {
    const message = chat.selectedId === undefined ? undefined : findMessage(chat, chat.selectedId);
    const mine = new Set(message?.reactions.filter((r) => r.me).map((r) => r.emoji));
    const segments: Segment[] = [{ text: 'React: ', color: 'cyan', isBold: true }];
    PICKER_EMOJI.forEach((emoji, i) => {
      const isAt = i === chat.pickerIndex;
      const text = `${i + 1}${emoji}`;
      segments.push(
        isAt
          ? { text: `[${text}]`, color: 'cyan', isBold: true }
          : { text: ` ${text} `, color: mine.has(emoji) ? 'green' : undefined },
      );
    });
    segments.push({ text: ' · Enter toggles · Esc', isDim: true });
    return fit(segments, width);
  }
  if (chat.editing) {
    const what = chat.editing.isSaving ? 'saving your edit…' : 'Editing your message';
    return fit(
      [
        { text: `✎ ${what}`, color: 'yellow', isBold: true },
        { text: ' · Enter save · Esc cancel', isDim: true },
      ],
      width,
    );
  }
  if (chat.replyTo !== undefined) {
    const quoted = findMessage(chat, chat.replyTo);
    const who = quoted ? safeLine(nameOf(quoted.sender_id)) : 'a message';
    const what = quoted ? `: ${safeLine(previewOf(quoted))}` : '';
    return fit(
      [
        { text: '↳ Reply to ', color: 'cyan' },
        { text: who, isBold: true },
        { text: what },
        { text: ' · Esc cancel', isDim: true },
      ],
      width,
    );
  }
  return undefined;
}
