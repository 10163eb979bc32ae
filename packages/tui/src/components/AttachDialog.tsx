// tsx (which runs the tests) reads no tsconfig for this file: it needs the JSX runtime named.
/** @jsxRuntime automatic */
import { safeLine } from '@msgr/safe-text';
import { Box, Text } from 'ink';
import type { Dialog } from '../state/types.js';
import { inputRows } from '../view/input-rows.js';
import { truncate } from '../view/text.js';
import { DialogFrame } from './DialogFrame.js';
import { FieldText } from './FieldText.js';

export interface AttachDialogProps {
  dialog: Extract<Dialog, { kind: 'attach' }>;
  /** The chat the file goes to (untrusted: shown safe). */
  chatTitle: string;
  width: number;
  height: number;
}

/**
 * The path of a file to attach: Tab completes it (and lists what else matches), Enter adds the
 * file above the input. Names from the disk are shown safe too: a file name may hold anything.
 */
export function AttachDialog({ dialog, chatTitle, width, height }: AttachDialogProps) {
  const inner = width - 4;
  const [row] = inputRows(dialog.path, inner - 6, 1);
  const rows = Math.max(1, height - 8);
  const listed =
    dialog.candidates.length > rows ? dialog.candidates.slice(0, rows - 1) : dialog.candidates;
  const more = dialog.candidates.length - listed.length;
  return (
    <DialogFrame
      title={truncate(`Attach a file to ${safeLine(chatTitle)}`, inner)}
      width={width}
      height={height}
    >
      <Text>
        <Text color="cyan">Path: </Text>
        <FieldText row={row!} hasCursor placeholder="~/Documents/report.pdf (Tab completes)" />
      </Text>
      {dialog.error ? (
        <Text color="red" wrap="truncate">
          {safeLine(dialog.error)}
        </Text>
      ) : null}
      <Box marginTop={1} flexDirection="column">
        {listed.map((name) => (
          <Text key={name} wrap="truncate" color={name.endsWith('/') ? 'blue' : undefined}>
            {truncate(safeLine(name), inner)}
          </Text>
        ))}
        {more > 0 ? <Text dimColor>… and {more} more (type more, then Tab)</Text> : null}
      </Box>
      <Box flexGrow={1} />
      <Text dimColor wrap="truncate">
        {dialog.isBusy ? 'looking… · ' : ''}Tab complete · Enter attach · Esc cancel · ~ is your
        home
      </Text>
    </DialogFrame>
  );
}
