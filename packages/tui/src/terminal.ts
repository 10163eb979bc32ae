/**
 * Escape sequences the TUI writes besides Ink's frames: the alternate screen, the bell and
 * desktop notifications (OSC 9 / OSC 777), and which of those the terminal understands (and
 * whether it draws kitty images; their sequences are in `preview/kitty.ts`).
 */
import { safeLine } from '@msgr/safe-text';
import { truncate } from './view/text.js';

export const ENTER_ALT_SCREEN = '\u001b[?1049h\u001b[H';
export const LEAVE_ALT_SCREEN = '\u001b[?1049l';
export const CLEAR_SCREEN = '\u001b[2J\u001b[H';
export const BELL = '\u0007';

const OFF = ['0', 'off', 'false', 'no', 'none'];

/** `osc9`: iTerm2, WezTerm, Ghostty, Windows Terminal; `osc777`: VTE (GNOME Terminal…), foot, urxvt, WezTerm. */
export type DesktopNotify = 'osc9' | 'osc777' | 'off';

/** What the environment says about desktop notifications; `MSGR_TUI_NOTIFY` decides first. */
export function detectDesktopNotify(env: NodeJS.ProcessEnv): DesktopNotify {
  const setting = env.MSGR_TUI_NOTIFY?.trim().toLowerCase();
  if (setting === 'osc9' || setting === 'osc777') return setting;
  if (setting && OFF.includes(setting)) return 'off';
  // Inside tmux or screen the outer terminal is unknown (and tmux eats OSC 9 by default).
  if (env.TMUX || env.STY) return 'off';
  const program = env.TERM_PROGRAM ?? '';
  if (['iTerm.app', 'ghostty', 'WezTerm'].includes(program) || env.WT_SESSION) return 'osc9';
  const term = env.TERM ?? '';
  if (env.VTE_VERSION || term.startsWith('foot') || term.startsWith('rxvt-unicode'))
    return 'osc777';
  return 'off';
}

/** How image previews are drawn: kitty graphics (Unicode placeholders), half blocks, or not. */
export type ImageMode = 'kitty' | 'blocks' | 'off';

/**
 * What the environment says about image previews; `MSGR_TUI_IMAGES` decides first. kitty's
 * graphics only where the terminal draws Unicode placeholders, the only way its images can live
 * in Ink's text frames: kitty (0.28 and later; `TERM=xterm-kitty`, also over ssh, or
 * `KITTY_WINDOW_ID`) and Ghostty (1.0 and later; `TERM_PROGRAM=ghostty`, `TERM=xterm-ghostty`).
 * Not WezTerm (kitty's graphics but no placeholders: kitty's author in fzf issue 3486; the
 * wezterm pull request adding them, 7924, is still open), Konsole or Warp (no placeholders
 * either: image.nvim issue 74, warp issue 6210); iTerm2's own image protocol has no
 * placeholders at all, so it stays on half blocks. Half blocks everywhere else, and inside tmux,
 * screen or zellij (the outer terminal is unknown, tmux swallows the images unless passthrough
 * is on, zellij refuses `U=1`), and when FORCE_COLOR=0 (Ink then writes no colour, and the
 * colour is what names the image).
 */
export function detectImages(env: NodeJS.ProcessEnv): ImageMode {
  const setting = env.MSGR_TUI_IMAGES?.trim().toLowerCase();
  if (setting === 'kitty' || setting === 'blocks') return setting;
  if (setting && OFF.includes(setting)) return 'off';
  if (env.TMUX || env.STY || env.ZELLIJ !== undefined) return 'blocks';
  if (env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false') return 'blocks';
  const term = env.TERM ?? '';
  if (term === 'xterm-kitty' || env.KITTY_WINDOW_ID) return 'kitty';
  if (env.TERM_PROGRAM === 'ghostty' || term === 'xterm-ghostty') return 'kitty';
  return 'blocks';
}

/** Whether the bell rings: on unless `--no-bell` or `MSGR_TUI_BELL=0`. */
export function isBellOn(env: NodeJS.ProcessEnv): boolean {
  const setting = env.MSGR_TUI_BELL?.trim().toLowerCase();
  return !(setting && ['0', 'off', 'false', 'no'].includes(setting));
}

/**
 * The notification's bytes. Title and body are made safe (one line, no controls), so a message
 * can neither end the sequence early (BEL, ESC \\) nor start another; `;` separates OSC 777's
 * fields (and OSC 9;4 is a progress bar to some terminals), so the title has none.
 */
export function desktopNotification(kind: DesktopNotify, title: string, body: string): string {
  const t = truncate(safeLine(title).replace(/;/g, ','), 60);
  const b = truncate(safeLine(body), 200);
  if (kind === 'osc9') return `\u001b]9;${t}: ${b}\u0007`;
  if (kind === 'osc777') return `\u001b]777;notify;${t};${b}\u0007`;
  return '';
}
