import type { MessengerClient } from '@msgr/sdk';
import { useEffect } from 'react';
import { describe, isNotMember, isSessionGone } from '../failures.js';
import { openChat } from '../state/selectors.js';
import type { State } from '../state/types.js';
import type { Dispatch } from './use-store.js';

/** Coalesces a burst of arrivals into one read-pointer move. */
const SETTLE_MS = 150;

/**
 * Marks read what the pane shows: when the open chat has unread messages and a newer message
 * than our read pointer is on screen (not scrolled away, no dialog over it), the pointer moves
 * to the newest message on screen.
 */
export function useMarkRead(
  client: MessengerClient | undefined,
  state: State,
  newestVisibleId: number | undefined,
  dispatch: Dispatch,
): void {
  const chat = openChat(state);
  const chatId = chat?.chatId;
  const key = chat?.key;
  const isShown = state.phase === 'main' && state.dialog === undefined;
  const wanted =
    isShown &&
    chat !== undefined &&
    chat.unread > 0 &&
    newestVisibleId !== undefined &&
    newestVisibleId > chat.readPointer
      ? newestVisibleId
      : undefined;

  useEffect(() => {
    if (!client || chatId === undefined || key === undefined || wanted === undefined) return;
    const timer = setTimeout(() => {
      dispatch({ type: 'markedRead', chatId, messageId: wanted });
      client.markRead(wanted).catch((err: unknown) => {
        if (isSessionGone(err)) dispatch({ type: 'sessionExpired', error: describe(err) });
        else if (isNotMember(err)) dispatch({ type: 'membershipLost', key });
        else
          dispatch({
            type: 'notice',
            text: `could not mark read: ${describe(err)}`,
            isError: true,
          });
      });
    }, SETTLE_MS);
    return () => clearTimeout(timer);
  }, [client, chatId, key, wanted, dispatch]);
}
