/**
 * Images as terminal cells: each cell shows two pixels stacked, the upper half block `▀` in the
 * top pixel's colour over a background of the bottom one's. A terminal cell is about twice as
 * tall as wide, so each half is about square. Pure (the decoding is in `thumbnail.ts`).
 */
import type { PreviewCell } from '../state/types.js';

/** Cells of a preview at most: 32 columns by 8 rows (so 32×16 pixels). */
export const PREVIEW_COLUMNS = 32;
export const PREVIEW_ROWS = 8;

export interface PreviewSize {
  columns: number;
  /** Terminal rows: two pixel rows each. */
  rows: number;
  /** Pixel rows the image is scaled to (`rows` × 2, or one less for an odd height). */
  pixelRows: number;
}

/**
 * The preview's size for an image of `width`×`height` pixels: its aspect ratio kept, never
 * larger than the image, never larger than `maxColumns`×`maxRows` cells. Known before the
 * thumbnail arrives (from the file's `image`), so the rows it takes never move the pane.
 *
 * @example previewSize({ width: 640, height: 480 }); // { columns: 21, rows: 8, pixelRows: 16 }
 */
export function previewSize(
  { width, height }: { width: number; height: number },
  { maxColumns = PREVIEW_COLUMNS, maxRows = PREVIEW_ROWS } = {},
): PreviewSize {
  const w = Math.max(1, width);
  const h = Math.max(1, height);
  const scale = Math.min(1, maxColumns / w, (maxRows * 2) / h);
  const columns = Math.min(maxColumns, Math.max(1, Math.round(w * scale)));
  const pixelRows = Math.min(maxRows * 2, Math.max(1, Math.round(h * scale)));
  return { columns, rows: Math.ceil(pixelRows / 2), pixelRows };
}

const hex = (n: number): string => n.toString(16).padStart(2, '0');

/** A pixel of RGBA `data` as `#rrggbb`, or undefined when it is (mostly) transparent. */
function colourAt(data: Uint8Array, width: number, x: number, y: number): string | undefined {
  const at = (y * width + x) * 4;
  if (data[at + 3]! < 128) return undefined;
  return `#${hex(data[at]!)}${hex(data[at + 1]!)}${hex(data[at + 2]!)}`;
}

/**
 * Cells for RGBA pixels (`width`×`height`, 4 bytes a pixel, rows top to bottom): a row of cells
 * per two rows of pixels. A transparent pixel takes no colour (the terminal's own background
 * shows through): `▄` when only the bottom one shows, a space when neither does.
 *
 * @example halfBlocks(new Uint8Array([255, 0, 0, 255, 0, 0, 255, 255]), 1, 2);
 * // [[{ char: '▀', fg: '#ff0000', bg: '#0000ff' }]]
 */
export function halfBlocks(data: Uint8Array, width: number, height: number): PreviewCell[][] {
  const rows: PreviewCell[][] = [];
  for (let y = 0; y < height; y += 2) {
    const row: PreviewCell[] = [];
    for (let x = 0; x < width; x++) {
      const top = colourAt(data, width, x, y);
      const bottom = y + 1 < height ? colourAt(data, width, x, y + 1) : undefined;
      if (top !== undefined)
        row.push(
          bottom === undefined ? { char: '▀', fg: top } : { char: '▀', fg: top, bg: bottom },
        );
      else row.push(bottom === undefined ? { char: ' ' } : { char: '▄', fg: bottom });
    }
    rows.push(row);
  }
  return rows;
}
