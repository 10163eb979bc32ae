import type { MessengerClient } from '@msgr/sdk';
import { useCallback, useMemo, useRef, type RefObject } from 'react';
import { describe, isNotMember, isSessionGone } from '../failures.js';
import type { State } from '../state/types.js';
import type { Dispatch } from './use-store.js';

export interface GroupCommands {
  addMember: (key: string, userId: number) => Promise<void>;
  renameGroup: (key: string) => Promise<void>;
  removeMember: (key: string, userId: number) => Promise<void>;
  leaveGroup: (key: string) => Promise<void>;
}

/** The members panel's calls: the owner's add, rename and remove; anyone's leave. */
export function useGroupCommands(
  client: MessengerClient | undefined,
  stateRef: RefObject<State>,
  dispatch: Dispatch,
): GroupCommands {
  const ref = useRef({ client, stateRef, dispatch });
  ref.current = { client, stateRef, dispatch };

  /** The group behind chat `key`, with the client; undefined when either is missing. */
  const target = useCallback((key: string) => {
    const { client, stateRef } = ref.current;
    const chat = stateRef.current.chats[key];
    if (!client || chat?.groupId === undefined || chat.chatId === undefined) return undefined;
    return { client, chat, groupId: chat.groupId, chatId: chat.chatId };
  }, []);

  /** The session gone, or no longer a member of the chat (`key`): else `onOther`. */
  const fail = useCallback((err: unknown, key: string, onOther: (text: string) => void) => {
    const { dispatch } = ref.current;
    if (isSessionGone(err)) dispatch({ type: 'sessionExpired', error: describe(err) });
    else if (isNotMember(err)) dispatch({ type: 'membershipLost', key });
    else onOther(describe(err));
  }, []);

  const addMember = useCallback(
    async (key: string, userId: number) => {
      const { dispatch } = ref.current;
      const t = target(key);
      if (!t) return;
      dispatch({ type: 'membersBusy' });
      try {
        dispatch({ type: 'groupUpdated', group: await t.client.addMembers(t.groupId, [userId]) });
      } catch (err) {
        fail(err, key, (error) =>
          dispatch({ type: 'membersFailed', error: `not added: ${error}` }),
        );
      }
    },
    [target, fail],
  );

  const renameGroup = useCallback(
    async (key: string) => {
      const { stateRef, dispatch } = ref.current;
      const t = target(key);
      const dialog = stateRef.current.dialog;
      if (!t || dialog?.kind !== 'members') return;
      const name = dialog.name.text.trim();
      if (name === '') {
        dispatch({ type: 'membersFailed', error: 'the group needs a name' });
        return;
      }
      if (name === t.chat.title) {
        dispatch({ type: 'membersMode', mode: 'list' });
        return;
      }
      dispatch({ type: 'membersBusy' });
      try {
        dispatch({ type: 'groupUpdated', group: await t.client.renameGroup(t.groupId, name) });
      } catch (err) {
        fail(err, key, (error) =>
          dispatch({ type: 'membersFailed', error: `not renamed: ${error}` }),
        );
      }
    },
    [target, fail],
  );

  const removeMember = useCallback(
    async (key: string, userId: number) => {
      const { dispatch } = ref.current;
      const t = target(key);
      if (!t) return;
      dispatch({ type: 'confirmBusy' });
      try {
        await t.client.removeMember(t.groupId, userId);
        dispatch({ type: 'memberRemoved', chatId: t.chatId, userId });
        dispatch({ type: 'confirmDone' });
      } catch (err) {
        fail(err, key, (error) =>
          dispatch({ type: 'confirmFailed', error: `not removed: ${error}` }),
        );
      }
    },
    [target, fail],
  );

  const leaveGroup = useCallback(
    async (key: string) => {
      const { dispatch } = ref.current;
      const t = target(key);
      if (!t) return;
      dispatch({ type: 'confirmBusy' });
      try {
        await t.client.leaveGroup(t.groupId);
        // The chat goes, and with it the panel and this confirmation.
        dispatch({ type: 'groupLeft', chatId: t.chatId });
      } catch (err) {
        fail(err, key, (error) =>
          dispatch({ type: 'confirmFailed', error: `still a member: ${error}` }),
        );
      }
    },
    [target, fail],
  );

  return useMemo(
    () => ({ addMember, renameGroup, removeMember, leaveGroup }),
    [addMember, renameGroup, removeMember, leaveGroup],
  );
}
