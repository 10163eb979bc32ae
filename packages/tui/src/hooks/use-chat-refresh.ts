import type { MessengerClient } from '@msgr/sdk';
import { useEffect } from 'react';
import { describe, isSessionGone } from '../failures.js';
import type { State } from '../state/types.js';
import type { Dispatch } from './use-store.js';

/** How long a failed read of the chat list waits before the next try. */
const RETRY_MS = 3000;

/**
 * Reads the chat list again each time the state finds it out of date (`listReloads`): an
 * event for a chat this client does not know (someone wrote first, a group I was made a member
 * of), an unread count the held messages cannot settle, an expired position. A reconnect needs
 * nothing: the subscription replays every change missed. Retries while the server cannot be
 * reached; a newer reason supersedes a read still on its way.
 */
export function useChatRefresh(
  client: MessengerClient | undefined,
  state: State,
  dispatch: Dispatch,
): void {
  const wanted = state.listReloads;
  const isReady = state.phase === 'main' && state.isLoaded;

  useEffect(() => {
    if (!client || !isReady || wanted === 0) return;
    const stop = new AbortController();
    const { signal } = stop;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const attempt = async (): Promise<void> => {
      try {
        const chats = await client.chats({ signal });
        if (!signal.aborted) dispatch({ type: 'chatsRefreshed', chats });
      } catch (err) {
        if (signal.aborted) return;
        if (isSessionGone(err)) dispatch({ type: 'sessionExpired', error: describe(err) });
        else timer = setTimeout(() => void attempt(), RETRY_MS);
      }
    };
    void attempt();
    return () => {
      stop.abort();
      clearTimeout(timer);
    };
  }, [client, isReady, wanted, dispatch]);
}
