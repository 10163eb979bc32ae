// tsx (which runs the tests) reads no tsconfig for this file: it needs the JSX runtime named.
/** @jsxRuntime automatic */
import { safeLine } from '@msgr/safe-text';
import { Box, Text } from 'ink';
import type { Dialog } from '../state/types.js';
import { DialogFrame } from './DialogFrame.js';

export interface ConfirmDialogProps {
  dialog: Extract<Dialog, { kind: 'confirm' }>;
  width: number;
  height: number;
}

/** A yes/no question before something that cannot be taken back (delete, remove, leave). */
export function ConfirmDialog({ dialog, width, height }: ConfirmDialogProps) {
  return (
    <DialogFrame title={dialog.title} width={width} height={height}>
      <Box marginTop={1}>
        {/* The question quotes names and a message: shown safe. */}
        <Text wrap="wrap">{safeLine(dialog.question)}</Text>
      </Box>
      <Box marginTop={1}>
        <Text>
          <Text inverse color="red">
            {dialog.isBusy ? ` ${dialog.yes}… ` : ` ${dialog.yes} (Enter/y) `}
          </Text>
          <Text> </Text>
          <Text inverse> Cancel (Esc/n) </Text>
        </Text>
      </Box>
      {dialog.error ? <Text color="red">{safeLine(dialog.error)}</Text> : null}
    </DialogFrame>
  );
}
