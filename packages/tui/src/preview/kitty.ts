/**
 * Image previews through the kitty graphics protocol, shown with Unicode placeholders
 * (https://sw.kovidgoyal.net/kitty/graphics-protocol/#unicode-placeholders): each image is sent
 * to the terminal once, with a *virtual placement* of so many columns by rows; the terminal then
 * draws the matching part of it in every cell holding the placeholder U+10EEEE whose foreground
 * colour names the image and whose combining marks name the row and the column. To Ink those
 * cells are ordinary text (one column each), so it lays them out, scrolls them and repaints
 * them like any other row; nothing is placed at a screen position behind its back.
 *
 * Pure but for {@link KittyImages}, which remembers the ids handed out in this process.
 *
 * Only our own pixels reach the escape sequence: the payload is base64 of the RGBA that sharp
 * decoded (never the server's bytes), and every key is a number checked here; nothing a server
 * or another person wrote is in it.
 */

/** The placeholder character: a cell of an image. */
export const PLACEHOLDER = '\u{10EEEE}';

/**
 * The diacritics that number rows, columns and an image id's most significant byte: the first
 * 40 lines of kitty's `gen/rowcolumn-diacritics.txt` (the table the spec links as
 * `rowcolumn-diacritics.txt`: combining characters of class 230 from Unicode 6.0.0), in order;
 * entry `n` stands for the number `n`. A preview needs 32 for its columns and 8 for its rows.
 */
export const DIACRITICS: readonly string[] = [
  '\u0305', // 0  COMBINING OVERLINE
  '\u030D', // 1  COMBINING VERTICAL LINE ABOVE
  '\u030E', // 2  COMBINING DOUBLE VERTICAL LINE ABOVE
  '\u0310', // 3  COMBINING CANDRABINDU
  '\u0312', // 4  COMBINING TURNED COMMA ABOVE
  '\u033D', // 5  COMBINING X ABOVE
  '\u033E', // 6  COMBINING VERTICAL TILDE
  '\u033F', // 7  COMBINING DOUBLE OVERLINE
  '\u0346', // 8  COMBINING BRIDGE ABOVE
  '\u034A', // 9  COMBINING NOT TILDE ABOVE
  '\u034B', // 10 COMBINING HOMOTHETIC ABOVE
  '\u034C', // 11 COMBINING ALMOST EQUAL TO ABOVE
  '\u0350', // 12 COMBINING RIGHT ARROWHEAD ABOVE
  '\u0351', // 13 COMBINING LEFT HALF RING ABOVE
  '\u0352', // 14 COMBINING FERMATA
  '\u0357', // 15 COMBINING RIGHT HALF RING ABOVE
  '\u035B', // 16 COMBINING ZIGZAG ABOVE
  '\u0363', // 17 COMBINING LATIN SMALL LETTER A
  '\u0364', // 18 COMBINING LATIN SMALL LETTER E
  '\u0365', // 19 COMBINING LATIN SMALL LETTER I
  '\u0366', // 20 COMBINING LATIN SMALL LETTER O
  '\u0367', // 21 COMBINING LATIN SMALL LETTER U
  '\u0368', // 22 COMBINING LATIN SMALL LETTER C
  '\u0369', // 23 COMBINING LATIN SMALL LETTER D
  '\u036A', // 24 COMBINING LATIN SMALL LETTER H
  '\u036B', // 25 COMBINING LATIN SMALL LETTER M
  '\u036C', // 26 COMBINING LATIN SMALL LETTER R
  '\u036D', // 27 COMBINING LATIN SMALL LETTER T
  '\u036E', // 28 COMBINING LATIN SMALL LETTER V
  '\u036F', // 29 COMBINING LATIN SMALL LETTER X
  '\u0483', // 30 COMBINING CYRILLIC TITLO
  '\u0484', // 31 COMBINING CYRILLIC PALATALIZATION
  '\u0485', // 32 COMBINING CYRILLIC DASIA PNEUMATA
  '\u0486', // 33 COMBINING CYRILLIC PSILI PNEUMATA
  '\u0487', // 34 COMBINING CYRILLIC POKRYTIE
  '\u0592', // 35 HEBREW ACCENT SEGOL
  '\u0593', // 36 HEBREW ACCENT SHALSHELET
  '\u0594', // 37 HEBREW ACCENT ZAQEF QATAN
  '\u0595', // 38 HEBREW ACCENT ZAQEF GADOL
  '\u0597', // 39 HEBREW ACCENT REVIA
];

