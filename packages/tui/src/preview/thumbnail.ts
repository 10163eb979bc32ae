/**
 * A thumbnail (JPEG, PNG or WebP from the server) decoded into preview cells, or into the RGBA
 * pixels sent to a kitty-graphics terminal. `sharp` is loaded on first use: a TUI whose previews
 * are off, or that never meets an image, never loads it, and one where it cannot load shows no
 * previews instead of failing to start.
 */
import type { PreviewCell } from '../state/types.js';
import { halfBlocks, type PreviewSize } from './half-blocks.js';
import { CELL_HEIGHT_PX, CELL_WIDTH_PX, type RgbaPixels } from './kitty.js';

/** Refuse decompression bombs: a thumbnail is at most 320×320. */
const MAX_INPUT_PIXELS = 4096 * 4096;

/**
 * Decodes `bytes` (any format sharp reads) into RGBA scaled to `width`×`height`: exactly that
 * (`fill`), or the largest size within it that keeps the aspect ratio (`inside`).
 */
async function decode(
  bytes: Uint8Array,
  width: number,
  height: number,
  fit: 'fill' | 'inside',
): Promise<RgbaPixels> {
  const { default: sharp } = await import('sharp');
  const { data, info } = await sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS })
    .resize(width, height, { fit })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 4) throw new Error(`expected RGBA pixels, got ${info.channels} channels`);
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
  };
}

/**
 * Decodes `bytes` and scales it to `size` (its columns by its pixel rows) into half-block cells.
 *
 * @example const cells = await previewCells(await client.thumbnail(id), previewSize(file.image));
 */
export async function previewCells(bytes: Uint8Array, size: PreviewSize): Promise<PreviewCell[][]> {
  const { data, width, height } = await decode(bytes, size.columns, size.pixelRows, 'fill');
  return halfBlocks(data, width, height);
}

/**
 * Decodes `bytes` into the pixels a kitty image of `size` is sent as: within
 * {@link CELL_WIDTH_PX}×{@link CELL_HEIGHT_PX} pixels a cell (so 256×128 at most), the aspect
 * ratio kept. The terminal scales them to its own cells, the aspect ratio kept again.
 *
 * @example const pixels = await kittyPixels(await client.thumbnail(id), previewSize(file.image));
 */
export function kittyPixels(bytes: Uint8Array, size: PreviewSize): Promise<RgbaPixels> {
  return decode(bytes, size.columns * CELL_WIDTH_PX, size.rows * CELL_HEIGHT_PX, 'inside');
}
