import type { FileObject, MessengerClient } from '@msgr/sdk';
import { useEffect, useRef } from 'react';
import { previewSize } from '../preview/half-blocks.js';
import { previewCells } from '../preview/thumbnail.js';
import type { Preview } from '../state/types.js';
import type { Dispatch } from './use-store.js';

/**
 * Fetches the thumbnails of the image files on screen (`onScreen`) that have no preview yet,
 * decodes them into half-block cells and files them (`previewLoaded`); one that cannot be had
 * (not an image after all, no access, a decoding error) is filed as failed and not asked again.
 * Not aborted when it scrolls away: the preview is kept for when it comes back.
 */
export function usePreviews(
  client: MessengerClient | undefined,
  onScreen: FileObject[],
  previews: Record<string, Preview>,
  dispatch: Dispatch,
): void {
  const missing = onScreen.filter((f) => f.image && !previews[f.id]);
  const missingRef = useRef(missing);
  missingRef.current = missing;
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
    dispatch({ type: 'previewsStarted', fileIds: files.map((f) => f.id) });
    for (const file of files) {
      client
        .thumbnail(file.id, { signal })
        .then((bytes) => previewCells(bytes, previewSize(file.image!)))
        .then(
          (cells) => dispatch({ type: 'previewLoaded', fileId: file.id, cells }),
          () => {
            if (!signal.aborted) dispatch({ type: 'previewFailed', fileId: file.id });
          },
        );
    }
  }, [client, wanted, dispatch]);
}
