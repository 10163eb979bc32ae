// tsx (which runs the tests) reads no tsconfig for this file: it needs the JSX runtime named.
/** @jsxRuntime automatic */
import { safeLine } from '@msgr/safe-text';
import type { ConnectionState } from '@msgr/sdk';
import { Box, Text } from 'ink';
import type { Notice } from '../state/types.js';
import { truncate } from '../view/text.js';

export interface StatusBarProps {
  connection: ConnectionState;
  hasConnected: boolean;
  userName?: string;
  notice?: Notice;
  hint: string;
  width: number;
}

/** The connection's state in words and colour (what the status bar leads with). */
export function connectionLabel(
  connection: ConnectionState,
  hasConnected: boolean,
): { text: string; color: string } {
  switch (connection) {
    case 'open':
      return { text: '● connected', color: 'green' };
    case 'reconnecting':
      return { text: '◌ reconnecting…', color: 'yellow' };
    case 'connecting':
      return hasConnected
        ? { text: '◌ reconnecting…', color: 'yellow' }
        : { text: '◌ connecting…', color: 'yellow' };
    case 'closed':
      return { text: '✕ offline', color: 'red' };
  }
}

/**
 * One line: connection state, who we are, then a notice or the key hints. The name and the
 * notice (which quotes servers: "not sent: …") are shown safe.
 */
export function StatusBar({
  connection,
  hasConnected,
  userName,
  notice,
  hint,
  width,
}: StatusBarProps) {
  const label = connectionLabel(connection, hasConnected);
  const who = userName ? ` ${safeLine(userName)} ` : ' ';
  const rest = Math.max(0, width - label.text.length - who.length - 1);
  return (
    <Box width={width} height={1}>
      <Text wrap="truncate">
        <Text color={label.color}>{label.text}</Text>
        <Text bold>{who}</Text>
        {notice ? (
          <Text color={notice.isError ? 'red' : 'green'}>
            {truncate(safeLine(notice.text), rest)}
          </Text>
        ) : (
          <Text dimColor>{truncate(hint, rest)}</Text>
        )}
      </Text>
    </Box>
  );
}
