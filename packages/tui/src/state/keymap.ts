/**
 * Keys → intents: a reducer action, or a command for the hooks (the ones with side effects).
 * Pure, so every binding is testable without a terminal; `use-keys` feeds it Ink's key events.
 */
import type { Key } from 'ink';
import { act, edit, editOpFor, membersOf, run, type Intent } from './intents.js';
import { completionKeys, threadKeys } from './keymap-composer.js';
import { dialogKeys } from './keymap-dialogs.js';
import { messageKeys } from './keymap-messages.js';
import { lastOwnMessage } from './messages.js';
import { openChat } from './selectors.js';
import type { State } from './types.js';

export type { Command, Intent } from './intents.js';

/** What the keys need to know about the screen. */
export interface KeyContext {
  /** Rows of the message pane (a page for PgUp/PgDn). */
  pageRows: number;
  /** How far the open chat can scroll up now. */
  maxScroll: number;
  /** The same for the thread pane (0 while none is open). */
  threadPageRows: number;
  threadMaxScroll: number;
}

export function intentsFor(state: State, input: string, key: Key, ctx: KeyContext): Intent[] {
  if (key.ctrl && input === 'c') return [run({ type: 'quit' })];
  if (state.phase === 'login') return loginKeys(state, input, key);
  if (state.phase !== 'main') return [];
  if (state.dialog) return dialogKeys(state, input, key);
  if (key.ctrl && input === 'n') return [act({ type: 'dialogOpen', kind: 'direct' })];
  if (key.ctrl && input === 'g') return [act({ type: 'dialogOpen', kind: 'group' })];
  if (key.ctrl && input === 'f') return [act({ type: 'dialogOpen', kind: 'search' })];
  if (key.ctrl && input === 't') return [act({ type: 'dialogOpen', kind: 'threads' })];
  if (state.focus === 'thread' && state.thread) return threadKeys(state, input, key, ctx);
  if (key.ctrl && input === 'o') {
    return state.openKey
      ? [act({ type: 'attachOpen' })]
      : [act({ type: 'notice', text: 'Open a chat first (Enter), then Ctrl+O attaches a file' })];
  }
  if (key.ctrl && input === 'p') {
    return membersOf(state, state.focus === 'list' ? state.selectedKey : state.openKey);
  }
  if (key.meta && input === 'u') return [act({ type: 'openNextUnread' })];
  if (key.ctrl && input === 'r') return state.openKey ? [run({ type: 'retry' })] : [];
  if (key.ctrl && input === 'k') {
    return state.openKey ? [act({ type: 'messageSelect', edge: 'last' })] : [];
  }
  if (state.focus === 'input' && state.openKey) {
    const completion = completionKeys(state, 'chat', input, key);
    if (completion) return completion;
  }
  if (key.tab) return [act({ type: 'toggleFocus' })];
  if (state.focus === 'messages' && state.openKey) return messageKeys(state, input, key);
  if (key.pageUp)
    return [act({ type: 'scroll', delta: Math.max(1, ctx.pageRows - 1), max: ctx.maxScroll })];
  if (key.pageDown)
    return [act({ type: 'scroll', delta: -Math.max(1, ctx.pageRows - 1), max: ctx.maxScroll })];
  return state.focus === 'input' && state.openKey
    ? inputKeys(state, input, key, ctx)
    : listKeys(state, input, key);
}

function listKeys(state: State, input: string, key: Key): Intent[] {
  if (key.upArrow || input === 'k') return [act({ type: 'select', delta: -1 })];
  if (key.downArrow || input === 'j') return [act({ type: 'select', delta: 1 })];
  if (key.return) return state.selectedKey ? [act({ type: 'open', key: state.selectedKey })] : [];
  if (input === '?') return [act({ type: 'dialogOpen', kind: 'help' })];
  if (input === 's') return [act({ type: 'toggleSort' })];
  if (input === 'u') return [act({ type: 'openNextUnread' })];
  if (input === 'm') return membersOf(state, state.selectedKey);
  if (input === 't') return [act({ type: 'dialogOpen', kind: 'threads' })];
  if (input === 'n') {
    const chat = state.selectedKey === undefined ? undefined : state.chats[state.selectedKey];
    if (!chat) return [];
    return chat.chatId === undefined || chat.isPlaceholder
      ? [act({ type: 'notice', text: 'Notifications: send the first message, then choose' })]
      : [run({ type: 'cycleNotifications', key: chat.key })];
  }
  if (key.escape) return [act({ type: 'dismissNotice' })];
  return [];
}

function inputKeys(state: State, input: string, key: Key, ctx: KeyContext): Intent[] {
  const chat = openChat(state)!;
  // The message waits for its files: Esc cancels, the rest waits too (the text is taken).
  if (chat.upload) return key.escape ? [run({ type: 'cancelUpload', key: chat.key })] : [];
  // Alt+Enter arrives as ESC CR, Ctrl+J as a bare LF: both start a new line.
  if ((key.return && key.meta) || input === '\n') {
    return [act({ type: 'edit', target: 'draft', op: { kind: 'insert', text: '\n' } })];
  }
  if (key.return) return [run({ type: 'send' })];
  if (key.escape && chat.editing) return [act({ type: 'editCancel' })];
  if (key.escape && chat.replyTo !== undefined) return [act({ type: 'replyCancel' })];
  const hasFiles = (chat.files?.length ?? 0) > 0;
  if (key.escape && hasFiles) return [act({ type: 'filesDropped', which: 'all' })];
  if ((key.backspace || key.delete) && hasFiles && chat.draft.text === '') {
    return [act({ type: 'filesDropped', which: 'last' })];
  }
  if (key.escape) {
    return [
      act({ type: 'edit', target: 'draft', op: { kind: 'clear' } }),
      act({ type: 'focus', focus: 'list' }),
    ];
  }
  if (key.ctrl && input === 'x') return [run({ type: 'editor' })];
  // As in Slack and Telegram: ↑ on an empty input edits my last message.
  if (
    key.upArrow &&
    chat.draft.text === '' &&
    !chat.editing &&
    lastOwnMessage(chat, state.me?.id)
  ) {
    return [act({ type: 'editStart' })];
  }
  if (key.upArrow) return [act({ type: 'scroll', delta: 1, max: ctx.maxScroll })];
  if (key.downArrow) return [act({ type: 'scroll', delta: -1, max: ctx.maxScroll })];
  return edit('draft', editOpFor(input, key));
}

function loginKeys(state: State, input: string, key: Key): Intent[] {
  if (state.login.isBusy) return [];
  const field = state.login.field;
  if (key.tab || key.downArrow) return [act({ type: 'loginField', delta: key.shift ? -1 : 1 })];
  if (key.upArrow) return [act({ type: 'loginField', delta: -1 })];
  if (key.return) {
    if (field === 'email') return [act({ type: 'loginField', field: 'password' })];
    return [run({ type: 'login' })];
  }
  return edit(`login.${field}`, editOpFor(input, key));
}
