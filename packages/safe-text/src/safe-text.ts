/**
 * Text from a server or another person, made safe to print on a terminal. A terminal executes
 * what it is sent: `ESC ] 0 ; title BEL` retitles the window, `ESC [ 2 J` clears the screen,
 * OSC 8 plants hyperlinks, U+009B is an 8-bit CSI to some terminals, and bidi overrides make
 * text read in another order than it is stored ("Trojan Source", CVE-2021-42574). So every
 * character that could do something other than show itself is replaced by one that shows.
 *
 * What becomes what (one UTF-16 code unit for one, so offsets into the text stay valid; the only
 * exceptions are CRLF → LF and tabs turned into several spaces):
 *
 * | input                                             | output                                  |
 * | ------------------------------------------------- | --------------------------------------- |
 * | C0 controls U+0000–U+001F (but tab, LF, CR)       | Control Pictures U+2400–U+241F: `␀`…`␛`…`␟` |
 * | DEL U+007F                                        | `␡` (U+2421)                            |
 * | C1 controls U+0080–U+009F (NEL, CSI, OSC…)        | `�` (U+FFFD)                            |
 * | bidi embeddings, overrides, isolates, ALM         | `�` (U+FFFD)                            |
 * | a lone surrogate (cannot be printed as UTF-8)     | `�` (U+FFFD)                            |
 * | CR, CRLF                                          | LF (or a space on one line)             |
 * | LF                                                | kept (or a space on one line)           |
 * | tab                                               | kept (or spaces, see `tabWidth`)        |
 *
 * C0 controls get pictures because a reader then sees *which* one was there (`␛[2J` reads as an
 * escape sequence); C1 controls have no pictures, so they share U+FFFD with the other "was
 * something that cannot be shown". Bidi controls are shown rather than removed: removing them
 * also neutralises the reordering, but leaves no trace that the sender tried; a visible mark
 * costs legitimate right-to-left writers little, since keyboards do not type these characters
 * (the implicit marks LRM U+200E and RLM U+200F, which cannot override anything, are kept).
 * Everything else, including zero-width characters and combining marks, is printable text and
 * passes unchanged.
 */

/** Options of {@link safeText}. */
export interface SafeTextOptions {
  /**
   * Keep line breaks: `true` (default) keeps LF and turns CR and CRLF into LF, as message bodies
   * want; `false` turns every line break into one space, for one-line fields (names, titles).
   */
  keepNewlines?: boolean;
  /**
   * How tabs come out. Default: kept as a tab in multi-line text, one space when
   * `keepNewlines` is `false`. A number replaces each tab with that many spaces (0 drops it):
   * layouts that measure text (the TUI) need a fixed width.
   */
  tabWidth?: number;
}

/**
 * Everything that may need replacing: line breaks and tabs (whether they stay depends on the
 * options), C0, DEL, C1, ALM, the bidi embeddings/overrides (U+202A–U+202E) and isolates
 * (U+2066–U+2069), and lone surrogates. No `u` flag: it must see UTF-16 code units.
 */
const CANDIDATES =
  // eslint-disable-next-line no-control-regex -- matching controls is the point
  /\r\n?|[\u0000-\u001f\u007f-\u009f\u061c\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** The same, not global: `test()` then keeps no `lastIndex` state between calls. */
const HAS_CANDIDATE = new RegExp(CANDIDATES.source);

const CONTROL_PICTURES = 0x2400;
const DELETE_PICTURE = '\u2421';
const REPLACEMENT = '\ufffd';

/**
 * `text` with every character that a terminal could execute replaced by a visible one (see the
 * table above); line breaks and tabs kept unless the options say otherwise. Pure, and
 * idempotent: `safeText(safeText(s)) === safeText(s)`. Returns `text` itself when nothing needs
 * replacing.
 *
 * @example
 * safeText('hi\u001b]0;pwned\u0007'); // 'hi␛]0;pwned␇'
 * safeText('a\r\nb\u202e'); // 'a\nb�'
 * safeText('Ann\nSmith', { keepNewlines: false }); // 'Ann Smith'
 */
export function safeText(text: string, options: SafeTextOptions = {}): string {
  if (!HAS_CANDIDATE.test(text)) return text;
  const { keepNewlines = true } = options;
  const lineBreak = keepNewlines ? '\n' : ' ';
  const tab =
    options.tabWidth === undefined
      ? keepNewlines
        ? '\t'
        : ' '
      : ' '.repeat(Math.max(0, Math.floor(options.tabWidth)));
  return text.replace(CANDIDATES, (match) => {
    const code = match.charCodeAt(0);
    if (code === 0x0a || code === 0x0d) return lineBreak; // LF, CR, CRLF
    if (code === 0x09) return tab;
    if (code < 0x20) return String.fromCharCode(CONTROL_PICTURES + code);
    if (code === 0x7f) return DELETE_PICTURE;
    return REPLACEMENT;
  });
}

/**
 * {@link safeText} for one-line fields (names, emails, titles, status texts): line breaks and
 * tabs become spaces, so a name cannot start a line that looks like another message.
 *
 * @example safeLine('Eve\n[12:00] Admin: reset your password'); // 'Eve [12:00] Admin: reset your password'
 */
export function safeLine(text: string): string {
  return safeText(text, { keepNewlines: false });
}
