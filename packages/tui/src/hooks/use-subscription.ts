import type { MessengerClient, Subscription, SubscriptionEvent } from '@msgr/sdk';
import { useEffect, useRef, type RefObject } from 'react';
import { createBatcher } from '../batcher.js';
import { describe, isSessionGone } from '../failures.js';
import { notificationFor, type Notification } from '../state/notifications.js';
import type { State } from '../state/types.js';
import type { Dispatch } from './use-store.js';

/** How long events may wait to be rendered together (a burst becomes one frame). */
export const BATCH_WINDOW_MS = 30;

/**
 * The one live subscription for all chats, from the position taken just before the chat list
 * loaded (so nothing between the list and the socket is missed). It reconnects by itself and
 * replays every change missed meanwhile, once and in order; a position the server no longer
 * keeps comes back as `PositionExpired` (the state reloads then). Events reach the reducer in
 * batches; messages for chats not on screen ring `notify`, as each chat's level allows.
 */
export function useSubscription(
  client: MessengerClient | undefined,
  isWanted: boolean,
  stateRef: RefObject<State>,
  dispatch: Dispatch,
  notify: (notification: Notification) => void,
): RefObject<Subscription | undefined> {
  const subscriptionRef = useRef<Subscription | undefined>(undefined);
  const notifyRef = useRef(notify);
  notifyRef.current = notify;

  useEffect(() => {
    if (!client || !isWanted) return;
    const state = stateRef.current;
    // A state loaded without a position: after the newest message listed.
    const after = Math.max(0, ...state.order.map((k) => state.chats[k]?.lastMessage?.id ?? 0));
    const subscription = client.subscribe(
      state.position === undefined ? { after } : { position: state.position },
    );
    subscriptionRef.current = subscription;
    const batcher = createBatcher<SubscriptionEvent>((events) => {
      const notification = notificationFor(stateRef.current, events, Date.now());
      dispatch({ type: 'events', events, now: Date.now() });
      if (notification) notifyRef.current(notification);
    }, BATCH_WINDOW_MS);
    void (async () => {
      try {
        for await (const event of subscription) batcher.push(event);
      } catch (err) {
        batcher.flush();
        if (isSessionGone(err)) dispatch({ type: 'sessionExpired', error: describe(err) });
        else
          dispatch({
            type: 'notice',
            text: `live updates stopped: ${describe(err)}`,
            isError: true,
          });
      }
    })();
    return () => {
      subscription.close();
      batcher.close();
      if (subscriptionRef.current === subscription) subscriptionRef.current = undefined;
    };
  }, [client, isWanted, stateRef, dispatch]);

  return subscriptionRef;
}
