/** `msgr-tui`'s command line and environment, parsed once into plain options. */
import { parseArgs } from 'node:util';
import { defaultOpener } from './files/opener.js';
import {
  detectDesktopNotify,
  detectImages,
  isBellOn,
  type DesktopNotify,
  type ImageMode,
} from './terminal.js';

export interface TuiOptions {
  /** `--host` flags, in order (empty: MSGR_HOSTS, then the saved config, decide). */
  hostFlags: string[];
  isBellOn: boolean;
  desktopNotify: DesktopNotify;
  /** `$VISUAL`, else `$EDITOR`, else `vi`. */
  editor: string;
  /**
   * Image previews in the message pane (default on; `--no-preview`, `MSGR_TUI_PREVIEW=off`,
   * `--images off`, `MSGR_TUI_IMAGES=off`).
   */
  isPreviewOn?: boolean;
  /**
   * How previews are drawn: `kitty` graphics with Unicode placeholders, or half blocks
   * (default). `--images`, else `MSGR_TUI_IMAGES`, else what the terminal is.
   */
  imageProtocol?: Exclude<ImageMode, 'off'>;
  /** `$MSGR_DOWNLOAD_DIR` (default: `~/Downloads` when it exists, else the current folder). */
  downloadDir?: string;
  /** The program that opens a saved file: `$MSGR_OPENER`, else `xdg-open` (`open` on macOS). */
  opener?: string;
  /**
   * `$MSGR_TUI_RING_LOG`: a file each notification appends a JSON line to (which chat and
   * messages rang), for tests and debugging. Default: none.
   */
  ringLog?: string;
}

export type ParsedArgs =
  | { kind: 'run'; options: TuiOptions }
  | { kind: 'help'; text: string }
  | { kind: 'error'; text: string };

export const USAGE = `Usage: msgr-tui [--host <url>]... [--no-bell] [--no-notify] [--no-preview]
                [--images kitty|blocks|off]

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
  --images <kitty|blocks|off>
                 how previews are drawn: kitty graphics (kitty, Ghostty), half blocks
                 (any terminal) or none (or MSGR_TUI_IMAGES; default: kitty where the
                 terminal is kitty or Ghostty, outside tmux/screen; else blocks)
  -h, --help     this help

Environment: MSGR_HOSTS, MSGR_CONFIG (the config file), VISUAL / EDITOR (Ctrl+X),
MSGR_DOWNLOAD_DIR (where files are saved; default ~/Downloads, else the current folder),
MSGR_OPENER (what opens a file; default xdg-open), MSGR_TUI_RING_LOG (a file that gets a
line of JSON per notification: for tests and debugging).
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
        images: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return { kind: 'error', text: `${(err as Error).message}\n\n${USAGE}` };
  }
  if (values.help) return { kind: 'help', text: USAGE };
  const images = values.images ?? detectImages(env);
  if (!isImageMode(images)) {
    return {
      kind: 'error',
      text: `--images takes kitty, blocks or off, not '${images}'\n\n${USAGE}`,
    };
  }
  return {
    kind: 'run',
    options: {
      hostFlags: values.host ?? [],
      isBellOn: !values['no-bell'] && isBellOn(env),
      desktopNotify: values['no-notify'] ? 'off' : detectDesktopNotify(env),
      editor: env.VISUAL || env.EDITOR || 'vi',
      isPreviewOn: !values['no-preview'] && isSettingOn(env.MSGR_TUI_PREVIEW) && images !== 'off',
      imageProtocol: images === 'kitty' ? 'kitty' : 'blocks',
      downloadDir: env.MSGR_DOWNLOAD_DIR || undefined,
      opener: env.MSGR_OPENER || defaultOpener(),
      ringLog: env.MSGR_TUI_RING_LOG || undefined,
    },
  };
}

const isImageMode = (value: string): value is ImageMode =>
  value === 'kitty' || value === 'blocks' || value === 'off';

/** Unset, or anything but `0`, `off`, `false`, `no`: on. */
function isSettingOn(value: string | undefined): boolean {
  const setting = value?.trim().toLowerCase();
  return !(setting && ['0', 'off', 'false', 'no'].includes(setting));
}
