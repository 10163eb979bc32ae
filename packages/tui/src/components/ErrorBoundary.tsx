// tsx (which runs the tests) reads no tsconfig for this file: it needs the JSX runtime named.
/** @jsxRuntime automatic */
import { safeText } from '@msgr/safe-text';
import { Box, Text } from 'ink';
import { Component, type ReactNode } from 'react';

export interface ErrorBoundaryProps {
  children: ReactNode;
}

interface ErrorBoundaryState {
  error?: Error;
}

/**
 * The one place an unexpected render error lands: shown instead of a stack of half-drawn
 * frames. A class, because React has no hook for error boundaries.
 */
export class ErrorBoundary extends Component<ErrorBoundaryProps, ErrorBoundaryState> {
  override state: ErrorBoundaryState = {};

  static getDerivedStateFromError(error: Error): ErrorBoundaryState {
    return { error };
  }

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <Box flexDirection="column" borderStyle="round" borderColor="red" paddingX={1}>
        <Text color="red" bold>
          msgr-tui hit a bug and stopped drawing.
        </Text>
        <Text>{safeText(error.message)}</Text>
        <Text dimColor>Ctrl+C quits. Please report this with the message above.</Text>
      </Box>
    );
  }
}
