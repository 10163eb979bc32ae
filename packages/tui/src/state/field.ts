/** Editing a text field: pure functions over `{ text, cursor }`. */
import type { EditOp, Field } from './types.js';

export const EMPTY_FIELD: Field = { text: '', cursor: 0 };

export function fieldOf(text: string): Field {
  return { text, cursor: text.length };
}

/** Offset of the code point before `at` (so surrogate pairs move as one). */
function previousPoint(text: string, at: number): number {
  if (at <= 0) return 0;
  const code = text.charCodeAt(at - 1);
  const isLowSurrogate = code >= 0xdc00 && code <= 0xdfff;
  return isLowSurrogate && at >= 2 ? at - 2 : at - 1;
}

function nextPoint(text: string, at: number): number {
  if (at >= text.length) return text.length;
  const code = text.charCodeAt(at);
  const isHighSurrogate = code >= 0xd800 && code <= 0xdbff;
  return isHighSurrogate ? at + 2 : at + 1;
}

/** Pasted text keeps its line breaks as `\n`, whatever the terminal sent. */
export function normalizeInput(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

export function editField(field: Field, op: EditOp): Field {
  const { text, cursor } = field;
  switch (op.kind) {
    case 'insert': {
      const insert = normalizeInput(op.text);
      return {
        text: text.slice(0, cursor) + insert + text.slice(cursor),
        cursor: cursor + insert.length,
      };
    }
    case 'backspace': {
      const from = previousPoint(text, cursor);
      return { text: text.slice(0, from) + text.slice(cursor), cursor: from };
    }
    case 'deleteWord': {
      let from = cursor;
      while (from > 0 && /\s/.test(text[from - 1]!)) from--;
      while (from > 0 && !/\s/.test(text[from - 1]!)) from--;
      return { text: text.slice(0, from) + text.slice(cursor), cursor: from };
    }
    case 'left':
      return { text, cursor: previousPoint(text, cursor) };
    case 'right':
      return { text, cursor: nextPoint(text, cursor) };
    case 'home': {
      const lineStart = text.lastIndexOf('\n', cursor - 1) + 1;
      return { text, cursor: lineStart };
    }
    case 'end': {
      const lineEnd = text.indexOf('\n', cursor);
      return { text, cursor: lineEnd === -1 ? text.length : lineEnd };
    }
    case 'clear':
      return EMPTY_FIELD;
    case 'set':
      return fieldOf(normalizeInput(op.text));
  }
}
