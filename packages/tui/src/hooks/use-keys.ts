import { useInput, type Key } from 'ink';
import { useCallback, useRef, type RefObject } from 'react';
import { PASTE_END, PASTE_START, splitTyped } from '../state/chunks.js';
import { intentsFor, type Command, type KeyContext } from '../state/keymap.js';
import { openChat } from '../state/selectors.js';
import type { State } from '../state/types.js';
import type { Dispatch } from './use-store.js';

/**
 * Key presses → the keymap's intents → actions (dispatched) and commands (run). Typing into
 * the draft also tells the chat's members that we type.
 */
export function useKeys(
  stateRef: RefObject<State>,
  context: KeyContext,
  dispatch: Dispatch,
  runCommand: (command: Command) => Promise<void>,
  sendTyping: (chatId: number) => void,
): void {
  const contextRef = useRef(context);
  const isPasting = useRef(false);
  contextRef.current = context;
  const handler = useCallback(
    (input: string, key: Key) => {
      if (input === PASTE_START || input === PASTE_END) {
        isPasting.current = input === PASTE_START;
        return;
      }
      // Pasted text is text, line breaks included; outside a paste, CR in a chunk is Enter.
      const parts = isPasting.current ? [[input, key] as const] : splitTyped(input, key);
      for (const [text, parsed] of parts) {
        for (const intent of intentsFor(stateRef.current, text, parsed, contextRef.current)) {
          if ('command' in intent) {
            void runCommand(intent.command); // failures become state inside the command
            continue;
          }
          dispatch(intent.action);
          const { action } = intent;
          const isTyping =
            action.type === 'edit' &&
            (action.target === 'draft' || action.target === 'thread.draft') &&
            action.op.kind === 'insert';
          if (isTyping) {
            const chatId = openChat(stateRef.current)?.chatId;
            if (chatId !== undefined) sendTyping(chatId);
          }
        }
      }
    },
    [stateRef, dispatch, runCommand, sendTyping],
  );
  useInput(handler);
}
