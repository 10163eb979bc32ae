/** The chat list as lines to show: a window of entries around the selection. */
import { safeLine } from '@msgr/safe-text';
import type { NotifyLevel } from '@msgr/sdk';
import { effectiveLevel } from '../state/notifications.js';
import { visibleOrder } from '../state/selectors.js';
import type { State } from '../state/types.js';

export interface ChatListItem {
  key: string;
  title: string;
  unread: number;
  /** Unread messages that name me: `@N`. */
  mentions: number;
  /** The level in effect: `none` shows dimmed. */
  level: NotifyLevel;
  isSelected: boolean;
  isOpen: boolean;
  isGroup: boolean;
}

/** At most `rows` entries, scrolled so the selected one is on screen; levels as at `now`. */
export function chatListItems(state: State, rows: number, now = Date.now()): ChatListItem[] {
  const order = visibleOrder(state);
  const selected =
    state.selectedKey === undefined ? 0 : Math.max(0, order.indexOf(state.selectedKey));
  const first = Math.max(0, Math.min(selected - Math.floor(rows / 2), order.length - rows));
  return order.slice(first, first + rows).flatMap((key) => {
    const chat = state.chats[key];
    if (!chat) return [];
    return [
      {
        key,
        title: safeLine(chat.title),
        unread: chat.unread,
        mentions: Math.min(chat.unreadMentions, chat.unread),
        level: effectiveLevel(chat.notify, now),
        isSelected: key === state.selectedKey,
        isOpen: key === state.openKey,
        isGroup: chat.kind === 'group',
      },
    ];
  });
}
