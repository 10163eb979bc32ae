/**
 * The commander program: global options, output wiring (stdout/stderr of the Io, colours) and
 * every command. Built anew for each run, so tests can run many in one process.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { safeText } from '@msgr/safe-text';
import type { RunState } from './client.js';
import { registerAuthCommands } from './commands/auth.js';
import { registerBotCommands } from './commands/bots.js';
import { registerDirectoryCommands } from './commands/directory.js';
import { registerFileCommands } from './commands/files.js';
import { registerGroupCommands } from './commands/group.js';
import { registerHistoryCommands } from './commands/history.js';
import { registerHookCommands } from './commands/hooks.js';
import { registerMentionCommands } from './commands/mentions.js';
import { registerMessageCommands } from './commands/message.js';
import { registerNotificationCommands } from './commands/notifications.js';
import { registerSearchCommand } from './commands/search.js';
import { registerSendCommand } from './commands/send.js';
import { registerSyncCommand } from './commands/sync.js';
import { registerThreadCommands } from './commands/threads.js';
import { registerTokenCommands } from './commands/tokens.js';
import { registerWatchCommand } from './commands/watch.js';
import { registerWebhookCommands } from './commands/webhooks.js';
import { PROGRAM_HELP } from './help.js';
import { painter, useColor } from './output.js';
import { collect } from './parse.js';

/** The package's version (package.json sits one folder up from both src/ and dist/). */
function version(): string {
  const file = new URL('../package.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

export function buildProgram(state: RunState, { isColorDisabled = false } = {}): Command {
  const { io } = state;
  const isOutColored = useColor(io.env, io.stdout, { isDisabled: isColorDisabled });
  const isErrColored = useColor(io.env, io.stderr, { isDisabled: isColorDisabled });
  const program = new Command('msgr')
    .description('The msgr messenger from your shell: log in, send, read and watch messages.')
    .usage('[global options] <command> [options]')
    .version(version(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help (every command has its own, with examples)')
    .option(
      '--host <url>',
      'a server to use, repeatable (else $MSGR_HOSTS, else the hosts saved at login)',
      collect,
    )
    .option(
      '--race',
      'when a host is slow to answer (or down), ask the next one too without waiting for a ' +
        'timeout; the first answer wins (a send still lands once)',
    )
    .option(
      '--token <token>',
      'an API token (msgr_pat_…) to use instead of the saved login (else $MSGR_TOKEN); never ' +
        'saved. Prefer $MSGR_TOKEN: a command line shows in `ps`',
    )
    .option('--json', 'output for scripts: one JSON document (streams: one JSON value a line)')
    .option('--no-color', 'no colours (NO_COLOR=1 does the same; FORCE_COLOR=1 forces them)')
    // Every command inherits what follows, so it is set before the commands are added.
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) =>
        // Commander's messages quote what was typed: shown, never executed.
        write(`${painter(isErrColored)('red', 'msgr:')} ${safeText(text.replace(/^error: /, ''))}`),
      getOutHelpWidth: () => (io.stdout.isTTY ? (io.stdout.columns ?? 80) : 100),
      getErrHelpWidth: () => (io.stderr.isTTY ? (io.stderr.columns ?? 80) : 100),
      getOutHasColors: () => isOutColored,
      getErrHasColors: () => isErrColored,
    })
    // Commander strips these styles when the stream gets no colour.
    .configureHelp({ styleTitle: (title) => painter(true)('bold', title) })
    .showHelpAfterError('(add --help for usage and examples)')
    .addHelpText('after', PROGRAM_HELP);

  registerAuthCommands(program, state);
  registerDirectoryCommands(program, state);
  registerSendCommand(program, state);
  registerGroupCommands(program, state);
  registerMessageCommands(program, state);
  registerNotificationCommands(program, state);
  registerFileCommands(program, state);
  registerHistoryCommands(program, state);
  registerThreadCommands(program, state);
  registerMentionCommands(program, state);
  registerSearchCommand(program, state);
  registerWatchCommand(program, state);
  registerSyncCommand(program, state);
  registerTokenCommands(program, state);
  registerBotCommands(program, state);
  registerHookCommands(program, state);
  registerWebhookCommands(program, state);
  return program;
}
