import type { MessengerClient } from '@msgr/sdk';
import { useEffect } from 'react';
import { describe, isAbort, isSessionGone } from '../failures.js';
import type { Dialog } from '../state/types.js';
import type { Dispatch } from './use-store.js';

/** Threads the Threads view lists at most. */
export const THREADS_SHOWN = 50;

/** Loads the followed threads with unread replies (`unreadThreads()`) when the Threads view opens. */
export function useThreadList(
  client: MessengerClient | undefined,
  dialog: Dialog | undefined,
  dispatch: Dispatch,
): void {
  const isWanted = dialog?.kind === 'threads' && dialog.isLoading;
  useEffect(() => {
    if (!client || !isWanted) return;
    const stop = new AbortController();
    client
      .unreadThreads({ limit: THREADS_SHOWN, signal: stop.signal })
      .then((threads) => dispatch({ type: 'threadsLoaded', threads }))
      .catch((err: unknown) => {
        if (isAbort(err) || stop.signal.aborted) return;
        if (isSessionGone(err)) dispatch({ type: 'sessionExpired', error: describe(err) });
        else dispatch({ type: 'threadsFailed', error: describe(err) });
      });
    return () => stop.abort();
  }, [client, isWanted, dispatch]);
}
