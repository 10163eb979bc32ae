/**
 * Messages that change after they were sent: edits, tombstones and reaction counts, applied to
 * one chat. Pure; the reducer and the event fold compose them.
 */
import type { Message } from '@msgr/sdk';
import type { ReactionCount } from '@msgr/sdk';
import type { ChatState } from './types.js';
import { settleMentions, unreadAfterDelete } from './unread.js';

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

/** A reply in a thread (not shown in the chat's pane, but in its thread's). */
export const isReply = (m: Message): boolean => typeof m.thread_id === 'number';

/** The messages the chat's pane shows: the top-level ones. */
export const topLevel = (messages: Message[]): Message[] => messages.filter((m) => !isReply(m));

/**
 * A reply new to this client moves its root's summary (live events carry none: the client
 * follows from the replies). One the summary counts already (its id is not past the last
 * reply it knows) changes nothing.
 */
export function countReply(chat: ChatState, reply: Message): ChatState {
  if (!isReply(reply)) return chat;
  return patchMessage(chat, reply.thread_id!, (root) => {
    const t = root.thread;
    if (t && t.last_reply_id !== null && reply.id <= t.last_reply_id) return root;
    const participants = t?.participant_ids ?? [root.sender_id];
    return {
      ...root,
      thread: {
        reply_count: (t?.reply_count ?? 0) + 1,
        last_reply_at: reply.timestamp,
        last_reply_id: reply.id,
        participant_ids: participants.includes(reply.sender_id)
          ? participants
          : [...participants, reply.sender_id],
      },
    };
  });
}

/**
 * A held reply became a tombstone: its root counts one fewer (and its last reply is the newest
 * other one held, when it was this one).
 */
function uncountReply(chat: ChatState, reply: Message): ChatState {
  if (!isReply(reply) || reply.deleted) return chat;
  return patchMessage(chat, reply.thread_id!, (root) => {
    const t = root.thread;
    if (!t || t.reply_count <= 0) return root;
    const reply_count = t.reply_count - 1;
    if (t.last_reply_id !== reply.id) return { ...root, thread: { ...t, reply_count } };
    const previous = chat.messages
      .filter((m) => m.thread_id === root.id && !m.deleted && m.id < reply.id)
      .at(-1);
    return {
      ...root,
      thread: {
        ...t,
        reply_count,
        last_reply_id: reply_count > 0 ? (previous?.id ?? t.last_reply_id) : null,
        last_reply_at: reply_count > 0 ? (previous?.timestamp ?? t.last_reply_at) : null,
      },
    };
  });
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
      : {
          ...message,
          reactions: held.reactions,
          is_read: held.is_read || message.is_read,
          // An event's copy has no thread summary: the one held is kept current from replies.
          thread: message.thread ?? held.thread,
        },
  );
}

/**
 * Message `id` became a tombstone: no text, no reactions; it no longer counts as unread (when
 * what is held cannot tell whether it did, the count stays until the chat list says).
 */
export function applyDelete(chat: ChatState, id: number, meId: number | undefined): ChatState {
  const unread = unreadAfterDelete(chat, id, meId) ?? chat.unread;
  const reply = findMessage(chat, id);
  const uncounted = reply ? uncountReply(chat, reply) : chat;
  const next = patchMessage(uncounted, id, (m) => ({
    ...m,
    deleted: true,
    text: '',
    reactions: [],
    attachments: [],
  }));
  if (next === chat && unread === chat.unread) return chat; // not held: nothing to change
  const isEditingIt = chat.editing?.messageId === id;
  return settleMentions(
    {
      ...next,
      unread,
      editing: isEditingIt ? undefined : chat.editing,
      draft: isEditingIt ? chat.editing!.savedDraft : chat.draft,
      mentions: isEditingIt ? chat.editing!.savedMentions : chat.mentions,
      pickerIndex: chat.selectedId === id ? undefined : chat.pickerIndex,
    },
    meId,
  );
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

/** My newest message of the chat's pane (top level) that can still be edited. */
export function lastOwnMessage(chat: ChatState, meId: number | undefined): Message | undefined {
  for (let i = chat.messages.length - 1; i >= 0; i--) {
    const m = chat.messages[i]!;
    if (m.sender_id === meId && !m.deleted && !isReply(m)) return m;
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
