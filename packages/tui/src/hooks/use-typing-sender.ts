import type { Subscription } from '@msgr/sdk';
import { useCallback, useRef, type RefObject } from 'react';

/** The server relays at most one Typing per user and chat every 2 s; more would be wasted. */
const EVERY_MS = 3000;

/** Returns `typing(chatId)`: tells the chat's members we type, at most once per 3 s per chat. */
export function useTypingSender(
  subscriptionRef: RefObject<Subscription | undefined>,
): (chatId: number) => void {
  const sentAt = useRef(new Map<number, number>());
  return useCallback(
    (chatId: number) => {
      const now = Date.now();
      if (now - (sentAt.current.get(chatId) ?? 0) < EVERY_MS) return;
      sentAt.current.set(chatId, now);
      subscriptionRef.current?.typing(chatId);
    },
    [subscriptionRef],
  );
}
