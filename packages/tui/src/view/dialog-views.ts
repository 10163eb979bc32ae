/**
 * What the search and members dialogs list, as plain lines: found messages with their chat,
 * sender and time; a group's members with the owner marked. Pure; every untrusted part (chat
 * titles, names, texts) is made safe here.
 */
import { safeLine } from '@msgr/safe-text';
import { chatKey } from '../state/chats.js';
import { previewOf } from '../state/messages.js';
import { isOwnerOf, memberList, userName } from '../state/selectors.js';
import type { State } from '../state/types.js';
import { clock, day, repliesText } from './message-rows.js';

export interface FoundLine {
  id: number;
  /** `2025-01-01 12:00` */
  when: string;
  /** `#Team` or `@Ann`. */
  where: string;
  who: string;
  text: string;
}

export interface MemberLine {
  id: number;
  name: string;
  isOwner: boolean;
  isMe: boolean;
}

/** A followed thread with unread replies, as the Threads view lists it. */
export interface ThreadLine {
  id: number;
  /** `#Team` or `@Ann`. */
  where: string;
  /** Who started it. */
  who: string;
  /** The root's first line. */
  text: string;
  unread: number;
  /** `3 replies`. */
  replies: string;
}

export interface DialogView {
  threads: ThreadLine[];
  found: FoundLine[];
  members: MemberLine[];
  /** The members panel's group, and whether I own it. */
  groupName: string;
  isOwner: boolean;
  memberIds: number[];
  /** The chat a dialog is about (the path prompt's), as the list names it (untrusted). */
  chatTitle: string;
}

export function dialogView(state: State): DialogView {
  const dialog = state.dialog;
  const view: DialogView = {
    threads: [],
    found: [],
    members: [],
    groupName: '',
    isOwner: false,
    memberIds: [],
    chatTitle: '',
  };
  if (dialog?.kind === 'attach') view.chatTitle = state.chats[dialog.key]?.title ?? '';
  if (dialog?.kind === 'search') {
    view.found = dialog.results.map((m) => {
      const chat = state.chats[chatKey(m.chat_id)];
      const icon = chat?.kind === 'direct' ? '@' : '#';
      return {
        id: m.id,
        when: `${day(m.timestamp)} ${clock(m.timestamp)}`,
        where: `${icon}${safeLine(chat?.title ?? `chat ${m.chat_id}`)}`,
        who: safeLine(userName(state, m.sender_id)),
        text: safeLine(previewOf(m, 200)),
      };
    });
  }
  if (dialog?.kind === 'threads') {
    view.threads = dialog.results.map(({ root, unread_count }) => {
      const chat = state.chats[chatKey(root.chat_id)];
      const icon = chat?.kind === 'direct' ? '@' : '#';
      return {
        id: root.id,
        where: `${icon}${safeLine(chat?.title ?? `chat ${root.chat_id}`)}`,
        who: safeLine(userName(state, root.sender_id)),
        text: safeLine(previewOf(root, 200)),
        unread: unread_count,
        replies: repliesText(root.thread?.reply_count ?? 0),
      };
    });
  }
  if (dialog?.kind === 'members') {
    const chat = state.chats[dialog.key];
    view.members = memberList(state, dialog.key).map((m) => ({ ...m, name: safeLine(m.name) }));
    view.groupName = safeLine(chat?.title ?? '');
    view.isOwner = isOwnerOf(state, dialog.key);
    view.memberIds = chat?.memberIds ?? [];
  }
  return view;
}
