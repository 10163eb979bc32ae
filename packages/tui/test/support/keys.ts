/** Key presses through the keymap and the reducer, for the keymap's tests. */
import { intentsFor, type KeyContext } from '../../src/state/keymap.js';
import { reducer } from '../../src/state/reducer.js';
import type { State } from '../../src/state/types.js';
import { key } from './fixtures.js';

export const CTX: KeyContext = {
  pageRows: 10,
  maxScroll: 100,
  threadPageRows: 10,
  threadMaxScroll: 100,
};

/**
 * Presses keys — a string is typed text, an object a named key (`{ tab: true }`) — applying
 * each action; the commands (the hooks' part) are collected by type.
 */
export function press(
  state: State,
  ...keys: (string | Partial<ReturnType<typeof key>>)[]
): { state: State; commands: string[] } {
  const commands: string[] = [];
  let next = state;
  for (const k of keys) {
    const [input, parsed] = typeof k === 'string' ? [k, key()] : ['', key(k)];
    for (const intent of intentsFor(next, input, parsed, CTX)) {
      if ('action' in intent) next = reducer(next, intent.action);
      else commands.push(intent.command.type);
    }
  }
  return { state: next, commands };
}
