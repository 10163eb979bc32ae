/**
 * What the CLI touches of the outside world, injectable so that tests run `run()` in-process
 * with their own streams, environment and Ctrl-C.
 */

/**
 * A stream the CLI writes to: process.stdout/stderr, or a test's buffer. Bytes (`download -o -`)
 * go to stdout only.
 */
export interface OutStream {
  write(chunk: string | Uint8Array): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Where prompts and `-` read from. */
export type InStream = NodeJS.ReadableStream & {
  isTTY?: boolean;
  setRawMode?: (mode: boolean) => unknown;
};

export interface Io {
  stdout: OutStream;
  stderr: OutStream;
  stdin: InStream;
  env: NodeJS.ProcessEnv;
  /** Aborts when the user presses Ctrl-C: requests stop, `watch` ends cleanly. */
  interrupt?: AbortSignal;
}

/** The real process: its streams, its environment, SIGINT as `interrupt`. */
export function processIo(interrupt: AbortSignal): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    interrupt,
  };
}
