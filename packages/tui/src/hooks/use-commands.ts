import type { FileObject, MessengerClient } from '@msgr/sdk';
import { useApp, useStdin, useStdout } from 'ink';
import { useCallback, useRef, type RefObject } from 'react';
import { editText } from '../editor.js';
import {
  describe,
  isNotMember,
  isSessionGone,
  retryOperationIdOf,
  sendFailure,
} from '../failures.js';
import { ENABLE_BRACKETED_PASTE } from '../state/chunks.js';
import type { KittyImages } from '../preview/kitty.js';
import type { Command } from '../state/keymap.js';
import { mentionsToSend } from '../state/mentions.js';
import { openChat } from '../state/selectors.js';
import type { ChatState, DraftMention, State } from '../state/types.js';
import { CLEAR_SCREEN, ENTER_ALT_SCREEN, LEAVE_ALT_SCREEN } from '../terminal.js';
import { useGroupCommands } from './use-group-commands.js';
import { useMessageCommands } from './use-message-commands.js';
import { useNotifyCommands } from './use-notify-commands.js';
import { useAttachCommands } from './use-attach-commands.js';
import { useFileCommands, type FileSettings } from './use-file-commands.js';
import type { Dispatch } from './use-store.js';
import { useUploads } from './use-uploads.js';

export interface CommandDeps {
  client: MessengerClient | undefined;
  stateRef: RefObject<State>;
  dispatch: Dispatch;
  login: (email: string, password: string, hostsText: string) => Promise<void>;
  /** The editor command line for Ctrl+X. */
  editor: string;
  /** Raw writes to the terminal, outside Ink's frames. */
  write: (data: string) => void;
  /** The kitty images sent (previews drawn with kitty graphics). */
  kittyImages?: KittyImages;
  /** Where `~` and relative paths point, where files are saved, what opens them. */
  files: FileSettings;
}

