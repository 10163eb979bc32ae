/** The `msgr-tui` executable: parse the command line, run the TUI, exit. */
import { parseCommandLine } from './options.js';
import { runTui } from './run.js';

const parsed = parseCommandLine(process.argv.slice(2), process.env);
if (parsed.kind === 'help') {
  process.stdout.write(`${parsed.text}\n`);
} else if (parsed.kind === 'error') {
  process.stderr.write(`msgr-tui: ${parsed.text}\n`);
  process.exitCode = 2;
} else if (!process.stdin.isTTY || !process.stdout.isTTY) {
  process.stderr.write('msgr-tui: needs a terminal (for scripts, use `msgr`)\n');
  process.exitCode = 2;
} else {
  // The terminal went away (window closed, ssh dropped): nothing left to draw on.
  process.stdout.on('error', () => process.exit(0));
  try {
    await runTui(parsed.options);
    // Sockets and timers may still be winding down; the user asked to leave.
    process.exit(0);
  } catch (err) {
    process.stderr.write(`msgr-tui: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