/** Pixels per cell we scale a picture to before sending it (the terminal scales it again). */
export const CELL_WIDTH_PX = 8;
export const CELL_HEIGHT_PX = 16;

/** Base64 bytes an escape sequence carries at most (the spec's limit for a chunk). */
export const CHUNK = 4096;

/** Images one TUI can send: 255 low bytes × one high byte per diacritic. */
export const MAX_IMAGES = 255 * DIACRITICS.length;

const HIGH = 2 ** 24;

/** Decoded pixels: `width`×`height`, 4 bytes (RGBA) a pixel, rows top to bottom. */
export interface RgbaPixels {
  data: Uint8Array;
  width: number;
  height: number;
}

/** The cells an image is shown in: its virtual placement. */
export interface Placement {
  columns: number;
  rows: number;
}

/**
 * The id of the `n`-th image (from 0) this process sends.
 *
 * The id travels in the placeholders' foreground colour, and the colour goes through Ink, which
 * hands it to chalk: a `#rrggbb` colour (24 bits of id) comes out as `38;2;r;g;b` only at chalk's
 * level 3 and is rounded to the nearest of 256 or 16 colours below that (a kitty running over
 * ssh without COLORTERM, FORCE_COLOR=2…), which would name another image. An `ansi256(n)` colour
 * comes out as `38;5;n` exactly at every level from 1 up, so the low byte of the id is its
 * 256-colour index (1–255: index 0 reads as "no id" to kitty and Ghostty) and, past 255 images,
 * the most significant byte is the third diacritic of each cell, as the spec allows
 * (`id = low + (high << 24)`). At level 0 (FORCE_COLOR=0) Ink writes no colour at all, and the
 * detection keeps to half blocks.
 *
 * @example imageId(0); // 1
 * @example imageId(255); // 16777217 (low byte 1, high byte 1)
 */
export function imageId(n: number): number | undefined {
  if (!Number.isSafeInteger(n) || n < 0 || n >= MAX_IMAGES) return undefined;
  return (n % 255) + 1 + Math.floor(n / 255) * HIGH;
}

/** The 256-colour index that carries `id`'s low byte. */
const lowByte = (id: number): number => id % HIGH;
/** `id`'s most significant byte (0 for the first 255 images). */
const highByte = (id: number): number => Math.floor(id / HIGH);

function assertImageId(id: number): void {
  const low = lowByte(id);
  if (!Number.isSafeInteger(id) || low < 1 || low > 255 || highByte(id) >= DIACRITICS.length)
    throw new Error(`not an image id of ours: ${id}`);
}

function assertCount(name: string, value: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(value) || value < 1 || value > max)
    throw new Error(`${name} must be a whole number from 1 to ${max}, not ${value}`);
}

/** The foreground colour of `id`'s placeholder cells, as Ink takes it. */
export function placeholderColor(id: number): string {
  assertImageId(id);
  return `ansi256(${lowByte(id)})`;
}

/**
 * Row `row` (from 0) of image `id`'s placeholder cells, `columns` of them: each U+10EEEE with
 * the row's diacritic, the column's, and the id's high byte's when it has one. One terminal
 * column a cell (the diacritics are combining marks). To be drawn in
 * {@link placeholderColor}`(id)`.
 */
export function placeholderRow(id: number, row: number, columns: number): string {
  assertImageId(id);
  assertCount('columns', columns, DIACRITICS.length);
  if (!Number.isSafeInteger(row) || row < 0 || row >= DIACRITICS.length)
    throw new Error(`no diacritic for row ${row}`);
  const high = highByte(id);
  const tail = high > 0 ? DIACRITICS[high]! : '';
  let text = '';
  for (let column = 0; column < columns; column++)
    text += PLACEHOLDER + DIACRITICS[row]! + DIACRITICS[column]! + tail;
  return text;
}

