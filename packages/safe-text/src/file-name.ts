/**
 * Names from a server (or another person) made safe to create on this machine, and sizes made
 * readable: what the CLI and the TUI both show and save of a file.
 */

/**
 * What a saved name never holds: C0 and C1 controls, DEL, bidi embeddings, overrides, isolates
 * and marks (`gpj.exe` reading as `exe.jpg`), and the invisible characters that let two names
 * look alike. ZWJ and ZWNJ stay (emoji, several scripts).
 */
const UNWANTED =
  // eslint-disable-next-line no-control-regex -- removing controls is the point
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/gu;
/** Characters some file systems refuse (Windows, a shared folder): replaced. */
const FORBIDDEN = /[:*?"<>|]/g;
/** Windows' reserved device names: harmless here, a trap when the folder is shared. */
const RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i;
/** An extension is kept when a name is shortened, up to this many bytes. */
const MAX_EXTENSION_BYTES = 32;

/** UTF-8 bytes of `text` (no TextEncoder or Buffer: this package runs anywhere). */
function bytesOf(text: string): number {
  let n = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

export interface SafeFileNameOptions {
  /** What to answer when nothing is left of the name. Default `file`. */
  fallback?: string;
  /** Bytes (UTF-8) of the name at most, its extension kept. Default 250 (room for `.part`). */
  maxBytes?: number;
}

/**
 * One file name from an untrusted one: its last `/` or `\` part, well-formed, NFC, without the
 * characters above (and `:*?"<>|` made `_`), without dots or spaces at either end (no hidden
 * file, no `..`), not a Windows device name, at most `maxBytes` UTF-8 bytes with its extension
 * kept; `fallback` when nothing is left.
 *
 * @example safeFileName('../../.bashrc\u001b[2J') // 'bashrc[2J'
 * @example safeFileName('invoice\u202Efdp.exe') // 'invoicefdp.exe'
 */
export function safeFileName(
  untrusted: string,
  { fallback = 'file', maxBytes = 250 }: SafeFileNameOptions = {},
): string {
  const text = untrusted.toWellFormed().replace(UNWANTED, '').normalize('NFC');
  let name = (text.split(/[/\\]/).at(-1) ?? '')
    .replace(FORBIDDEN, '_')
    .replace(/^[\s.]+|[\s.]+$/gu, '');
  if (RESERVED.test(name)) name = `_${name}`;
  return capBytes(name, maxBytes) || fallback;
}

function capBytes(name: string, maxBytes: number): string {
  if (bytesOf(name) <= maxBytes) return name;
  const dot = name.lastIndexOf('.');
  const extension =
    dot > 0 && bytesOf(name.slice(dot)) <= MAX_EXTENSION_BYTES ? name.slice(dot) : '';
  let stem = '';
  let room = maxBytes - bytesOf(extension);
  for (const ch of extension ? name.slice(0, dot) : name) {
    room -= bytesOf(ch);
    if (room < 0) break;
    stem += ch;
  }
  stem = stem.replace(/[\s.]+$/u, '');
  return stem === '' ? '' : stem + extension;
}

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB'];

/** Bytes for people, in powers of 1024: `512 B`, `1.0 KiB`, `1.2 MiB`, `3.4 GiB`. */
export function humanSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${bytes} B`;
  let value = bytes / 1024;
  let unit = 0;
  // 1023.96 KiB would print as "1024.0 KiB": move up once it rounds to 1024.
  while (value >= 1023.95 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`;
}
