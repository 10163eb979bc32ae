import type { MessengerClient } from '@msgr/sdk';
import { useEffect } from 'react';
import { describe, isAbort, isSessionGone } from '../failures.js';
import { searchQuery, wantsMoreResults } from '../state/panels.js';
import type { Dialog } from '../state/types.js';
import type { Dispatch } from './use-store.js';

const DEBOUNCE_MS = 200;
/** Results a page (the server's default). */
export const SEARCH_PAGE = 20;

/**
 * Searches messages as the search dialog's words change (`client.search`, newest first), and
 * loads the next page when the highlight reaches the last result of a full page.
 */
export function useMessageSearch(
  client: MessengerClient | undefined,
  dialog: Dialog | undefined,
  dispatch: Dispatch,
): void {
  const query = dialog?.kind === 'search' ? searchQuery(dialog) : undefined;
  const moreBefore = dialog?.kind === 'search' ? wantsMoreResults(dialog) : undefined;

  useEffect(() => {
    if (!client || query === undefined) return;
    if (query === '') {
      dispatch({ type: 'searchResults', query, messages: [], isMore: false, limit: SEARCH_PAGE });
      return;
    }
    const stop = new AbortController();
    const timer = setTimeout(() => {
      dispatch({ type: 'searchStarted', query });
      client
        .search(query, { limit: SEARCH_PAGE, signal: stop.signal })
        .then((messages) =>
          dispatch({ type: 'searchResults', query, messages, isMore: false, limit: SEARCH_PAGE }),
        )
        .catch((err: unknown) => {
          if (isAbort(err) || stop.signal.aborted) return;
          if (isSessionGone(err)) dispatch({ type: 'sessionExpired', error: describe(err) });
          else dispatch({ type: 'searchFailed', query, error: describe(err) });
        });
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      stop.abort();
    };
  }, [client, query, dispatch]);

  useEffect(() => {
    if (!client || query === undefined || query === '' || moreBefore === undefined) return;
    const stop = new AbortController();
    dispatch({ type: 'searchStarted', query });
    client
      .search(query, { before: moreBefore, limit: SEARCH_PAGE, signal: stop.signal })
      .then((messages) =>
        dispatch({ type: 'searchResults', query, messages, isMore: true, limit: SEARCH_PAGE }),
      )
      .catch((err: unknown) => {
        if (isAbort(err) || stop.signal.aborted) return;
        if (isSessionGone(err)) dispatch({ type: 'sessionExpired', error: describe(err) });
        else dispatch({ type: 'searchFailed', query, error: describe(err) });
      });
    return () => stop.abort();
  }, [client, query, moreBefore, dispatch]);
}