/** A graphics command: `ESC _ G <keys> ; <payload> ESC \\` (no `;` without a payload). */
const apc = (control: string, payload = ''): string =>
  `\u001b_G${control}${payload === '' ? '' : `;${payload}`}\u001b\\`;

/**
 * The escape sequences that send `pixels` as image `id` and make its virtual placement of
 * `placement` cells (`a=T,U=1`): base64 in chunks of at most 4096 bytes, `m=1` on all but the
 * last (`m=0`); the first carries the keys, the others only `m` and `q` (the spec allows `q`
 * there, and a terminal that took quietness from the last chunk stays quiet too). `q=2`: no
 * answer comes back on stdin, where Ink would read it as keys. `C=1`: the cursor stays where
 * Ink left it. One string, so the chunks reach the terminal with nothing in between.
 */
export function transmitSequence(id: number, pixels: RgbaPixels, placement: Placement): string {
  assertImageId(id);
  assertCount('width', pixels.width);
  assertCount('height', pixels.height);
  assertCount('columns', placement.columns, DIACRITICS.length);
  assertCount('rows', placement.rows, DIACRITICS.length);
  if (pixels.data.length !== pixels.width * pixels.height * 4)
    throw new Error(`expected ${pixels.width}×${pixels.height} RGBA pixels`);
  const base64 = Buffer.from(
    pixels.data.buffer,
    pixels.data.byteOffset,
    pixels.data.byteLength,
  ).toString('base64');
  const keys = [
    'a=T',
    'U=1',
    'f=32',
    `s=${pixels.width}`,
    `v=${pixels.height}`,
    `i=${id}`,
    `c=${placement.columns}`,
    `r=${placement.rows}`,
    'C=1',
    'q=2',
  ].join(',');
  let out = '';
  for (let at = 0; at < base64.length; at += CHUNK) {
    const more = at + CHUNK < base64.length ? 1 : 0;
    out += apc(at === 0 ? `${keys},m=${more}` : `m=${more},q=2`, base64.slice(at, at + CHUNK));
  }
  return out;
}

/** Deletes image `id`, its placements and its data (`d=I`), quietly. */
export function deleteSequence(id: number): string {
  assertImageId(id);
  return apc(`a=d,d=I,i=${id},q=2`);
}

/**
 * The kitty images of one TUI: an id per file (the same each time it is asked), and which of
 * them the terminal holds now, to delete them all when the TUI leaves the alternate screen (its
 * images live there: kitty keeps the alternate screen's images apart and drops them when a
 * program enters it again).
 */
export class KittyImages {
  private readonly ids = new Map<string, number>();
  private readonly held = new Set<number>();
  private isClosed = false;

  /** File `fileId`'s image id; undefined once {@link MAX_IMAGES} files have one. */
  idFor(fileId: string): number | undefined {
    const known = this.ids.get(fileId);
    if (known !== undefined) return known;
    const id = imageId(this.ids.size);
    if (id !== undefined) this.ids.set(fileId, id);
    return id;
  }

  /**
   * The bytes that send `pixels` as image `id` (see {@link transmitSequence}), noted as held;
   * nothing once closed (the TUI is leaving: an image sent now would outlive it).
   */
  transmit(id: number, pixels: RgbaPixels, placement: Placement): string {
    if (this.isClosed) return '';
    const sequence = transmitSequence(id, pixels, placement);
    this.held.add(id);
    return sequence;
  }

  /** The image ids the terminal holds. */
  get heldIds(): number[] {
    return [...this.held];
  }

  /**
   * The bytes that delete every image held, which are then held no more (to write before the
   * alternate screen is left; an image sent again keeps its id).
   */
  deleteAll(): string {
    const sequence = [...this.held].map(deleteSequence).join('');
    this.held.clear();
    return sequence;
  }

  /** {@link deleteAll}, and nothing is sent any more: the TUI is leaving. */
  close(): string {
    this.isClosed = true;
    return this.deleteAll();
  }
}
