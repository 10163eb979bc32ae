import type { MessengerClient } from '@msgr/sdk';
import { useEffect } from 'react';
import { describe, isSessionGone } from '../failures.js';
import type { Dispatch } from './use-store.js';

const RETRY_MS = 3000;

/**
 * Loads who we are and the chat list once a session is ready (other people's names are looked
 * up by id as they show up: `useUserNames`); retries while the server cannot be reached (the
 * status bar says so). The position of now in the server's log is taken first: the
 * subscription starts there, so what changes while the list loads is replayed, and nothing
 * older than the list is.
 */
export function useBootstrap(
  client: MessengerClient | undefined,
  isWanted: boolean,
  dispatch: Dispatch,
): void {
  useEffect(() => {
    if (!client || !isWanted) return;
    const stop = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const attempt = async (): Promise<void> => {
      try {
        const { signal } = stop;
        const { position } = await client.sync({ signal });
        const [me, chats] = await Promise.all([client.me({ signal }), client.chats({ signal })]);
        if (!signal.aborted) dispatch({ type: 'loaded', me, chats, position });
      } catch (err) {
        if (stop.signal.aborted) return;
        if (isSessionGone(err)) {
          dispatch({ type: 'sessionExpired', error: describe(err) });
          return;
        }
        dispatch({ type: 'notice', text: `${describe(err)} — retrying`, isError: true });
        timer = setTimeout(() => void attempt(), RETRY_MS);
      }
    };
    void attempt();
    return () => {
      stop.abort();
      clearTimeout(timer);
    };
  }, [client, isWanted, dispatch]);
}
