import type { MessengerClient } from '@msgr/sdk';
import { useEffect } from 'react';
import { describe, isNotMember, isSessionGone } from '../failures.js';
import type { State } from '../state/types.js';
import type { Dispatch } from './use-store.js';

/** Messages of a thread a page (a thread rarely has more: one page is the whole of it). */
export const THREAD_PAGE = 100;

/**
 * Loads the thread pane's root and replies when it opens (`history(chatId, { threadId })`),
 * and the page before its oldest reply when the pane is scrolled to the top (PgUp).
 */
export function useThreadHistory(
  client: MessengerClient | undefined,
  state: State,
  isAtTop: boolean,
  dispatch: Dispatch,
): void {
  const thread = state.thread;
  const pane = thread?.chat;
  const key = thread?.key;
  const chatId = key === undefined ? undefined : state.chats[key]?.chatId;
  const rootId = thread?.rootId;
  const wantsLatest = pane !== undefined && !pane.isLoaded;
  const wantsOlder = pane !== undefined && pane.isLoaded && pane.hasOlder && isAtTop;
  const isBlocked = pane === undefined || pane.isLoading || pane.loadError !== undefined;
  // The root is the oldest message of a thread: older pages start before the oldest reply.
  const oldestReplyId = pane?.messages.find((m) => m.id !== rootId)?.id;

  useEffect(() => {
    if (!client || chatId === undefined || rootId === undefined || key === undefined) return;
    if (isBlocked || (!wantsLatest && !wantsOlder)) return;
    const mode = wantsLatest ? 'latest' : 'older';
    const before = mode === 'older' ? oldestReplyId : undefined;
    dispatch({ type: 'threadHistoryStarted', rootId });
    // Not aborted on re-render: the reducer files the page under its thread (or drops it).
    client
      .history(chatId, { threadId: rootId, before, limit: THREAD_PAGE })
      .then((messages) =>
        dispatch({ type: 'threadHistoryLoaded', rootId, messages, mode, limit: THREAD_PAGE }),
      )
      .catch((err: unknown) => {
        if (isSessionGone(err)) dispatch({ type: 'sessionExpired', error: describe(err) });
        else if (isNotMember(err)) dispatch({ type: 'membershipLost', key });
        else dispatch({ type: 'threadHistoryFailed', rootId, error: describe(err) });
      });
  }, [client, chatId, rootId, key, isBlocked, wantsLatest, wantsOlder, oldestReplyId, dispatch]);
}
