// tsx (which runs the tests) reads no tsconfig for this file: it needs the JSX runtime named.
/** @jsxRuntime automatic */
import { Text } from 'ink';
import { DialogFrame } from './DialogFrame.js';

export const KEYS: [string, string][] = [
  ['↑/↓  j/k', 'move in the chat list'],
  ['Enter', 'open the selected chat / send the message'],
  ['Alt+Enter  Ctrl+J', 'new line in the message'],
  ['Esc', 'cancel edit / reply / message, back to the list'],
  ['Tab', 'switch between list and input (keeps the draft)'],
  ['PgUp/PgDn', 'scroll messages (older pages load at the top)'],
  ['↑ (empty input)', 'edit your last message (else ↑/↓ scroll a line)'],
  ['Ctrl+K', 'pick a message: e edit d delete r reply + react'],
  ['Ctrl+F', 'search messages; Enter opens the chat there'],
  ['Ctrl+P  m (list)', 'group members: a add, x remove, r rename, l leave'],
  ['Ctrl+X', 'compose the message in $EDITOR'],
  ['Ctrl+O', 'attach a file; picked message: s save, o open'],
  ['Ctrl+R', 'send the failed messages of the chat again'],
  ['u  Alt+U', 'open the next chat with unread messages'],
  ['s', 'sort: most recent first / unread first'],
  ['Ctrl+N  Ctrl+G', 'new direct chat / new group'],
  ['Ctrl+A/E  Ctrl+W  Ctrl+U', 'line start/end, delete word, clear'],
  ['?  Ctrl+C', 'this help (from the list) / quit'],
];

export interface HelpOverlayProps {
  width: number;
  height: number;
}

/** The keys, in a box that any key closes. */
export function HelpOverlay({ width, height }: HelpOverlayProps) {
  const keyWidth = Math.max(...KEYS.map(([k]) => k.length)) + 2;
  return (
    <DialogFrame title="Keys" width={width} height={height}>
      {KEYS.map(([key, what]) => (
        <Text key={key} wrap="truncate">
          <Text color="cyan">{key.padEnd(keyWidth)}</Text>
          {what}
        </Text>
      ))}
      <Text dimColor>Press any key to close.</Text>
    </DialogFrame>
  );
}
