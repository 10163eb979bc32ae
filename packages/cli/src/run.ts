/**
 * `run(argv, io)`: the whole CLI as a function of its arguments and streams, resolving with the
 * exit code. Failures of any kind end here and are printed once, as one line.
 */
import { CommanderError } from 'commander';
import { safeText } from '@msgr/safe-text';
import type { RunState } from './client.js';
import { CliError, ExitCode, toCliError } from './errors.js';
import type { Io } from './io.js';
import { useColor, writeError } from './output.js';
import { buildProgram } from './program.js';

/**
 * Runs `msgr` with `argv` (the arguments after the program name).
 *
 * @example const code = await run(['--json', 'whoami'], processIo(signal));
 */
export async function run(argv: string[], io: Io): Promise<number> {
  const state: RunState = { io };
  const isColorDisabled = argv.includes('--no-color');
  const stopOnInterrupt = new AbortController();
  try {
    const parsing = buildProgram(state, { isColorDisabled }).parseAsync(argv, { from: 'user' });
    // When Ctrl-C wins the race, the command's own failure comes later and means nothing.
    parsing.catch(() => undefined);
    await Promise.race([parsing, interrupted(io.interrupt, state, stopOnInterrupt.signal)]);
    return ExitCode.Ok;
  } catch (err) {
    const error = toCliError(err, { hosts: state.hosts, tokenSource: state.tokenSource });
    // Commander has printed its own message (or the help) already.
    if (!(err instanceof CommanderError)) {
      const isColored = useColor(io.env, io.stderr, { isDisabled: isColorDisabled });
      writeError(io.stderr, error.message, isColored);
      if (error.exitCode === ExitCode.Unexpected && io.env.MSGR_DEBUG && err instanceof Error) {
        io.stderr.write(`${safeText(err.stack ?? err.message)}\n`);
      }
    }
    return error.exitCode;
  } finally {
    stopOnInterrupt.abort();
  }
}

/** Rejects on Ctrl-C unless the running command handles it itself; never settles otherwise. */
function interrupted(
  interrupt: AbortSignal | undefined,
  state: RunState,
  done: AbortSignal,
): Promise<never> {
  return new Promise((_resolve, reject) => {
    const onAbort = () => {
      if (!state.isInterruptHandled) {
        reject(new CliError(ExitCode.Interrupted, 'interrupted', 'interrupted'));
      }
    };
    interrupt?.addEventListener('abort', onAbort, { once: true, signal: done });
  });
}
