/**
 * Groups whose members and names change: live `MembersChanged`/`ChatUpdated`, the answers of
 * the owner's calls, and a chat that goes away because I was removed or left. Pure.
 */
import type { Group } from '@msgr/sdk';
import { chatKey, moveToFront, placeholderChat, wantChatList } from './chats.js';
import { visibleOrder } from './selectors.js';
import type { ChatState, Dialog, State } from './types.js';

function withChat(state: State, chat: ChatState): State {
  return { ...state, chats: { ...state.chats, [chat.key]: chat } };
}

/** Someone joined or left a group, or its owner changed (a live event). */
export function membersChanged(
  state: State,
  event: { chat_id: number; added: number[]; removed: number[]; owner_id: number },
): State {
  const key = chatKey(event.chat_id);
  const meId = state.me?.id;
  if (meId !== undefined && event.removed.includes(meId)) return chatGone(state, key, 'removed');
  const chat = state.chats[key];
  if (!chat) {
    if (meId === undefined || !event.added.includes(meId)) return state;
    // Added to a group we did not know (or one made with me in it): a placeholder until the
    // chat list, read again, names it.
    const placeholder = {
      ...placeholderChat(event.chat_id),
      ownerId: event.owner_id,
      memberIds: event.added,
    };
    return {
      ...withChat(wantChatList(state), placeholder),
      order: moveToFront(state.order, key),
      selectedKey: state.selectedKey ?? key,
    };
  }
  const kept = chat.memberIds.filter((id) => !event.removed.includes(id));
  const memberIds = [...kept, ...event.added.filter((id) => !kept.includes(id))];
  return withChat(state, { ...chat, memberIds, ownerId: event.owner_id });
}

/** A group was renamed (live, or the answer to my rename). */
export function chatRenamed(state: State, chatId: number, name: string): State {
  const chat = state.chats[chatKey(chatId)];
  return chat ? withChat(state, { ...chat, title: name }) : state;
}

/** The group as the server answered an add or a rename. */
export function groupUpdated(state: State, group: Group): State {
  const chat = state.chats[chatKey(group.chat_id)];
  if (!chat) return state;
  return withChat(state, {
    ...chat,
    title: group.name,
    memberIds: group.member_ids,
    ownerId: group.owner_id,
  });
}

/** The owner removed someone else (the answer to my call). */
export function memberRemoved(state: State, chatId: number, userId: number): State {
  const chat = state.chats[chatKey(chatId)];
  if (!chat) return state;
  return withChat(state, { ...chat, memberIds: chat.memberIds.filter((id) => id !== userId) });
}

/** Is this dialog about chat `key` (which is going away)? */
function isAbout(dialog: Dialog | undefined, key: string): boolean {
  if (!dialog) return false;
  if (dialog.kind === 'members' || dialog.kind === 'attach') return dialog.key === key;
  if (dialog.kind === 'confirm') return dialog.command.key === key || isAbout(dialog.back, key);
  return false;
}

/**
 * I was removed from a group, or left it: it goes from the list, the pane closes if it showed
 * it, and the status bar says so.
 */
export function chatGone(state: State, key: string, how: 'removed' | 'left'): State {
  const chat = state.chats[key];
  if (!chat) return state;
  const shown = visibleOrder(state);
  const at = shown.indexOf(key);
  const neighbour = shown[at + 1] ?? shown[at - 1];
  const chats = { ...state.chats };
  delete chats[key];
  const isOpen = state.openKey === key;
  const name = chat.title; // untrusted: the status bar shows it safe
  return {
    ...state,
    chats,
    order: state.order.filter((k) => k !== key),
    selectedKey: state.selectedKey === key ? neighbour : state.selectedKey,
    openKey: isOpen ? undefined : state.openKey,
    focus: isOpen || (state.focus === 'thread' && state.thread?.key === key) ? 'list' : state.focus,
    dialog: isAbout(state.dialog, key) ? undefined : state.dialog,
    thread: state.thread?.key === key ? undefined : state.thread,
    typing: state.typing.filter((t) => t.chatId !== chat.chatId),
    notice: {
      text: how === 'removed' ? `You were removed from #${name}` : `You left #${name}`,
      isError: how === 'removed',
    },
  };
}
