// tsx (which runs the tests) reads no tsconfig for this file: it needs the JSX runtime named.
/** @jsxRuntime automatic */
import { Text } from 'ink';
import { DialogFrame } from './DialogFrame.js';

export const KEYS: [string, string][] = [
  ['↑/↓  j/k', 'move in the chat list; Enter opens the chat'],
  ['Enter  Alt+Enter', 'send the message / a new line (or Ctrl+J)'],
  ['Esc', 'cancel edit / reply / message; close a thread'],
  ['Tab', 'list ⇄ input, or ⇄ the thread (keeps the draft)'],
  ['PgUp/PgDn', 'scroll messages (older pages load at the top)'],
  ['↑ (empty input)', 'edit your last message (else ↑/↓ scroll a line)'],
  ['Ctrl+K', 'pick: e edit d delete r reply + react t thread'],
  ['@', 'mention: ↑/↓ pick, Tab/Enter insert; @all everyone'],
  ['Ctrl+T  t (list)', 'threads with unread replies; Enter opens one'],
  ['n (list)', 'rings: all → mentions (of you) → none (muted)'],
  ['Ctrl+F', 'search messages; Enter opens the chat there'],
  ['Ctrl+P  m (list)', 'group members: a add, x remove, r rename, l leave'],
  ['Ctrl+O  Ctrl+X', 'attach a file (picked: s save, o open) / $EDITOR'],
  ['Ctrl+R', 'send the failed messages of the chat again'],
  ['u  Alt+U  s', 'open the next unread chat / s: sort the list'],
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
