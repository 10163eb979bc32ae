import { useEffect } from 'react';
import type { Dispatch } from './use-store.js';

/**
 * While a message is highlighted, the pane scrolls to keep it on screen (`paneView` works out
 * where); this files that scroll in the state, so PgUp, the mark-read effect and the next
 * frame all start from what is shown.
 */
export function useScrollFollow(
  followId: number | undefined,
  shownScroll: number,
  heldScroll: number,
  dispatch: Dispatch,
): void {
  useEffect(() => {
    if (followId !== undefined && shownScroll !== heldScroll) {
      dispatch({ type: 'scrollTo', scroll: shownScroll });
    }
  }, [followId, shownScroll, heldScroll, dispatch]);
}
