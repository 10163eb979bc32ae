import { useEffect } from 'react';
import type { Notice } from '../state/types.js';
import type { Dispatch } from './use-store.js';

const SHOWS_MS = 8000;

/** A notice in the status bar gives way to the key hints again after a while. */
export function useNoticeExpiry(notice: Notice | undefined, dispatch: Dispatch): void {
  useEffect(() => {
    if (!notice) return;
    const timer = setTimeout(() => dispatch({ type: 'dismissNotice' }), SHOWS_MS);
    return () => clearTimeout(timer);
  }, [notice, dispatch]);
}
