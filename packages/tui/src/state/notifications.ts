/** Which live messages deserve a notification: other people's, in chats not on screen. */
import type { Message, SubscriptionEvent } from '@msgr/sdk';
import { chatKey } from './chats.js';
import { filesSummary } from './messages.js';
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
  // A message the chat already holds (listed just before the subscription began) is not news.
  const isHeld = (m: Message): boolean =>
    (state.chats[chatKey(m.chat_id)]?.lastMessage?.id ?? 0) >= m.id;
  const messages = events.flatMap((e) =>
    e.type === 'Message' &&
    e.message.sender_id !== state.me?.id &&
    chatKey(e.message.chat_id) !== state.openKey &&
    !isHeld(e.message)
      ? [e.message]
      : [],
  );
  const last = messages[messages.length - 1];
  if (!last) return undefined;
  const chat = state.chats[chatKey(last.chat_id)];
  const sender = userName(state, last.sender_id);
  const text = last.text || filesSummary(last);
  const where = chat?.kind === 'group' && !chat.isPlaceholder ? ` in ${chat.title}` : '';
  return {
    title: messages.length === 1 ? `${sender}${where}` : `${messages.length} new messages`,
    body: messages.length === 1 ? text : `last from ${sender}${where}: ${text}`,
    count: messages.length,
  };
}
