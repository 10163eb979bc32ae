import type { MessengerClient } from '@msgr/sdk';
import { useEffect } from 'react';
import { describe, isAbort } from '../failures.js';
import type { Dialog } from '../state/types.js';
import type { Dispatch } from './use-store.js';

const DEBOUNCE_MS = 150;
const RESULTS = 8;

/** The people search a dialog shows: new chat, new group, adding to a group. */
function peopleQuery(dialog: Dialog | undefined): string | undefined {
  if (dialog?.kind === 'direct' || dialog?.kind === 'group') return dialog.query.text;
  if (dialog?.kind === 'members' && dialog.mode === 'add') return dialog.query.text;
  return undefined;
}

/** Searches users (by name or email prefix) as the dialog's query changes. */
export function useUserSearch(
  client: MessengerClient | undefined,
  dialog: Dialog | undefined,
  dispatch: Dispatch,
): void {
  const query = peopleQuery(dialog);
  useEffect(() => {
    if (!client || query === undefined) return;
    const stop = new AbortController();
    const timer = setTimeout(() => {
      client
        .users({ query: query.trim(), limit: RESULTS + 1, signal: stop.signal })
        .then((users) => {
          dispatch({ type: 'usersSeen', users });
          dispatch({ type: 'dialogResults', query, users });
        })
        .catch((err: unknown) => {
          if (!isAbort(err) && !stop.signal.aborted) {
            dispatch({ type: 'notice', text: `search failed: ${describe(err)}`, isError: true });
          }
        });
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      stop.abort();
    };
  }, [client, query, dispatch]);
}
