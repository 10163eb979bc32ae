/**
 * Keys while a message of the open chat is highlighted (Ctrl+K): move the highlight, then act on
 * the message — `e` edit, `d` delete, `r` reply, `+` react (a picker of emoji), and on its files
 * `s` save, `o` open, ←/→ the next one. Pure.
 */
import type { Message } from '@msgr/sdk';
import type { Key } from 'ink';
import { filesOf, pickedFile } from './attachments.js';
import { act, membersOf, run, type Intent } from './intents.js';
import {
  PICKER_EMOJI,
  canDelete,
  canEdit,
  findMessage,
  isReply,
  previewOf,
  topLevel,
} from './messages.js';
import { openChat, userName } from './selectors.js';
import type { ChatState, State } from './types.js';

/** How far PgUp/PgDn move the highlight. */
export const MESSAGES_PER_PAGE = 10;

const toInput = (): Intent[] => [act({ type: 'focus', focus: 'input' })];

function reactIntents(state: State, chat: ChatState, emoji: string): Intent[] {
  const message = chat.selectedId === undefined ? undefined : findMessage(chat, chat.selectedId);
  if (!message || message.deleted) return [act({ type: 'pickerClose' })];
  const isMine = message.reactions.some((r) => r.emoji === emoji && r.me);
  return [
    act({ type: 'pickerClose' }),
    run({ type: 'react', key: chat.key, messageId: message.id, emoji, isAdding: !isMine }),
  ];
}

function pickerKeys(state: State, chat: ChatState, input: string, key: Key): Intent[] {
  if (key.escape) return [act({ type: 'pickerClose' })];
  if (key.leftArrow || input === 'h') return [act({ type: 'pickerMove', delta: -1 })];
  if (key.rightArrow || input === 'l') return [act({ type: 'pickerMove', delta: 1 })];
  const digit = Number(input);
  if (/^[1-9]$/.test(input) && digit <= PICKER_EMOJI.length) {
    return reactIntents(state, chat, PICKER_EMOJI[digit - 1]!);
  }
  if (key.return || input === ' ') {
    return reactIntents(state, chat, PICKER_EMOJI[chat.pickerIndex ?? 0]!);
  }
  return [];
}

function deleteIntents(state: State, chat: ChatState): Intent[] {
  const meId = state.me?.id;
  const message = chat.selectedId === undefined ? undefined : findMessage(chat, chat.selectedId);
  if (!message || message.deleted) return [];
  if (!canDelete(chat, message, meId)) {
    return [act({ type: 'notice', text: 'Only its sender (or the group owner) can delete it' })];
  }
  const whose = message.sender_id === meId ? 'your' : `${userName(state, message.sender_id)}'s`;
  return [
    act({
      type: 'confirmOpen',
      title: 'Delete message',
      question: `Delete ${whose} message “${previewOf(message)}”? Everyone sees “message deleted”.`,
      yes: 'Delete',
      command: { type: 'deleteMessage', key: chat.key, messageId: message.id },
    }),
  ];
}

/** `t`: the thread of the picked message opens beside (or over) the pane. */
function threadIntents(chat: ChatState, message: Message): Intent[] {
  if (chat.chatId === undefined) return [];
  const rootId = isReply(message) ? message.thread_id! : message.id;
  if (message.deleted && !message.thread?.reply_count) {
    return [act({ type: 'notice', text: 'A deleted message starts no thread' })];
  }
  const root = isReply(message) ? undefined : message;
  return [act({ type: 'threadOpen', chatId: chat.chatId, rootId, root })];
}

export function messageKeys(state: State, input: string, key: Key): Intent[] {
  const chat = openChat(state)!;
  if (chat.pickerIndex !== undefined) return pickerKeys(state, chat, input, key);
  const ids = topLevel(chat.messages).map((m) => m.id);
  const isOnNewest = chat.selectedId === undefined || chat.selectedId === ids[ids.length - 1];
  if (key.upArrow || input === 'k') return [act({ type: 'messageSelect', delta: -1 })];
  if (key.downArrow || input === 'j') {
    // Past the newest message: back to the input line (unless newer pages are still to come).
    return isOnNewest && !chat.hasNewer ? toInput() : [act({ type: 'messageSelect', delta: 1 })];
  }
  if (key.pageUp) return [act({ type: 'messageSelect', delta: -MESSAGES_PER_PAGE })];
  if (key.pageDown) return [act({ type: 'messageSelect', delta: MESSAGES_PER_PAGE })];
  if (key.home || input === 'g') return [act({ type: 'messageSelect', edge: 'first' })];
  if (key.end || input === 'G') return [act({ type: 'messageSelect', edge: 'last' })];
  if (key.escape || key.return) return toInput();
  if (input === '?') return [act({ type: 'dialogOpen', kind: 'help' })];
  if (input === 'm') return membersOf(state, chat.key);
  const message = chat.selectedId === undefined ? undefined : findMessage(chat, chat.selectedId);
  if (!message) return [];
  const file = pickedFile(chat);
  if (key.leftArrow || key.rightArrow) {
    return filesOf(message).length > 1
      ? [act({ type: 'attachmentMove', delta: key.leftArrow ? -1 : 1 })]
      : [];
  }
  switch (input) {
    case 's':
    case 'o':
      return file
        ? [run({ type: 'saveFile', file, isOpening: input === 'o' })]
        : [act({ type: 'notice', text: 'This message has no files' })];
    case 'e':
      if (message.deleted) return [];
      return canEdit(message, state.me?.id)
        ? [act({ type: 'editStart', messageId: message.id })]
        : [act({ type: 'notice', text: 'Only your own messages can be edited' })];
    case 'd':
      return deleteIntents(state, chat);
    case 'r':
      return message.deleted ? [] : [act({ type: 'replyStart', messageId: message.id })];
    case 't':
      return threadIntents(chat, message);
    case '+':
      return message.deleted ? [] : [act({ type: 'pickerOpen' })];
  }
  if (key.delete || key.backspace) return deleteIntents(state, chat);
  return [];
}
