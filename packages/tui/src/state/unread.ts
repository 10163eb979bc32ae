/**
 * Unread counts that events change without a reload: my read pointer moving on another device
 * (`ReadMarker`) and messages becoming tombstones. The server counts the messages after my
 * pointer that are not mine and not deleted; a chat here holds only some of its messages, so
 * each function says the new count when what is held settles it, and `undefined` when only the
 * server can (the chat list is read again then). Pure.
 */
import type { Message } from '@msgr/sdk';
import { dividerFor } from './chats.js';
import { namesMe } from './mentions.js';
import type { ChatState } from './types.js';

/**
 * The chat's newest messages held without a gap: every message of the chat with an id of at
 * least `from` is in `tail` (`from` 0: all of them). A loaded page that reaches the newest
 * message is such a tail; otherwise only the last message is known.
 */
function heldTail(chat: ChatState): { tail: Message[]; from: number } {
  if (chat.isLoaded && !chat.hasNewer) {
    return { tail: chat.messages, from: chat.hasOlder ? (chat.messages[0]?.id ?? 0) : 0 };
  }
  const last = chat.lastMessage;
  return last ? { tail: [last], from: last.id } : { tail: [], from: 0 };
}

/** Messages that count as unread when they are after my pointer. */
function countable(messages: Message[], meId: number | undefined): Message[] {
  return messages.filter((m) => m.sender_id !== meId && !m.deleted);
}

/** The unread count once my pointer is at `pointer` (ahead of where it was), if the held tail tells. */
export function unreadFrom(
  chat: ChatState,
  pointer: number,
  meId: number | undefined,
): number | undefined {
  const { tail, from } = heldTail(chat);
  const after = countable(tail, meId).filter((m) => m.id > pointer).length;
  // Every message after the pointer is held: count them.
  if (from <= pointer + 1) return after;
  // Some are not held. A pointer further on never counts more than before, and never fewer
  // than the held ones after it: when the two agree, that is the count.
  return chat.unread === after ? after : undefined;
}

/**
 * My read pointer moved to `messageId` on another device. A pointer at or below the one known
 * here changes nothing. For the open chat, a "new messages" divider the pointer passed moves to
 * the first message still unread (or goes). `isSettled` is false when the count needs the
 * server's word (the count kept meanwhile is the old one).
 */
export function applyReadMarker(
  chat: ChatState,
  messageId: number,
  meId: number | undefined,
): { chat: ChatState; isSettled: boolean } {
  if (messageId <= chat.readPointer) return { chat, isSettled: true };
  const counted = unreadFrom(chat, messageId, meId);
  const unread = counted ?? chat.unread;
  const next: ChatState = settleMentions({ ...chat, readPointer: messageId, unread }, meId);
  if (chat.dividerBeforeId === undefined || chat.dividerBeforeId > messageId) {
    return { chat: next, isSettled: counted !== undefined };
  }
  const after = next.messages.filter((m) => m.id > messageId);
  const stillUnread = countable(after, meId).length;
  return {
    chat: {
      ...next,
      unreadAtOpen: stillUnread,
      dividerBeforeId: stillUnread > 0 ? dividerFor(next, meId, stillUnread) : undefined,
    },
    isSettled: counted !== undefined,
  };
}

/** The unread count once message `id` is a tombstone, if what is held tells. */
export function unreadAfterDelete(
  chat: ChatState,
  id: number,
  meId: number | undefined,
): number | undefined {
  if (chat.unread <= 0 || id <= chat.readPointer) return chat.unread;
  const { tail, from } = heldTail(chat);
  const others = countable(tail, meId);
  const held = tail.find((m) => m.id === id);
  if (held) {
    if (held.sender_id === meId || held.deleted) return chat.unread;
    // The unread ones are the newest `unread` of the others' messages.
    const isUnread = others.slice(-chat.unread).some((m) => m.id === id);
    return isUnread ? chat.unread - 1 : chat.unread;
  }
  // Within the held tail yet not held: not a message of this chat as far as we know.
  if (id >= from) return chat.unread;
  // Older than the held tail: unread only when the unread ones reach past it.
  return others.length >= chat.unread ? chat.unread : undefined;
}

/**
 * The chat's unread mentions once its unread count changed (a read, a deletion): the unread
 * messages are the newest `unread` of the others' ones; when those are held, the ones that name
 * me are counted, else the count is kept, never above the unread count (a read of the chat list
 * settles it).
 */
export function settleMentions(chat: ChatState, meId: number | undefined): ChatState {
  let mentions: number;
  if (chat.unread <= 0) mentions = 0;
  else {
    const { tail, from } = heldTail(chat);
    const others = countable(tail, meId);
    mentions =
      others.length >= chat.unread || from === 0
        ? others.slice(-chat.unread).filter((m) => namesMe(m, meId)).length
        : Math.min(chat.unreadMentions, chat.unread);
  }
  return mentions === chat.unreadMentions ? chat : { ...chat, unreadMentions: mentions };
}
