/** The chat list as lines to show: a window of entries around the selection. */
import { safeLine } from '@msgr/safe-text';
import { visibleOrder } from '../state/selectors.js';
import type { State } from '../state/types.js';

export interface ChatListItem {
  key: string;
  title: string;
  unread: number;
  isSelected: boolean;
  isOpen: boolean;
  isGroup: boolean;
}

/** At most `rows` entries, scrolled so the selected one is on screen. */
export function chatListItems(state: State, rows: number): ChatListItem[] {
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
        isSelected: key === state.selectedKey,
        isOpen: key === state.openKey,
        isGroup: chat.kind === 'group',
      },
    ];
  });
}
