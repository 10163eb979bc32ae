/** What a key press turns into: a reducer action, or a command for the hooks. Pure. */
import type { FileObject } from '@msgr/sdk';
import type { Key } from 'ink';
import { normalizeInput } from './field.js';
import type { Action, EditOp, EditTarget, State } from './types.js';

export type Command =
  /**
   * Send the draft (a reply when one is being composed; in the thread pane, a reply in its
   * thread), or save the edit in progress.
   */
  | { type: 'send' }
  /** Send the open chat's failed messages again, each with its operation id. */
  | { type: 'retry' }
  | { type: 'editor' }
  | { type: 'quit' }
  | { type: 'login' }
  | { type: 'createGroup' }
  /** Add or take back my reaction. */
  | { type: 'react'; key: string; messageId: number; emoji: string; isAdding: boolean }
  /** Carry out what the confirmation dialog asked about. */
  | { type: 'confirmed' }
  | { type: 'addMember'; key: string; userId: number }
  | { type: 'renameGroup'; key: string }
  /** Tab in the path prompt: complete the path, list what matches. */
  | { type: 'completePath' }
  /** Enter in the path prompt: the file joins the chosen ones (if it is one). */
  | { type: 'choosePath' }
  /** Esc while the chosen files upload: stop (what is up stays up). */
  | { type: 'cancelUpload'; key: string }
  /** `s`: save a message's file in the download folder; `o`: and open it. */
  | { type: 'saveFile'; file: FileObject; isOpening: boolean }
  /** `n`: chat `key`'s notification level, the next of all → mentions → none. */
  | { type: 'cycleNotifications'; key: string };

export type Intent = { action: Action } | { command: Command };

export const act = (action: Action): Intent => ({ action });
export const run = (command: Command): Intent => ({ command });

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

export const edit = (target: EditTarget, op: EditOp | undefined): Intent[] =>
  op ? [act({ type: 'edit', target, op })] : [];

/** The members panel of chat `key`, when it is a group. */
export function membersOf(state: State, key: string | undefined): Intent[] {
  if (key === undefined) return [];
  const chat = state.chats[key];
  if (chat?.kind !== 'group' || chat.isPlaceholder) {
    return [act({ type: 'notice', text: 'Members: only groups have them' })];
  }
  return [act({ type: 'membersOpen', key })];
}
