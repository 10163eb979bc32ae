/**
 * Keys of the composers besides plain typing: the `@` completion (↑/↓ pick, Tab or Enter
 * insert, Esc close), and the thread pane's composer (Enter replies in the thread, Esc closes
 * it, PgUp/PgDn and ↑/↓ scroll it). Pure.
 */
import type { Key } from 'ink';
import { composerChat, composerScope } from './completion.js';
import { act, edit, editOpFor, run, type Intent } from './intents.js';
import type { KeyContext } from './keymap.js';
import { openCompletion } from './mentions.js';
import type { Composer, State } from './types.js';

/** The completion's keys while it is open in `composer`; undefined: the key is not for it. */
export function completionKeys(
  state: State,
  composer: Composer,
  input: string,
  key: Key,
): Intent[] | undefined {
  const chat = composerChat(state, composer);
  const scope = composerScope(state, composer);
  if (!chat || !scope || chat.upload) return undefined;
  const open = openCompletion(state, chat, scope);
  if (!open) return undefined;
  if (key.upArrow) return [act({ type: 'mentionMove', composer, delta: -1 })];
  if (key.downArrow) return [act({ type: 'mentionMove', composer, delta: 1 })];
  if (key.escape) return [act({ type: 'mentionDismiss', composer })];
  // Alt+Enter still starts a new line.
  if (key.tab || (key.return && !key.meta)) {
    const candidate = open.candidates[open.index]!;
    return [act({ type: 'mentionChoose', composer, candidate })];
  }
  return undefined;
}

/** The thread pane's composer has the keys. */
export function threadKeys(state: State, input: string, key: Key, ctx: KeyContext): Intent[] {
  const completion = completionKeys(state, 'thread', input, key);
  if (completion) return completion;
  if (key.tab) return [act({ type: 'toggleFocus' })];
  if (key.ctrl && input === 'r') return [run({ type: 'retry' })];
  if (key.ctrl && (input === 'o' || input === 'x' || input === 'k')) {
    const text = 'A thread takes text replies: Esc closes it, back to the chat';
    return [act({ type: 'notice', text })];
  }
  if ((key.return && key.meta) || input === '\n') {
    return [act({ type: 'edit', target: 'thread.draft', op: { kind: 'insert', text: '\n' } })];
  }
  if (key.return) return [run({ type: 'send' })];
  if (key.escape) return [act({ type: 'threadClose' })];
  const page = Math.max(1, ctx.threadPageRows - 1);
  const max = ctx.threadMaxScroll;
  if (key.pageUp) return [act({ type: 'scroll', delta: page, max, pane: 'thread' })];
  if (key.pageDown) return [act({ type: 'scroll', delta: -page, max, pane: 'thread' })];
  if (key.upArrow) return [act({ type: 'scroll', delta: 1, max, pane: 'thread' })];
  if (key.downArrow) return [act({ type: 'scroll', delta: -1, max, pane: 'thread' })];
  return edit('thread.draft', editOpFor(input, key));
}
