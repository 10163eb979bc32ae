// tsx (which runs the tests) reads no tsconfig for this file: it needs the JSX runtime named.
/** @jsxRuntime automatic */
import { safeLine } from '@msgr/safe-text';
import { Box, Text } from 'ink';
import type { LoginFieldName, LoginForm } from '../state/types.js';
import { inputRows } from '../view/input-rows.js';
import { FieldText } from './FieldText.js';

export interface LoginScreenProps {
  form: LoginForm;
  width: number;
  height: number;
  configFile: string;
}

const LABELS: [LoginFieldName, string][] = [
  ['email', 'Email:    '],
  ['password', 'Password: '],
  ['hosts', 'Hosts:    '],
];

/** Email, hidden password and the servers to use; the session is saved for `msgr` too. */
export function LoginScreen({ form, width, height, configFile }: LoginScreenProps) {
  const boxWidth = Math.min(width, 72);
  const fieldWidth = boxWidth - 4 - 10;
  return (
    <Box
      width={width}
      height={height}
      flexDirection="column"
      alignItems="center"
      justifyContent="center"
    >
      <Box
        width={boxWidth}
        borderStyle="round"
        borderColor="cyan"
        flexDirection="column"
        paddingX={1}
      >
        <Text bold>msgr — log in</Text>
        <Text> </Text>
        {LABELS.map(([name, label]) => {
          const isActive = form.field === name;
          const [row] = inputRows(form[name], fieldWidth, 1, name === 'password' ? '•' : undefined);
          return (
            <Text key={name} wrap="truncate">
              <Text color={isActive ? 'cyan' : 'gray'} bold={isActive}>
                {label}
              </Text>
              <FieldText row={row!} hasCursor={isActive && !form.isBusy} />
            </Text>
          );
        })}
        <Text> </Text>
        {/* The error may quote a server: shown safe. */}
        {form.error ? <Text color="red">{safeLine(form.error)}</Text> : null}
        <Text dimColor>
          {form.isBusy ? 'logging in…' : 'Tab/↑/↓ field · Enter log in · Ctrl+C quit'}
        </Text>
        <Text dimColor wrap="truncate">
          Saved to {configFile} (shared with msgr)
        </Text>
      </Box>
    </Box>
  );
}