/** Carries out the keymap's commands: the intents that talk to the server or the terminal. */
export function useCommands(deps: CommandDeps): (command: Command) => Promise<void> {
  const { exit } = useApp();
  const { stdin, isRawModeSupported } = useStdin();
  const { write: writeThroughInk } = useStdout();
  const depsRef = useRef(deps);
  depsRef.current = deps;
  const localIds = useRef(0);
  const messages = useMessageCommands(deps.client, deps.stateRef, deps.dispatch);
  const groups = useGroupCommands(deps.client, deps.stateRef, deps.dispatch);
  const attach = useAttachCommands(deps.stateRef, deps.dispatch, deps.files);
  const uploads = useUploads(deps.client, deps.dispatch);
  const saveFile = useFileCommands(deps.client, deps.dispatch, deps.files);
  const cycleNotifications = useNotifyCommands(deps.client, deps.stateRef, deps.dispatch);

  const fail = useCallback((err: unknown, onOther: (text: string) => void) => {
    if (isSessionGone(err))
      depsRef.current.dispatch({ type: 'sessionExpired', error: describe(err) });
    else onOther(describe(err));
  }, []);

  /** Sends one message of the open chat (new, or again with the operation id it had). */
  const deliver = useCallback(
    async (
      chat: ChatState,
      localId: number,
      text: string,
      {
        operationId,
        replyTo,
        attachments,
        mentions,
        mentionAll,
        threadId,
      }: {
        operationId?: number;
        replyTo?: number;
        attachments?: FileObject[];
        mentions?: DraftMention[];
        mentionAll?: boolean;
        threadId?: number;
      } = {},
    ) => {
      const { client, dispatch } = depsRef.current;
      if (!client) return;
      try {
        const ids = attachments?.map((f) => f.id);
        const options = {
          operationId,
          replyTo,
          ...(ids?.length ? { attachments: ids } : {}),
          ...(mentions?.length ? { mentions: mentions.map((m) => m.userId) } : {}),
          ...(mentionAll ? { mentionAll } : {}),
          ...(threadId !== undefined ? { threadId } : {}),
        };
        const message =
          chat.kind === 'group'
            ? await client.sendToGroup(chat.groupId!, text, options)
            : await client.sendToUser(chat.peerUserId!, text, options);
        // The server does not echo this device's messages over the socket: this is our copy.
        dispatch({ type: 'sendSucceeded', key: chat.key, localId, message });
      } catch (err) {
        if (isSessionGone(err)) {
          dispatch({ type: 'sessionExpired', error: describe(err) });
          return;
        }
        if (isNotMember(err) && chat.kind === 'group') {
          dispatch({ type: 'membershipLost', key: chat.key });
          return;
        }
        const retryOperationId = retryOperationIdOf(err);
        const error = sendFailure(err);
        dispatch({ type: 'sendFailed', key: chat.key, localId, error, retryOperationId });
      }
    },
    [],
  );

  /** Enter in the thread pane: a reply in its thread, naming whom it names. */
  const sendReply = useCallback(async () => {
    const { client, stateRef, dispatch } = depsRef.current;
    const state = stateRef.current;
    const thread = state.thread;
    const chat = thread && state.chats[thread.key];
    if (!client || !thread || !chat) return;
    const text = thread.chat.draft.text;
    if (text.trim() === '') return;
    const { mentions, mentionAll } = mentionsToSend(
      { kind: chat.kind, mentions: thread.chat.mentions },
      text,
    );
    const threadId = thread.rootId;
    const localId = ++localIds.current;
    dispatch({
      type: 'sendStarted',
      key: chat.key,
      localId,
      text,
      now: Date.now(),
      mentions,
      mentionAll,
      threadId,
    });
    await deliver(chat, localId, text, { mentions, mentionAll, threadId });
  }, [deliver]);

  const send = useCallback(async () => {
    const { client, stateRef, dispatch } = depsRef.current;
    if (stateRef.current.focus === 'thread') return sendReply();
    const chat = openChat(stateRef.current);
    if (chat?.editing) return messages.saveEdit(chat);
    const draft = chat?.draft.text ?? '';
    const hasFiles = (chat?.files?.length ?? 0) > 0;
    if (!client || !chat || chat.upload || (draft.trim() === '' && !hasFiles)) return;
    // Files alone make a message: a draft of only spaces goes as no text.
    const text = hasFiles && draft.trim() === '' ? '' : draft;
    const { replyTo } = chat;
    // Whom it names: the people picked with `@` whose `@Name` is still in the text.
    const { mentions, mentionAll } = mentionsToSend(chat, text);
    // The files go up first (progress above the input; Esc cancels), then the message.
    const attachments = hasFiles ? await uploads.upload(chat) : undefined;
    if (hasFiles && !attachments) return;
    const localId = ++localIds.current;
    dispatch({
      type: 'sendStarted',
      key: chat.key,
      localId,
      text,
      now: Date.now(),
      replyTo,
      attachments,
      mentions,
      mentionAll,
    });
    await deliver(chat, localId, text, { replyTo, attachments, mentions, mentionAll });
  }, [deliver, messages, uploads, sendReply]);

  const retry = useCallback(async () => {
    const { client, stateRef, dispatch } = depsRef.current;
    const chat = openChat(stateRef.current);
    if (!client || !chat) return;
    const failed = chat.pending.filter((p) => p.error && p.retryOperationId !== undefined);
    // In order, one at a time: a rate limit met by the first is met by the rest too.
    for (const p of failed) {
      dispatch({ type: 'sendRetried', key: chat.key, localId: p.localId });
      await deliver(chat, p.localId, p.text, {
        operationId: p.retryOperationId,
        replyTo: p.replyTo,
        attachments: p.attachments,
        mentions: p.mentions,
        mentionAll: p.mentionAll,
        threadId: p.threadId,
      });
    }
  }, [deliver]);

  const createGroup = useCallback(async () => {
    const { client, stateRef, dispatch } = depsRef.current;
    const dialog = stateRef.current.dialog;
    if (!client || dialog?.kind !== 'group') return;
    const name = dialog.name.text.trim();
    if (name === '') {
      dispatch({ type: 'groupFailed', error: 'the group needs a name' });
      dispatch({ type: 'dialogField', field: 'name' });
      return;
    }
    dispatch({ type: 'groupStarted' });
    try {
      const participantUserIds = dialog.members.map((m) => m.id);
      const group = await client.createGroup({ name, participantUserIds });
      dispatch({ type: 'groupCreated', group });
    } catch (err) {
      fail(err, (error) => dispatch({ type: 'groupFailed', error }));
    }
  }, [fail]);

  const compose = useCallback(() => {
    const { stateRef, dispatch, editor, write, kittyImages } = depsRef.current;
    const chat = openChat(stateRef.current);
    if (!chat) return;
    // Hand the terminal to the editor: main screen, cooked mode; then take it back and
    // repaint everything (Ink writes only what changed otherwise). The kitty images live on
    // the alternate screen, which kitty clears of them when it is entered again: they are
    // deleted on the way out and sent again (fetched anew) once back.
    write((kittyImages?.deleteAll() ?? '') + LEAVE_ALT_SCREEN);
    if (isRawModeSupported) stdin.setRawMode(false);
    const result = editText(editor, chat.draft.text);
    if (isRawModeSupported) stdin.setRawMode(true);
    write(ENTER_ALT_SCREEN + ENABLE_BRACKETED_PASTE);
    writeThroughInk(CLEAR_SCREEN);
    if (kittyImages) dispatch({ type: 'previewsLost' });
    if ('error' in result) dispatch({ type: 'notice', text: result.error, isError: true });
    else dispatch({ type: 'edit', target: 'draft', op: { kind: 'set', text: result.text } });
  }, [stdin, isRawModeSupported, writeThroughInk]);

  /** Carries out what the confirmation dialog asked about. */
  const confirmed = useCallback(async () => {
    const dialog = depsRef.current.stateRef.current.dialog;
    if (dialog?.kind !== 'confirm' || dialog.isBusy) return;
    const { command } = dialog;
    switch (command.type) {
      case 'deleteMessage':
        return messages.deleteMessage(command.key, command.messageId);
      case 'removeMember':
        return groups.removeMember(command.key, command.userId);
      case 'leaveGroup':
        return groups.leaveGroup(command.key);
    }
  }, [messages, groups]);

  return useCallback(
    async (command: Command) => {
      const { stateRef, login } = depsRef.current;
      switch (command.type) {
        case 'send':
          return send();
        case 'retry':
          return retry();
        case 'createGroup':
          return createGroup();
        case 'editor':
          return compose();
        case 'react':
          return messages.react(command.key, command.messageId, command.emoji, command.isAdding);
        case 'addMember':
          return groups.addMember(command.key, command.userId);
        case 'renameGroup':
          return groups.renameGroup(command.key);
        case 'confirmed':
          return confirmed();
        case 'completePath':
          return attach.complete();
        case 'choosePath':
          return attach.choose();
        case 'cancelUpload':
          uploads.cancel(command.key);
          return;
        case 'saveFile':
          return saveFile(command.file, command.isOpening);
        case 'cycleNotifications':
          return cycleNotifications(command.key);
        case 'login': {
          const form = stateRef.current.login;
          return login(form.email.text, form.password.text, form.hosts.text);
        }
        case 'quit':
          exit();
          return;
      }
    },
    [
      send,
      retry,
      createGroup,
      compose,
      confirmed,
      messages,
      groups,
      attach,
      uploads,
      saveFile,
      cycleNotifications,
      exit,
    ],
  );
}
