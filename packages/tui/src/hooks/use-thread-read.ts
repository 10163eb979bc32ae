import type { MessengerClient } from '@msgr/sdk';
import { useEffect } from 'react';
import { describe, isSessionGone } from '../failures.js';
import type { State } from '../state/types.js';
import type { Dispatch } from './use-store.js';

/** Coalesces a burst of replies into one pointer move. */
const SETTLE_MS = 150;

/**
 * Reading a thread moves my pointer in it (`markThreadRead`): when the pane shows a reply newer
 * than the last one reported, the pointer goes to the newest reply on screen. The Threads view
 * then no longer lists it as unread. A pointer never moves back, so a repeat is harmless.
 */
export function useThreadRead(
  client: MessengerClient | undefined,
  state: State,
  newestVisibleId: number | undefined,
  dispatch: Dispatch,
): void {
  const thread = state.thread;
  const rootId = thread?.rootId;
  const isShown = state.phase === 'main' && state.dialog === undefined;
  const wanted =
    isShown &&
    thread !== undefined &&
    newestVisibleId !== undefined &&
    newestVisibleId !== thread.rootId &&
    newestVisibleId > thread.readUpTo
      ? newestVisibleId
      : undefined;

  useEffect(() => {
    if (!client || rootId === undefined || wanted === undefined) return;
    const timer = setTimeout(() => {
      dispatch({ type: 'threadMarkedRead', rootId, messageId: wanted });
      client.markThreadRead(rootId, wanted).catch((err: unknown) => {
        if (isSessionGone(err)) dispatch({ type: 'sessionExpired', error: describe(err) });
        else {
          const text = `could not mark the thread read: ${describe(err)}`;
          dispatch({ type: 'notice', text, isError: true });
        }
      });
    }, SETTLE_MS);
    return () => clearTimeout(timer);
  }, [client, rootId, wanted, dispatch]);
}
