/**
 * Messages that change after they were sent: edits, tombstones and reaction counts, applied to
 * one chat. Pure; the reducer and the event fold compose them.
 */
import type { Message } from '@msgr/sdk';
import type { ReactionCount } from '@msgr/sdk';
import type { ChatState } from './types.js';
import { unreadAfterDelete } from './unread.js';

/** The emoji of the reaction picker, in its order (keys 1–8). */
export const PICKER_EMOJI = ['👍', '😂', '😮', '😢', '🎉', '🔥', '👀', '🙏'] as const;

/** Applies `change` to message `id` wherever the chat holds it (the loaded page, the last one). */
export function patchMessage(
  chat: ChatState,
  id: number,
  change: (m: Message) => Message,
): ChatState {
  const isHeld = chat.messages.some((m) => m.id === id);
  const isLast = chat.lastMessage?.id === id;
  if (!isHeld && !isLast) return chat;
  return {
    ...chat,
    messages: isHeld ? chat.messages.map((m) => (m.id === id ? change(m) : m)) : chat.messages,
    lastMessage: isLast ? change(chat.lastMessage!) : chat.lastMessage,
  };
}

export function findMessage(chat: ChatState, id: number): Message | undefined {
  return (
    chat.messages.find((m) => m.id === id) ??
    (chat.lastMessage?.id === id ? chat.lastMessage : undefined)
  );
}

/**
 * A message's new text (an edit). Its reaction counts stay ours: an event's copy is shared by
 * every receiver and cannot say which reactions are mine.
 */
export function applyEdit(chat: ChatState, message: Message): ChatState {
  return patchMessage(chat, message.id, (held) =>
    held.deleted
      ? held
      : { ...message, reactions: held.reactions, is_read: held.is_read || message.is_read },
  );
}

/**
 * Message `id` became a tombstone: no text, no reactions; it no longer counts as unread (when
 * what is held cannot tell whether it did, the count stays until the chat list says).
 */
export function applyDelete(chat: ChatState, id: number, meId: number | undefined): ChatState {
  const unread = unreadAfterDelete(chat, id, meId) ?? chat.unread;
  const next = patchMessage(chat, id, (m) => ({
    ...m,
    deleted: true,
    text: '',
    reactions: [],
    attachments: [],
  }));
  if (next === chat && unread === chat.unread) return chat; // not held: nothing to change
  const isEditingIt = chat.editing?.messageId === id;
  return {
    ...next,
    unread,
    editing: isEditingIt ? undefined : chat.editing,
    draft: isEditingIt ? chat.editing!.savedDraft : chat.draft,
    pickerIndex: chat.selectedId === id ? undefined : chat.pickerIndex,
  };
}

/** Counts sorted most used first (stable: ties keep their order). */
function sorted(reactions: ReactionCount[]): ReactionCount[] {
  return [...reactions].sort((a, b) => b.count - a.count);
}

/**
 * One person's reaction added or removed (a live event). My own reactions from this device
 * never come back as events; from another device they do, and then set `me`. A repeat of what
 * is already counted for me changes nothing.
 */
export function applyReaction(
  chat: ChatState,
  event: { message_id: number; emoji: string; user_id: number; added: boolean },
  meId: number | undefined,
): ChatState {
  const isMe = event.user_id === meId;
  return patchMessage(chat, event.message_id, (m) => {
    if (m.deleted) return m;
    const found = m.reactions.find((r) => r.emoji === event.emoji);
    if (event.added) {
      if (isMe && found?.me) return m;
      const reactions = found
        ? m.reactions.map((r) => (r === found ? { ...r, count: r.count + 1, me: r.me || isMe } : r))
        : [...m.reactions, { emoji: event.emoji, count: 1, me: isMe }];
      return { ...m, reactions: sorted(reactions) };
    }
    if (!found || (isMe && !found.me)) return m;
    const reactions = m.reactions
      .map((r) => (r === found ? { ...r, count: r.count - 1, me: isMe ? false : r.me } : r))
      .filter((r) => r.count > 0);
    return { ...m, reactions: sorted(reactions) };
  });
}

/** The counts the server answered my react/unreact with. */
export function setReactions(chat: ChatState, id: number, reactions: ReactionCount[]): ChatState {
  return patchMessage(chat, id, (m) => (m.deleted ? m : { ...m, reactions }));
}

/** My newest message that can still be edited. */
export function lastOwnMessage(chat: ChatState, meId: number | undefined): Message | undefined {
  for (let i = chat.messages.length - 1; i >= 0; i--) {
    const m = chat.messages[i]!;
    if (m.sender_id === meId && !m.deleted) return m;
  }
  return undefined;
}

export function canEdit(message: Message | undefined, meId: number | undefined): boolean {
  return message !== undefined && message.sender_id === meId && !message.deleted;
}

/** Its sender deletes a message; in a group, its owner deletes anyone's. */
export function canDelete(
  chat: ChatState,
  message: Message | undefined,
  meId: number | undefined,
): boolean {
  if (!message || message.deleted || meId === undefined) return false;
  return message.sender_id === meId || (chat.kind === 'group' && chat.ownerId === meId);
}

/** `📎 a.pdf, b.png`: what a message of files alone says in a quote, a notification, a search. */
export function filesSummary(message: Message): string {
  const names = (message.attachments ?? []).map((f) => f.name);
  return names.length === 0 ? '' : `📎 ${names.join(', ')}`;
}

/**
 * A message as one short line (a reply's quote, a search result, a confirmation): the first
 * line's words, at most `max` code points. Untrusted: shown through safe-text.
 */
export function previewOf(message: Message, max = 60): string {
  if (message.deleted) return 'message deleted';
  const line = (message.text.trim() || filesSummary(message)).replace(/\s+/g, ' ');
  const points = Array.from(line);
  return points.length > max ? `${points.slice(0, max - 1).join('')}…` : line;
}
