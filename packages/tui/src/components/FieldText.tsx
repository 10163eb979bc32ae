// tsx (which runs the tests) reads no tsconfig for this file: it needs the JSX runtime named.
/** @jsxRuntime automatic */
import { safeLine } from '@msgr/safe-text';
import { Text } from 'ink';
import type { InputRow } from '../view/input-rows.js';

export interface FieldTextProps {
  row: InputRow;
  /** Draw the cursor (the field has the focus). */
  hasCursor: boolean;
  placeholder?: string;
}

/**
 * One row of an edited field, with a block cursor where the caret is. The text may be pasted or
 * come from $EDITOR: each piece is shown safe on its own, so the cursor offset stays valid.
 */
export function FieldText({ row, hasCursor, placeholder }: FieldTextProps) {
  if (row.text === '' && placeholder && !hasCursor) return <Text dimColor>{placeholder}</Text>;
  if (!hasCursor || row.cursorAt === undefined) return <Text>{safeLine(row.text) || ' '}</Text>;
  const at = row.cursorAt;
  const cp = row.text.codePointAt(at);
  const under = cp === undefined ? ' ' : String.fromCodePoint(cp);
  return (
    <Text>
      {safeLine(row.text.slice(0, at))}
      <Text inverse>{safeLine(under)}</Text>
      {safeLine(row.text.slice(at + under.length))}
      {row.text === '' && placeholder ? <Text dimColor>{placeholder}</Text> : null}
    </Text>
  );
}
