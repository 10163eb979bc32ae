/**
 * A thumbnail (JPEG, PNG or WebP from the server) decoded into preview cells. `sharp` is loaded
 * on first use: a TUI whose previews are off, or that never meets an image, never loads it, and
 * one where it cannot load shows no previews instead of failing to start.
 */
import type { PreviewCell } from '../state/types.js';
import { halfBlocks, type PreviewSize } from './half-blocks.js';

/** Refuse decompression bombs: a thumbnail is at most 320×320. */
const MAX_INPUT_PIXELS = 4096 * 4096;

/**
 * Decodes `bytes` (any format sharp reads) and scales it to `size` (its columns by its pixel
 * rows) into half-block cells.
 *
 * @example const cells = await previewCells(await client.thumbnail(id), previewSize(file.image));
 */
export async function previewCells(bytes: Uint8Array, size: PreviewSize): Promise<PreviewCell[][]> {
  const { default: sharp } = await import('sharp');
  const { data, info } = await sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS })
    .resize(size.columns, size.pixelRows, { fit: 'fill' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 4) throw new Error(`expected RGBA pixels, got ${info.channels} channels`);
  return halfBlocks(
    new Uint8Array(data.buffer, data.byteOffset, data.length),
    info.width,
    info.height,
  );
}
