/**
 * Keys → intents: a reducer action, or a command for the hooks (the ones with side effects).
 * Pure, so every binding is testable without a terminal; `use-keys` feeds it Ink's key events.
 */
import type { Key } from 'ink';
import { normalizeInput } from './field.js';
import type { Action, EditOp, EditTarget, State } from './types.js';

export type Command =
  | { type: 'send' }
  /** Send the open chat's failed messages again, each with its operation id. */
  | { type: 'retry' }
  | { type: 'editor' }
  | { type: 'quit' }
  | { type: 'login' }
  | { type: 'createGroup' };

export type Intent = { action: Action } | { command: Command };

/** What the keys need to know about the screen. */
export interface KeyContext {
  /** Rows of the message pane (a page for PgUp/PgDn). */
  pageRows: number;
  /** How far the open chat can scroll up now. */
  maxScroll: number;
}

const act = (action: Action): Intent => ({ action });
const run = (command: Command): Intent => ({ command });

/** Line-editing keys shared by every text field. */
export function editOpFor(input: string, key: Key): EditOp | undefined {
  if (key.backspace || key.delete) return { kind: 'backspace' };
  if (key.leftArrow) return { kind: 'left' };
  if (key.rightArrow) return { kind: 'right' };
  if (key.home || (key.ctrl && input === 'a')) return { kind: 'home' };
  if (key.end || (key.ctrl && input === 'e')) return { kind: 'end' };
  if (key.ctrl && input === 'w') return { kind: 'deleteWord' };
  if (key.ctrl && input === 'u') return { kind: 'clear' };
  if (key.ctrl || key.meta || key.escape || key.tab || key.return || input === '') return undefined;
  if (key.upArrow || key.downArrow || key.pageUp || key.pageDown) return undefined;
  // eslint-disable-next-line no-control-regex
  const text = normalizeInput(input).replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
  return text === '' ? undefined : { kind: 'insert', text };
}

const edit = (target: EditTarget, op: EditOp | undefined): Intent[] =>
  op ? [act({ type: 'edit', target, op })] : [];

export function intentsFor(state: State, input: string, key: Key, ctx: KeyContext): Intent[] {
  if (key.ctrl && input === 'c') return [run({ type: 'quit' })];
  if (state.phase === 'login') return loginKeys(state, input, key);
  if (state.phase !== 'main') return [];
  if (state.dialog) return dialogKeys(state, input, key);
  if (key.ctrl && input === 'n') return [act({ type: 'dialogOpen', kind: 'direct' })];
  if (key.ctrl && input === 'g') return [act({ type: 'dialogOpen', kind: 'group' })];
  if (key.meta && input === 'u') return [act({ type: 'openNextUnread' })];
  if (key.ctrl && input === 'r') return state.openKey ? [run({ type: 'retry' })] : [];
  if (key.tab) return [act({ type: 'toggleFocus' })];
  if (key.pageUp)
    return [act({ type: 'scroll', delta: Math.max(1, ctx.pageRows - 1), max: ctx.maxScroll })];
  if (key.pageDown)
    return [act({ type: 'scroll', delta: -Math.max(1, ctx.pageRows - 1), max: ctx.maxScroll })];
  return state.focus === 'input' && state.openKey
    ? inputKeys(input, key, ctx)
    : listKeys(state, input, key);
}

function listKeys(state: State, input: string, key: Key): Intent[] {
  if (key.upArrow || input === 'k') return [act({ type: 'select', delta: -1 })];
  if (key.downArrow || input === 'j') return [act({ type: 'select', delta: 1 })];
  if (key.return) return state.selectedKey ? [act({ type: 'open', key: state.selectedKey })] : [];
  if (input === '?') return [act({ type: 'dialogOpen', kind: 'help' })];
  if (input === 's') return [act({ type: 'toggleSort' })];
  if (input === 'u') return [act({ type: 'openNextUnread' })];
  if (key.escape) return [act({ type: 'dismissNotice' })];
  return [];
}

function inputKeys(input: string, key: Key, ctx: KeyContext): Intent[] {
  // Alt+Enter arrives as ESC CR, Ctrl+J as a bare LF: both start a new line.
  if ((key.return && key.meta) || input === '\n') {
    return [act({ type: 'edit', target: 'draft', op: { kind: 'insert', text: '\n' } })];
  }
  if (key.return) return [run({ type: 'send' })];
  if (key.escape) {
    return [
      act({ type: 'edit', target: 'draft', op: { kind: 'clear' } }),
      act({ type: 'focus', focus: 'list' }),
    ];
  }
  if (key.ctrl && input === 'x') return [run({ type: 'editor' })];
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

function dialogKeys(state: State, input: string, key: Key): Intent[] {
  const dialog = state.dialog!;
  if (dialog.kind === 'help') return [act({ type: 'dialogClose' })];
  if (key.escape) return [act({ type: 'dialogClose' })];
  if (dialog.kind === 'direct') {
    if (key.upArrow) return [act({ type: 'dialogMove', delta: -1 })];
    if (key.downArrow) return [act({ type: 'dialogMove', delta: 1 })];
    if (key.return) {
      const user = dialog.results[dialog.index];
      return user ? [act({ type: 'startDirect', user })] : [];
    }
    return edit('dialog.query', editOpFor(input, key));
  }
  if (dialog.isBusy) return [];
  if (key.tab) return [act({ type: 'dialogField', delta: key.shift ? -1 : 1 })];
  switch (dialog.field) {
    case 'name':
      if (key.return || key.downArrow) return [act({ type: 'dialogField', field: 'members' })];
      return edit('dialog.name', editOpFor(input, key));
    case 'members':
      if (key.upArrow) {
        return dialog.index === 0
          ? [act({ type: 'dialogField', field: 'name' })]
          : [act({ type: 'dialogMove', delta: -1 })];
      }
      if (key.downArrow) {
        return dialog.index >= dialog.results.length - 1
          ? [act({ type: 'dialogField', field: 'create' })]
          : [act({ type: 'dialogMove', delta: 1 })];
      }
      if (key.return) return [act({ type: 'groupToggleMember' })];
      return edit('dialog.query', editOpFor(input, key));
    case 'create':
      if (key.upArrow) return [act({ type: 'dialogField', field: 'members' })];
      return key.return ? [run({ type: 'createGroup' })] : [];
  }
}
