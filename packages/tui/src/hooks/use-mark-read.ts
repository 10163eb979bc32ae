import { MessengerError, type MessengerClient } from '@msgr/sdk';
import { useEffect, useRef } from 'react';
import { describe, isNotMember, isSessionGone } from '../failures.js';
import { openChat } from '../state/selectors.js';
import type { State } from '../state/types.js';
import type { Dispatch } from './use-store.js';

/** Coalesces a burst of arrivals into one read-pointer move. */
const SETTLE_MS = 150;
/** A read that found no server is tried again after 1 s, 2 s, 4 s … at most this long apart. */
const RETRY_MAX_MS = 30_000;
const RETRIES = 12;

/**
 * Marks read what the pane shows: when the open chat has unread messages and a newer message
 * than our read pointer is on screen (not scrolled away, no dialog over it), the pointer moves
 * to the newest message on screen. A read that could not reach the server (cut off, a server
 * error) is sent again until it does, so the server's count (and my other devices') catches up
 * with the screen's: moving the pointer is idempotent.
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
  // Retries outlive the effect that started them (the pointer moved here at once), not the app
  // nor the session (a new login is a new client: the old one's reads are dropped).
  const retries = useRef(new Set<ReturnType<typeof setTimeout>>());
  const clientRef = useRef(client);
  clientRef.current = client;
  useEffect(() => {
    const pending = retries.current;
    return () => {
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
    };
  }, []);

  useEffect(() => {
    if (!client || chatId === undefined || key === undefined || wanted === undefined) return;
    const send = (attempt: number): void => {
      client.markRead(wanted).catch((err: unknown) => {
        if (isSessionGone(err)) dispatch({ type: 'sessionExpired', error: describe(err) });
        else if (isNotMember(err)) dispatch({ type: 'membershipLost', key });
        else if (err instanceof MessengerError && err.isRetryable && attempt < RETRIES) {
          const timer = setTimeout(
            () => {
              retries.current.delete(timer);
              if (clientRef.current === client) send(attempt + 1);
            },
            Math.min(RETRY_MAX_MS, 1000 * 2 ** attempt),
          );
          retries.current.add(timer);
        } else
          dispatch({
            type: 'notice',
            text: `could not mark read: ${describe(err)}`,
            isError: true,
          });
      });
    };
    const timer = setTimeout(() => {
      dispatch({ type: 'markedRead', chatId, messageId: wanted });
      send(0);
    }, SETTLE_MS);
    return () => clearTimeout(timer);
  }, [client, chatId, key, wanted, dispatch]);
}
