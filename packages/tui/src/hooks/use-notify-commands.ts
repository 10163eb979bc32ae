import type { MessengerClient } from '@msgr/sdk';
import { useCallback, useRef, type RefObject } from 'react';
import { describe, isNotMember, isSessionGone } from '../failures.js';
import { effectiveLevel, levelLabel, nextLevel } from '../state/notifications.js';
import type { State } from '../state/types.js';
import type { Dispatch } from './use-store.js';

/**
 * `n` on a chat: its notification level moves on (all → mentions → none → all) at once here,
 * then on the server (`setNotifications`), which tells my other devices; the server's answer
 * settles it, a failure puts the old level back.
 */
export function useNotifyCommands(
  client: MessengerClient | undefined,
  stateRef: RefObject<State>,
  dispatch: Dispatch,
): (key: string) => Promise<void> {
  const ref = useRef({ client, stateRef, dispatch });
  ref.current = { client, stateRef, dispatch };

  return useCallback(async (key: string) => {
    const { client, stateRef, dispatch } = ref.current;
    const chat = stateRef.current.chats[key];
    const chatId = chat?.chatId;
    if (!client || !chat || chatId === undefined) return;
    const before = chat.notify;
    const level = nextLevel(effectiveLevel(before, Date.now()));
    dispatch({ type: 'notifySet', chatId, level, mutedUntil: null });
    const what =
      level === 'all'
        ? 'every message rings'
        : level === 'mentions'
          ? 'only messages that name you ring'
          : 'muted: nothing rings';
    dispatch({ type: 'notice', text: `${chat.title}: ${what} (n: next)` });
    try {
      const answer = await client.setNotifications(chatId, level);
      dispatch({
        type: 'notifySet',
        chatId,
        level: answer.level,
        mutedUntil: answer.muted_until,
      });
    } catch (err) {
      dispatch({ type: 'notifySet', chatId, level: before.level, mutedUntil: before.mutedUntil });
      if (isSessionGone(err)) dispatch({ type: 'sessionExpired', error: describe(err) });
      else if (isNotMember(err)) dispatch({ type: 'membershipLost', key });
      else {
        const kept = levelLabel(before, Date.now()) ?? 'all';
        const text = `notifications not changed (still ${kept}): ${describe(err)}`;
        dispatch({ type: 'notice', text, isError: true });
      }
    }
  }, []);
}
