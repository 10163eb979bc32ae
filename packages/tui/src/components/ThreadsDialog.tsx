// tsx (which runs the tests) reads no tsconfig for this file: it needs the JSX runtime named.
/** @jsxRuntime automatic */
import { safeLine } from '@msgr/safe-text';
import { Box, Text } from 'ink';
import type { Dialog } from '../state/types.js';
import type { ThreadLine } from '../view/dialog-views.js';
import { truncate, widthOf } from '../view/text.js';
import { DialogFrame } from './DialogFrame.js';

export interface ThreadsDialogProps {
  dialog: Extract<Dialog, { kind: 'threads' }>;
  /** The threads as lines, already made safe (`dialogView`). */
  threads: ThreadLine[];
  width: number;
  height: number;
}

/** The followed threads with unread replies, latest reply first; Enter opens one. */
export function ThreadsDialog({ dialog, threads, width, height }: ThreadsDialogProps) {
  const inner = width - 4;
  const rows = Math.max(1, height - 5);
  const first = Math.max(0, Math.min(dialog.index - rows + 1, threads.length - rows));
  let status = '';
  if (dialog.error) status = `could not load them: ${safeLine(dialog.error)}`;
  else if (dialog.isLoading) status = 'loading…';
  else if (threads.length === 0) status = 'No thread you follow has unread replies.';
  return (
    <DialogFrame title="Threads with unread replies" width={width} height={height}>
      <Box marginTop={1} flexDirection="column">
        {status ? <Text dimColor>{status}</Text> : null}
        {threads.slice(first, first + rows).map((t, i) => {
          const isAt = first + i === dialog.index;
          const head = `${t.where}  ${t.who}: `;
          const tail = `  ${t.unread} new · ${t.replies}`;
          const room = Math.max(0, inner - widthOf(head) - widthOf(tail));
          return (
            <Text key={t.id} wrap="truncate" inverse={isAt} color={isAt ? 'cyan' : undefined}>
              <Text dimColor={!isAt}>{truncate(head, inner)}</Text>
              {truncate(t.text, room)}
              <Text color="yellow">{tail}</Text>
            </Text>
          );
        })}
      </Box>
      <Box flexGrow={1} />
      <Text dimColor wrap="truncate">
        ↑/↓ pick · Enter open the thread beside its chat · Esc close
      </Text>
    </DialogFrame>
  );
}
