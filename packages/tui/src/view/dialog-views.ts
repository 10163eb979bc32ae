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
import { clock, day } from './message-rows.js';

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

export interface DialogView {
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
  if (dialog?.kind === 'members') {
    const chat = state.chats[dialog.key];
    view.members = memberList(state, dialog.key).map((m) => ({ ...m, name: safeLine(m.name) }));
    view.groupName = safeLine(chat?.title ?? '');
    view.isOwner = isOwnerOf(state, dialog.key);
    view.memberIds = chat?.memberIds ?? [];
  }
  return view;
}
