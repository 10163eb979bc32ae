/** Which live messages deserve a notification: other people's, in chats not on screen. */
import type { SubscriptionEvent } from '@msgr/sdk';
import { chatKey } from './chats.js';
import { userName } from './selectors.js';
import type { State } from './types.js';

export interface Notification {
  title: string;
  body: string;
  count: number;
}

/**
 * One notification for a batch of events (a burst rings once), judged against the state the
 * batch arrived in.
 */
export function notificationFor(
  state: State,
  events: SubscriptionEvent[],
): Notification | undefined {
  const messages = events.flatMap((e) =>
    e.type === 'Message' &&
    e.message.sender_id !== state.me?.id &&
    chatKey(e.message.chat_id) !== state.openKey
      ? [e.message]
      : [],
  );
  const last = messages[messages.length - 1];
  if (!last) return undefined;
  const chat = state.chats[chatKey(last.chat_id)];
  const sender = userName(state, last.sender_id);
  const where = chat?.kind === 'group' && !chat.isPlaceholder ? ` in ${chat.title}` : '';
  return {
    title: messages.length === 1 ? `${sender}${where}` : `${messages.length} new messages`,
    body: messages.length === 1 ? last.text : `last from ${sender}${where}: ${last.text}`,
    count: messages.length,
  };
}
