/**
 * The `msgr` executable (bin/msgr.js imports this): real streams, Ctrl-C, the exit code.
 */
import { ExitCode } from './errors.js';
import { processIo } from './io.js';
import { run } from './run.js';

const interrupt = new AbortController();
process.on('SIGINT', () => {
  // The first Ctrl-C asks the command to stop (watch closes, requests abort); a second one insists.
  if (interrupt.signal.aborted) process.exit(ExitCode.Interrupted);
  interrupt.abort();
});
// `msgr history 3 --all | head` closes our stdout early: that is how the reader says "enough".
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(ExitCode.Ok);
  throw err;
});

const code = await run(process.argv.slice(2), processIo(interrupt.signal));
// Exit once stdout is flushed, without waiting for idle keep-alive sockets to time out.
process.stdout.write('', () => process.exit(code));
