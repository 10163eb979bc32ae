import type { FileObject, MessengerClient } from '@msgr/sdk';
import { useEffect, useRef } from 'react';
import { previewSize } from '../preview/half-blocks.js';
import type { KittyImages } from '../preview/kitty.js';
import { kittyPixels, previewCells } from '../preview/thumbnail.js';
import type { Preview, PreviewPicture } from '../state/types.js';
import type { Dispatch } from './use-store.js';

/** Where kitty images go: the TUI's images, and the raw writes to the terminal. */
export interface KittyOutput {
  images: KittyImages;
  write: (data: string) => void;
}

/**
 * Fetches the thumbnails of the image files on screen (`onScreen`) that have no preview yet,
 * decodes them and files them (`previewLoaded`): into half-block cells, or, with `kitty`, into
 * pixels sent to the terminal once as the file's image (before it is filed, so its placeholders
 * never name an image the terminal lacks); past the last image id, half blocks again. One that
 * cannot be had (not an image after all, no access, a decoding error) is filed as failed and
 * not asked again. Not aborted when it scrolls away: the preview is kept for when it comes back.
 */
export function usePreviews(
  client: MessengerClient | undefined,
  onScreen: FileObject[],
  previews: Record<string, Preview>,
  dispatch: Dispatch,
  kitty?: KittyOutput,
): void {
  const missing = onScreen.filter((f) => f.image && !previews[f.id]);
  const missingRef = useRef(missing);
  missingRef.current = missing;
  const kittyRef = useRef(kitty);
  kittyRef.current = kitty;
  const wanted = [...new Set(missing.map((f) => f.id))].join(',');
  const stop = useRef(new AbortController());

  useEffect(() => {
    const controller = stop.current;
    return () => controller.abort();
  }, []);

  useEffect(() => {
    if (!client || wanted === '') return;
    const files = [...new Map(missingRef.current.map((f) => [f.id, f])).values()];
    const signal = stop.current.signal;
    /** The thumbnail as the picture this terminal shows. */
    const picture = async (file: FileObject, bytes: Uint8Array): Promise<PreviewPicture> => {
      const size = previewSize(file.image!);
      const output = kittyRef.current;
      const imageId = output?.images.idFor(file.id);
      if (!output || imageId === undefined) return { cells: await previewCells(bytes, size) };
      const pixels = await kittyPixels(bytes, size);
      const placement = { columns: size.columns, rows: size.rows };
      if (!signal.aborted) output.write(output.images.transmit(imageId, pixels, placement));
      return { kitty: { imageId, ...placement } };
    };
    dispatch({ type: 'previewsStarted', fileIds: files.map((f) => f.id) });
    for (const file of files) {
      client
        .thumbnail(file.id, { signal })
        .then((bytes) => picture(file, bytes))
        .then(
          (loaded) => dispatch({ type: 'previewLoaded', fileId: file.id, ...loaded }),
          () => {
            if (!signal.aborted) dispatch({ type: 'previewFailed', fileId: file.id });
          },
        );
    }
  }, [client, wanted, dispatch]);
}
