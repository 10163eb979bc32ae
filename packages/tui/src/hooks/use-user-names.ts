import type { MessengerClient } from '@msgr/sdk';
import { useEffect, useRef } from 'react';
import { unnamedUserIds } from '../state/selectors.js';
import type { State } from '../state/types.js';
import type { Dispatch } from './use-store.js';

/** The most ids one `users({ ids })` request may carry. */
export const IDS_PER_REQUEST = 100;

/**
 * Looks up by id the people shown as `user #id` (a history page or a burst of events brings
 * them together: one request per 100 of them), and files their names with `usersSeen`. Nothing
 * waits for it: the rows show `user #id` until the names arrive. Each id is asked once per
 * session (a user the server does not know stays `user #id`); a failed request is asked again
 * when the set of unnamed people next changes.
 */
export function useUserNames(
  client: MessengerClient | undefined,
  state: State,
  dispatch: Dispatch,
): void {
  const wanted = state.phase === 'main' ? unnamedUserIds(state).join(',') : '';
  const asked = useRef<{ client?: MessengerClient; ids: Set<number> }>({ ids: new Set() });

  useEffect(() => {
    if (!client || wanted === '') return;
    if (asked.current.client !== client) asked.current = { client, ids: new Set() };
    const known = asked.current;
    const ids = wanted
      .split(',')
      .map(Number)
      .filter((id) => !known.ids.has(id));
    for (const id of ids) known.ids.add(id);
    for (let i = 0; i < ids.length; i += IDS_PER_REQUEST) {
      const batch = ids.slice(i, i + IDS_PER_REQUEST);
      // Not aborted on re-render: the names are filed whenever they land (for this session).
      client.users({ ids: batch }).then(
        (users) => {
          if (asked.current === known) dispatch({ type: 'usersSeen', users });
        },
        () => {
          // Names are a nicety: no notice; `user #id` stays until a later attempt works.
          for (const id of batch) known.ids.delete(id);
        },
      );
    }
  }, [client, wanted, dispatch]);
}
