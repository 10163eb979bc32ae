// tsx (which runs the tests) reads no tsconfig for this file: it needs the JSX runtime named.
/** @jsxRuntime automatic */
import { safeLine } from '@msgr/safe-text';
import { Box, Text } from 'ink';
import type { Dialog } from '../state/types.js';
import type { FoundLine } from '../view/dialog-views.js';
import { inputRows } from '../view/input-rows.js';
import { truncate, widthOf } from '../view/text.js';
import { DialogFrame } from './DialogFrame.js';
import { FieldText } from './FieldText.js';

export interface SearchDialogProps {
  dialog: Extract<Dialog, { kind: 'search' }>;
  /** The results as lines, already made safe (`dialogView`). */
  found: FoundLine[];
  width: number;
  height: number;
}

/** Words to find; the messages that have them, newest first; Enter opens the chat there. */
export function SearchDialog({ dialog, found, width, height }: SearchDialogProps) {
  const inner = width - 4;
  const [row] = inputRows(dialog.query, inner - 8, 1);
  const rows = Math.max(1, height - 7);
  const first = Math.max(0, Math.min(dialog.index - rows + 1, found.length - rows));
  const isEmpty = dialog.query.text.trim() === '';
  let status = '';
  if (dialog.error) status = `search failed: ${safeLine(dialog.error)}`;
  else if (dialog.isLoading) status = 'searching…';
  else if (!isEmpty && found.length === 0 && dialog.resultsFor !== '') status = 'nothing found';
  else if (dialog.hasMore) status = '↓ at the last one loads more';
  return (
    <DialogFrame title="Search messages" width={width} height={height}>
      <Text>
        <Text color="cyan">Find: </Text>
        <FieldText row={row!} hasCursor placeholder="words the message has (each starts a word)" />
      </Text>
      <Box marginTop={1} flexDirection="column">
        {found.slice(first, first + rows).map((f, i) => {
          const isAt = first + i === dialog.index;
          const head = `${f.when}  ${f.where}  ${f.who}: `;
          return (
            <Text key={f.id} wrap="truncate" inverse={isAt} color={isAt ? 'cyan' : undefined}>
              <Text dimColor={!isAt}>{truncate(head, inner)}</Text>
              {truncate(f.text, Math.max(0, inner - widthOf(head)))}
            </Text>
          );
        })}
      </Box>
      <Box flexGrow={1} />
      <Text dimColor wrap="truncate">
        {status ? `${status} · ` : ''}↑/↓ pick · Enter open the chat there · Esc close
      </Text>
    </DialogFrame>
  );
}
