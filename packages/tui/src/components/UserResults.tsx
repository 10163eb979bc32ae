// tsx (which runs the tests) reads no tsconfig for this file: it needs the JSX runtime named.
/** @jsxRuntime automatic */
import type { User } from '@msgr/sdk';
import { safeLine } from '@msgr/safe-text';
import { Box, Text } from 'ink';
import { BOT_MARK } from '../view/message-rows.js';
import { truncate } from '../view/text.js';

export interface UserResultsProps {
  users: User[];
  index: number;
  isActive: boolean;
  width: number;
  rows: number;
  /** Users marked as chosen (✓). */
  chosenIds?: number[];
}

/** Search results, the highlighted one marked. */
export function UserResults({ users, index, isActive, width, rows, chosenIds }: UserResultsProps) {
  if (users.length === 0) return <Text dimColor>no matching users</Text>;
  const first = Math.max(0, Math.min(index - rows + 1, users.length - rows));
  return (
    <Box flexDirection="column">
      {users.slice(first, first + rows).map((u, i) => {
        const isHighlighted = first + i === index && isActive;
        const mark = chosenIds ? (chosenIds.includes(u.id) ? '✓ ' : '  ') : '';
        // A bot has no email: its name says what it is instead.
        const about = u.is_bot ? ` ${BOT_MARK}` : '';
        const email = u.email === null ? '' : ` <${safeLine(u.email)}>`;
        const line = `${mark}${safeLine(u.name)}${about}${email}`;
        return (
          <Text
            key={u.id}
            inverse={isHighlighted}
            color={isHighlighted ? 'cyan' : undefined}
            wrap="truncate"
          >
            {truncate(line, width)}
          </Text>
        );
      })}
    </Box>
  );
}
