import { useEffect } from 'react';
import type { Dispatch } from './use-store.js';

/** While someone is shown typing, drops the stale entries once a second. */
export function useTypingExpiry(isAnyoneTyping: boolean, dispatch: Dispatch): void {
  useEffect(() => {
    if (!isAnyoneTyping) return;
    const timer = setInterval(() => dispatch({ type: 'typingExpired', now: Date.now() }), 1000);
    return () => clearInterval(timer);
  }, [isAnyoneTyping, dispatch]);
}
