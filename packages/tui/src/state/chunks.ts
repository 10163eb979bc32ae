/**
 * One read from the terminal can hold several keys: "hello\r" from a fast typist, a slow link
 * or `tmux send-keys`. Ink hands such a chunk over whole; here it becomes text, then Enter (or
 * whichever control key followed). Pastes arrive between bracketed-paste markers and stay whole
 * (see `run.tsx`).
 */
import type { Key } from 'ink';

/** Ink strips the ESC of `ESC [200~` / `ESC [201~` and passes the rest as input. */
export const PASTE_START = '[200~';
export const PASTE_END = '[201~';
export const ENABLE_BRACKETED_PASTE = '\u001b[?2004h';
export const DISABLE_BRACKETED_PASTE = '\u001b[?2004l';

/** The key a lone control character stands for, as Ink would have reported it. */
function controlKey(char: string, key: Key): readonly [string, Key] {
  const plain: Key = { ...key, ctrl: false, meta: false, shift: false };
  switch (char) {
    case '\r':
      return ['\r', { ...plain, return: true }];
    case '\n':
      return ['\n', plain];
    case '\t':
      return ['', { ...plain, tab: true }];
    case '\b':
      return ['', { ...plain, backspace: true }];
    case '\u007f':
      return ['', { ...plain, delete: true }];
    default: {
      const letter = String.fromCharCode(char.charCodeAt(0) + 96);
      return [letter, { ...plain, ctrl: true }];
    }
  }
}

// eslint-disable-next-line no-control-regex
const CONTROL = /([\u0000-\u001f\u007f])/;

export function splitTyped(input: string, key: Key): (readonly [string, Key])[] {
  if (input.length <= 1 || !CONTROL.test(input)) return [[input, key]];
  return input
    .split(CONTROL)
    .filter((part) => part !== '')
    .map((part) => (CONTROL.test(part) ? controlKey(part, key) : ([part, key] as const)));
}
