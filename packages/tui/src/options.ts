/** `msgr-tui`'s command line and environment, parsed once into plain options. */
import { parseArgs } from 'node:util';
import { defaultOpener } from './files/opener.js';
import { detectDesktopNotify, isBellOn, type DesktopNotify } from './terminal.js';

export interface TuiOptions {
  /** `--host` flags, in order (empty: MSGR_HOSTS, then the saved config, decide). */
  hostFlags: string[];
  isBellOn: boolean;
  desktopNotify: DesktopNotify;
  /** `$VISUAL`, else `$EDITOR`, else `vi`. */
  editor: string;
  /** Image previews in the message pane (default on; `--no-preview`, `MSGR_TUI_PREVIEW=off`). */
  isPreviewOn?: boolean;
  /** `$MSGR_DOWNLOAD_DIR` (default: `~/Downloads` when it exists, else the current folder). */
  downloadDir?: string;
  /** The program that opens a saved file: `$MSGR_OPENER`, else `xdg-open` (`open` on macOS). */
  opener?: string;
}

export type ParsedArgs =
  | { kind: 'run'; options: TuiOptions }
  | { kind: 'help'; text: string }
  | { kind: 'error'; text: string };

export const USAGE = `Usage: msgr-tui [--host <url>]... [--no-bell] [--no-notify] [--no-preview]

The msgr messenger in your terminal. It shares its saved login with \`msgr\` (the CLI):
log in with either one, and the other is logged in too.

Options:
  --host <url>   a server to talk to; repeat for several (default: $MSGR_HOSTS,
                 then the hosts saved at login, then http://127.0.0.1:8000)
  --no-bell      no terminal bell for messages in chats not on screen
                 (or MSGR_TUI_BELL=0)
  --no-notify    no desktop notification (OSC 9 / OSC 777) for them
                 (or MSGR_TUI_NOTIFY=off; MSGR_TUI_NOTIFY=osc9|osc777 forces one)
  --no-preview   no image previews in the messages (or MSGR_TUI_PREVIEW=off)
  -h, --help     this help

Environment: MSGR_HOSTS, MSGR_CONFIG (the config file), VISUAL / EDITOR (Ctrl+X),
MSGR_DOWNLOAD_DIR (where files are saved; default ~/Downloads, else the current folder),
MSGR_OPENER (what opens a file; default xdg-open).
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
        'no-preview': { type: 'boolean' },
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
      isPreviewOn: !values['no-preview'] && isSettingOn(env.MSGR_TUI_PREVIEW),
      downloadDir: env.MSGR_DOWNLOAD_DIR || undefined,
      opener: env.MSGR_OPENER || defaultOpener(),
    },
  };
}

/** Unset, or anything but `0`, `off`, `false`, `no`: on. */
function isSettingOn(value: string | undefined): boolean {
  const setting = value?.trim().toLowerCase();
  return !(setting && ['0', 'off', 'false', 'no'].includes(setting));
}
