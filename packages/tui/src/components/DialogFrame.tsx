// tsx (which runs the tests) reads no tsconfig for this file: it needs the JSX runtime named.
/** @jsxRuntime automatic */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';

export interface DialogFrameProps {
  title: string;
  width: number;
  height: number;
  children: ReactNode;
}

/** The rounded box every dialog and overlay is drawn in, with its title on the first line. */
export function DialogFrame({ title, width, height, children }: DialogFrameProps) {
  return (
    <Box
      width={width}
      height={height}
      borderStyle="round"
      borderColor="cyan"
      flexDirection="column"
      paddingX={1}
    >
      <Text bold>{title}</Text>
      {children}
    </Box>
  );
}
