import type { MessengerClient } from '@msgr/sdk';
import { useEffect, useRef } from 'react';
import { describe, isSessionGone } from '../failures.js';
import { hasPlaceholders, openChat } from '../state/selectors.js';
import type { State } from '../state/types.js';
import type { Dispatch } from './use-store.js';

/**
 * Re-reads the chat list when it may be stale: a message arrived for a chat we did not know
 * (someone wrote first, or added us to a group), or the connection came back (read receipts,
 * edits, deletes and reactions are not replayed, so the open chat's newest page is read again
 * too, and the other chats load afresh when next opened).
 */
export function useChatRefresh(
  client: MessengerClient | undefined,
  state: State,
  dispatch: Dispatch,
): void {
  const isStale = hasPlaceholders(state);
  const previousConnection = useRef(state.connection);
  const reconnects = useRef(0);
  if (previousConnection.current !== state.connection) {
    if (previousConnection.current === 'reconnecting' && state.connection === 'open')
      reconnects.current++;
    previousConnection.current = state.connection;
  }
  const reconnectCount = reconnects.current;
  const chat = openChat(state);
  const openChatId = chat?.isLoaded ? chat.chatId : undefined;
  const openKey = chat?.key;

  useEffect(() => {
    if (!client || state.phase !== 'main' || !state.isLoaded) return;
    if (!isStale && reconnectCount === 0) return;
    const stop = new AbortController();
    const { signal } = stop;
    void (async () => {
      try {
        dispatch({ type: 'chatsRefreshed', chats: await client.chats({ signal }) });
        if (reconnectCount > 0) dispatch({ type: 'historyStale', exceptKey: openKey });
        if (reconnectCount > 0 && openChatId !== undefined && openKey !== undefined) {
          const messages = await client.history(openChatId, { limit: 50, signal });
          dispatch({ type: 'historyLoaded', key: openKey, messages, mode: 'latest', limit: 50 });
        }
      } catch (err) {
        if (signal.aborted) return;
        if (isSessionGone(err)) dispatch({ type: 'sessionExpired', error: describe(err) });
      }
    })();
    return () => stop.abort();
    // Only a new reason to refresh re-runs it; the open chat is the one open when it fires.
  }, [client, state.phase, state.isLoaded, isStale, reconnectCount, dispatch]);
}
