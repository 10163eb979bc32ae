/** `msgr-tui`'s command line and environment, parsed once into plain options. */
import { parseArgs } from 'node:util';
import { detectDesktopNotify, isBellOn, type DesktopNotify } from './terminal.js';

export interface TuiOptions {
  /** `--host` flags, in order (empty: MSGR_HOSTS, then the saved config, decide). */
  hostFlags: string[];
  isBellOn: boolean;
  desktopNotify: DesktopNotify;
  /** `$VISUAL`, else `$EDITOR`, else `vi`. */
  editor: string;
}

export type ParsedArgs =
  | { kind: 'run'; options: TuiOptions }
  | { kind: 'help'; text: string }
  | { kind: 'error'; text: string };

export const USAGE = `Usage: msgr-tui [--host <url>]... [--no-bell] [--no-notify]

The msgr messenger in your terminal. It shares its saved login with \`msgr\` (the CLI):
log in with either one, and the other is logged in too.

Options:
  --host <url>   a server to talk to; repeat for several (default: $MSGR_HOSTS,
                 then the hosts saved at login, then http://127.0.0.1:8000)
  --no-bell      no terminal bell for messages in chats not on screen
                 (or MSGR_TUI_BELL=0)
  --no-notify    no desktop notification (OSC 9 / OSC 777) for them
                 (or MSGR_TUI_NOTIFY=off; MSGR_TUI_NOTIFY=osc9|osc777 forces one)
  -h, --help     this help

Environment: MSGR_HOSTS, MSGR_CONFIG (the config file), VISUAL / EDITOR (Ctrl+X).
Keys: press ? in the chat list.`;

export function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv): ParsedArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        host: { type: 'string', multiple: true },
        'no-bell': { type: 'boolean' },
        'no-notify': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return { kind: 'error', text: `${(err as Error).message}\n\n${USAGE}` };
  }
  if (values.help) return { kind: 'help', text: USAGE };
  return {
    kind: 'run',
    options: {
      hostFlags: values.host ?? [],
      isBellOn: !values['no-bell'] && isBellOn(env),
      desktopNotify: values['no-notify'] ? 'off' : detectDesktopNotify(env),
      editor: env.VISUAL || env.EDITOR || 'vi',
    },
  };
}
