/** An edited field as terminal rows, wrapped by display width, with the cursor's place. */
import type { Field } from '../state/types.js';
import { graphemes, widthOf } from './text.js';

export interface InputRow {
  text: string;
  /** Code-unit offset of the cursor in `text`, on the row that holds it. */
  cursorAt?: number;
}

/**
 * Rows of at most `width - 1` columns (the last column is for the cursor), at most `maxRows`
 * of them: the ones around the cursor.
 */
export function inputRows(field: Field, width: number, maxRows: number, mask?: string): InputRow[] {
  const limit = Math.max(1, width - 1);
  const rows: InputRow[] = [{ text: '' }];
  let used = 0;
  let offset = 0;
  let cursorRow = 0;
  for (const g of graphemes(field.text)) {
    const shown = g === '\n' ? '' : (mask ?? g);
    const w = widthOf(shown);
    if (g !== '\n' && used + w > limit) {
      rows.push({ text: '' });
      used = 0;
    }
    const row = rows[rows.length - 1]!;
    if (offset === field.cursor) {
      row.cursorAt = row.text.length;
      cursorRow = rows.length - 1;
    }
    offset += g.length;
    if (g === '\n') {
      rows.push({ text: '' });
      used = 0;
      continue;
    }
    row.text += shown;
    used += w;
  }
  if (field.cursor >= field.text.length) {
    const row = rows[rows.length - 1]!;
    row.cursorAt = row.text.length;
    cursorRow = rows.length - 1;
  }
  const first = Math.max(0, Math.min(cursorRow - maxRows + 1, rows.length - maxRows));
  return rows.slice(first, first + maxRows);
}

/** How many rows the input takes (for the pane's layout). */
export function inputHeight(field: Field, width: number, maxRows: number): number {
  return inputRows(field, width, maxRows).length;
}
