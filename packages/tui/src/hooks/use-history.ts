import type { MessengerClient } from '@msgr/sdk';
import { useEffect } from 'react';
import { describe, isSessionGone } from '../failures.js';
import { openChat } from '../state/selectors.js';
import type { State } from '../state/types.js';
import type { Dispatch } from './use-store.js';

export const PAGE_SIZE = 50;

/**
 * Loads the open chat's newest page when it opens (enough to reach its first unread message),
 * and the page before the oldest one loaded when the pane is scrolled to the top (PgUp).
 */
export function useHistory(
  client: MessengerClient | undefined,
  state: State,
  isAtTop: boolean,
  dispatch: Dispatch,
): void {
  const chat = openChat(state);
  const key = chat?.key;
  const chatId = chat?.chatId;
  const wantsLatest = chat !== undefined && !chat.isLoaded;
  const wantsOlder = chat !== undefined && chat.isLoaded && chat.hasOlder && isAtTop;
  const isBlocked = chat === undefined || chat.isLoading || chat.loadError !== undefined;
  const oldestId = chat?.messages[0]?.id;
  const unread = chat?.unread ?? 0;

  useEffect(() => {
    if (!client || key === undefined || chatId === undefined || isBlocked) return;
    if (!wantsLatest && !wantsOlder) return;
    const mode = wantsLatest ? 'latest' : 'older';
    const limit = mode === 'latest' ? Math.min(100, Math.max(PAGE_SIZE, unread + 10)) : PAGE_SIZE;
    dispatch({ type: 'historyStarted', key });
    void client
      .history(chatId, mode === 'latest' ? { limit } : { before: oldestId, limit })
      .then((messages) => dispatch({ type: 'historyLoaded', key, messages, mode, limit }))
      .catch((err: unknown) => {
        if (isSessionGone(err)) dispatch({ type: 'sessionExpired', error: describe(err) });
        else dispatch({ type: 'historyFailed', key, error: describe(err) });
      });
    // Not aborted on re-render: the reducer files the page under its chat whenever it lands.
  }, [client, key, chatId, isBlocked, wantsLatest, wantsOlder, oldestId, unread, dispatch]);
}
