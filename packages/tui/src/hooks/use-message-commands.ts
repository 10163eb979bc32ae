import type { MessengerClient } from '@msgr/sdk';
import { useCallback, useMemo, useRef, type RefObject } from 'react';
import { describe, isNotMember, isSessionGone } from '../failures.js';
import { mentionsToSend } from '../state/mentions.js';
import { findMessage } from '../state/messages.js';
import type { ChatState, State } from '../state/types.js';
import type { Dispatch } from './use-store.js';

export interface MessageCommands {
  /** Saves the edit in progress in `chat` (its draft is the new text). */
  saveEdit: (chat: ChatState) => Promise<void>;
  react: (key: string, messageId: number, emoji: string, isAdding: boolean) => Promise<void>;
  deleteMessage: (key: string, messageId: number) => Promise<void>;
}

/**
 * The calls that change a message: an edit, a reaction, a delete. Their answers become state
 * (the server sends this device no event for what it did itself).
 */
export function useMessageCommands(
  client: MessengerClient | undefined,
  stateRef: RefObject<State>,
  dispatch: Dispatch,
): MessageCommands {
  const ref = useRef({ client, stateRef, dispatch });
  ref.current = { client, stateRef, dispatch };

  /** The session gone, or no longer a member of the chat (`key`): else `onOther`. */
  const fail = useCallback((err: unknown, key: string, onOther: (text: string) => void) => {
    const { dispatch } = ref.current;
    if (isSessionGone(err)) dispatch({ type: 'sessionExpired', error: describe(err) });
    else if (isNotMember(err)) dispatch({ type: 'membershipLost', key });
    else onOther(describe(err));
  }, []);

  const saveEdit = useCallback(
    async (chat: ChatState) => {
      const { client, dispatch } = ref.current;
      const editing = chat.editing;
      if (!client || !editing || editing.isSaving) return;
      const text = chat.draft.text;
      if (text.trim() === '') {
        const notice = 'An edit cannot be empty: Esc cancels it (Ctrl+K, d deletes the message)';
        dispatch({ type: 'notice', text: notice, isError: true });
        return;
      }
      // The same text names the same people: nothing changed, nothing to save.
      if (findMessage(chat, editing.messageId)?.text === text) {
        dispatch({ type: 'editCancel' });
        return;
      }
      const { mentions, mentionAll } = mentionsToSend(chat, text);
      dispatch({ type: 'editSaving' });
      try {
        // Whom it names goes along: the ones whose `@Name` left the text are named no more.
        const message = await client.editMessage(editing.messageId, text, {
          mentions: mentions.map((m) => m.userId),
          mentionAll,
        });
        dispatch({ type: 'messageEdited', message });
      } catch (err) {
        fail(err, chat.key, (error) =>
          dispatch({ type: 'editFailed', key: chat.key, error: `not saved: ${error}` }),
        );
      }
    },
    [fail],
  );

  const react = useCallback(
    async (key: string, messageId: number, emoji: string, isAdding: boolean) => {
      const { client, stateRef, dispatch } = ref.current;
      const chatId = stateRef.current.chats[key]?.chatId;
      if (!client || chatId === undefined) return;
      try {
        const answer = isAdding
          ? await client.react(messageId, emoji)
          : await client.unreact(messageId, emoji);
        dispatch({ type: 'reactionsSet', chatId, messageId, reactions: answer.reactions });
      } catch (err) {
        fail(err, key, (error) =>
          dispatch({ type: 'notice', text: `reaction not saved: ${error}`, isError: true }),
        );
      }
    },
    [fail],
  );

  const deleteMessage = useCallback(
    async (key: string, messageId: number) => {
      const { client, stateRef, dispatch } = ref.current;
      const chatId = stateRef.current.chats[key]?.chatId;
      if (!client || chatId === undefined) return;
      dispatch({ type: 'confirmBusy' });
      try {
        await client.deleteMessage(messageId);
        dispatch({ type: 'messageDeleted', chatId, messageId });
        dispatch({ type: 'confirmDone' });
      } catch (err) {
        fail(err, key, (error) =>
          dispatch({ type: 'confirmFailed', error: `not deleted: ${error}` }),
        );
      }
    },
    [fail],
  );

  return useMemo(() => ({ saveEdit, react, deleteMessage }), [saveEdit, react, deleteMessage]);
}
