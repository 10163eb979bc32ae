// tsx (which runs the tests) reads no tsconfig for this file: it needs the JSX runtime named.
/** @jsxRuntime automatic */
import { Box, Text } from 'ink';
import type { Dialog } from '../state/types.js';
import { inputRows } from '../view/input-rows.js';
import { DialogFrame } from './DialogFrame.js';
import { FieldText } from './FieldText.js';
import { UserResults } from './UserResults.js';

export interface NewChatDialogProps {
  dialog: Extract<Dialog, { kind: 'direct' }>;
  width: number;
  height: number;
}

/** Pick a person by name or email; Enter opens (or starts) the direct chat. */
export function NewChatDialog({ dialog, width, height }: NewChatDialogProps) {
  const inner = width - 4;
  const [row] = inputRows(dialog.query, inner - 8, 1);
  return (
    <DialogFrame title="New chat" width={width} height={height}>
      <Text>
        <Text color="cyan">Find: </Text>
        <FieldText row={row!} hasCursor placeholder="name or email" />
      </Text>
      <Box marginTop={1}>
        <UserResults
          users={dialog.results}
          index={dialog.index}
          isActive
          width={inner}
          rows={Math.max(1, height - 7)}
        />
      </Box>
      <Box flexGrow={1} />
      <Text dimColor wrap="truncate">
        ↑/↓ pick · Enter chat · Esc cancel
      </Text>
    </DialogFrame>
  );
}
