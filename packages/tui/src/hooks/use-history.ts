import type { MessengerClient } from '@msgr/sdk';
import { useEffect } from 'react';
import { describe, isNotMember, isSessionGone } from '../failures.js';
import { openChat } from '../state/selectors.js';
import type { State } from '../state/types.js';
import type { Dispatch } from './use-store.js';

export const PAGE_SIZE = 50;
/** Messages loaded on each side of a found message. */
export const AROUND = 25;

/** Where the open pane stands in its loaded rows. */
export interface PaneEdges {
  /** The oldest loaded row is on screen. */
  isAtTop: boolean;
  /** The newest loaded row is on screen. */
  isAtBottom: boolean;
  /** The newest message at least partly on screen. */
  newestVisibleId?: number;
}

/**
 * Loads the open chat's newest page when it opens (enough to reach its first unread message),
 * the page before the oldest one loaded when the pane is scrolled to the top (PgUp), the pages
 * around a found message (a search result: `jumpTo`), and then the pages after it as the pane
 * reaches the newest loaded one, until the newest of all.
 */
export function useHistory(
  client: MessengerClient | undefined,
  state: State,
  { isAtTop, isAtBottom, newestVisibleId }: PaneEdges,
  dispatch: Dispatch,
): void {
  const chat = openChat(state);
  const key = chat?.key;
  const chatId = chat?.chatId;
  const jumpTo = chat?.jumpTo;
  const wantsLatest = chat !== undefined && !chat.isLoaded && jumpTo === undefined;
  const wantsOlder = chat !== undefined && chat.isLoaded && chat.hasOlder && isAtTop;
  const oldestId = chat?.messages[0]?.id;
  const newestId = chat?.messages[chat.messages.length - 1]?.id;
  // The newest loaded message on screen (highlighted, the pane may stop just above the bottom).
  const wantsNewer =
    chat !== undefined &&
    chat.isLoaded &&
    chat.hasNewer &&
    (isAtBottom || (newestId !== undefined && newestVisibleId === newestId));
  const isBlocked = chat === undefined || chat.isLoading || chat.loadError !== undefined;
  const unread = chat?.unread ?? 0;

  useEffect(() => {
    if (!client || key === undefined || chatId === undefined || isBlocked) return;
    const failed = (err: unknown): void => {
      if (isSessionGone(err)) dispatch({ type: 'sessionExpired', error: describe(err) });
      else if (isNotMember(err)) dispatch({ type: 'membershipLost', key });
      else dispatch({ type: 'historyFailed', key, error: describe(err) });
    };
    // Not aborted on re-render: the reducer files each page under its chat whenever it lands.
    if (jumpTo !== undefined) {
      dispatch({ type: 'historyStarted', key });
      void Promise.all([
        client.history(chatId, { before: jumpTo + 1, limit: AROUND }),
        client.history(chatId, { after: jumpTo, limit: AROUND }),
      ])
        .then(([older, newer]) =>
          dispatch({ type: 'historyAround', key, messageId: jumpTo, older, newer, limit: AROUND }),
        )
        .catch(failed);
      return;
    }
    if (!wantsLatest && !wantsOlder && !wantsNewer) return;
    const mode = wantsLatest ? 'latest' : wantsOlder ? 'older' : 'newer';
    const limit = mode === 'latest' ? Math.min(100, Math.max(PAGE_SIZE, unread + 10)) : PAGE_SIZE;
    const cursor =
      mode === 'latest' ? {} : mode === 'older' ? { before: oldestId } : { after: newestId };
    dispatch({ type: 'historyStarted', key });
    void client
      .history(chatId, { ...cursor, limit })
      .then((messages) => dispatch({ type: 'historyLoaded', key, messages, mode, limit }))
      .catch(failed);
  }, [
    client,
    key,
    chatId,
    isBlocked,
    jumpTo,
    wantsLatest,
    wantsOlder,
    wantsNewer,
    oldestId,
    newestId,
    unread,
    dispatch,
  ]);
}
