/**
 * Files in the reducer: the path prompt (Ctrl+O), the files chosen for the next message and
 * their upload, the file of a picked message that `s`/`o` act on, and image previews. Pure.
 */
import type { FileObject } from '@msgr/sdk';
import { updateChat } from './chat-actions.js';
import { leaveMessages } from './compose.js';
import { EMPTY_FIELD, editField } from './field.js';
import { findMessage } from './messages.js';
import type { Action, ChatState, ChosenFile, Dialog, EditOp, Preview, State } from './types.js';

/** The most files one message carries (the server's `attachments_per_message` default). */
export const MAX_FILES = 10;

export type AttachmentAction =
  | Extract<
      Action,
      {
        type:
          | 'attachOpen'
          | 'attachCompleted'
          | 'attachBusy'
          | 'attachFailed'
          | 'attachAdded'
          | 'filesDropped'
          | 'uploadProgress'
          | 'fileUploaded'
          | 'uploadStopped'
          | 'attachmentMove'
          | 'previewsStarted'
          | 'previewLoaded'
          | 'previewFailed'
          | 'previewsLost';
      }
    >
  | { type: 'attachEdit'; op: EditOp };

type Attach = Extract<Dialog, { kind: 'attach' }>;

function attach(state: State, change: (d: Attach) => Attach): State {
  return state.dialog?.kind === 'attach' ? { ...state, dialog: change(state.dialog) } : state;
}

/** A message's files (none for a tombstone). */
export function filesOf(message: { attachments?: FileObject[]; deleted?: boolean }): FileObject[] {
  return message.deleted ? [] : (message.attachments ?? []);
}

/** The file of the picked message that `s` and `o` act on, if it has any. */
export function pickedFile(chat: ChatState): FileObject | undefined {
  const message = chat.selectedId === undefined ? undefined : findMessage(chat, chat.selectedId);
  const files = message ? filesOf(message) : [];
  return files[Math.min(chat.attachmentIndex ?? 0, files.length - 1)];
}

/** What a refused send gives back to the composer: its files, already uploaded. */
export function chosenAgain(files: FileObject[]): ChosenFile[] {
  return files.map((file) => ({ path: '', name: file.name, size: file.size, file }));
}

function open(state: State): State {
  const chat = state.openKey === undefined ? undefined : state.chats[state.openKey];
  if (!chat) return state;
  const notice = (text: string): State => ({ ...state, notice: { text, isError: true } });
  if (chat.editing) return notice('Files go with new messages: finish the edit first (Esc)');
  if (chat.upload) return notice('Uploading: wait, or Esc cancels');
  if ((chat.files?.length ?? 0) >= MAX_FILES) return notice(`At most ${MAX_FILES} files a message`);
  return {
    ...state,
    dialog: { kind: 'attach', key: chat.key, path: EMPTY_FIELD, candidates: [], isBusy: false },
  };
}

/** The file joins the chat's chosen ones; in the open chat, the cursor goes to its input. */
function added(state: State, key: string, file: ChosenFile): State {
  const closed: State = state.dialog?.kind === 'attach' ? { ...state, dialog: undefined } : state;
  const isOpen = state.openKey === key;
  const next = updateChat(closed, key, (c) => {
    const files = (c.files ?? []).filter((f) => f.path !== file.path);
    const chat = { ...c, files: [...files, file].slice(0, MAX_FILES) };
    return isOpen ? leaveMessages(chat) : chat;
  });
  return isOpen ? { ...next, focus: 'input' } : next;
}

function dropped(chat: ChatState, which: 'last' | 'all'): ChatState {
  if (chat.upload || !chat.files?.length) return chat;
  return { ...chat, files: which === 'all' ? [] : chat.files.slice(0, -1) };
}

function moveAttachment(chat: ChatState, delta: number): ChatState {
  const message = chat.selectedId === undefined ? undefined : findMessage(chat, chat.selectedId);
  const count = message ? filesOf(message).length : 0;
  if (count < 2) return chat;
  const at = ((((chat.attachmentIndex ?? 0) + delta) % count) + count) % count;
  return { ...chat, attachmentIndex: at };
}

export function applyAttachment(state: State, action: AttachmentAction): State {
  switch (action.type) {
    case 'attachOpen':
      return open(state);
    case 'attachEdit':
      return attach(state, (d) => ({ ...d, path: editField(d.path, action.op), error: undefined }));
    case 'attachCompleted':
      return attach(state, (d) => {
        if (d.path.text !== action.path) return d; // typed on since: an answer to an old path
        const path =
          action.text === undefined
            ? d.path
            : editField(d.path, { kind: 'set', text: action.text });
        return { ...d, path, candidates: action.candidates, isBusy: false, error: undefined };
      });
    case 'attachBusy':
      return attach(state, (d) => ({ ...d, isBusy: true, error: undefined }));
    case 'attachFailed':
      return attach(state, (d) => ({ ...d, isBusy: false, error: action.error }));
    case 'attachAdded':
      return added(state, action.key, action.file);
    case 'filesDropped':
      return state.openKey === undefined
        ? state
        : updateChat(state, state.openKey, (c) => dropped(c, action.which));
    case 'uploadProgress':
      return updateChat(state, action.key, (c) => ({
        ...c,
        upload: { index: action.index, sent: action.sent, total: action.total },
      }));
    case 'fileUploaded':
      return updateChat(state, action.key, (c) => ({
        ...c,
        files: c.files?.map((f, i) => (i === action.index ? { ...f, file: action.file } : f)),
      }));
    case 'uploadStopped': {
      const next = updateChat(state, action.key, (c) => ({ ...c, upload: undefined }));
      const text = action.error ?? 'Upload cancelled: the files wait above the input';
      return { ...next, notice: { text, isError: action.error !== undefined } };
    }
    case 'attachmentMove':
      return state.openKey === undefined
        ? state
        : updateChat(state, state.openKey, (c) => moveAttachment(c, action.delta));
    case 'previewsStarted': {
      const previews = { ...state.previews };
      for (const id of action.fileIds) previews[id] ??= { status: 'loading' };
      return { ...state, previews };
    }
    case 'previewLoaded': {
      const preview: Preview = action.kitty
        ? { status: 'ready', kitty: action.kitty }
        : { status: 'ready', cells: action.cells };
      return { ...state, previews: { ...state.previews, [action.fileId]: preview } };
    }
    case 'previewFailed':
      return {
        ...state,
        previews: { ...state.previews, [action.fileId]: { status: 'failed' } },
      };
    case 'previewsLost': {
      // Half blocks are text and stay; the kitty images are gone from the terminal.
      const previews = Object.fromEntries(
        Object.entries(state.previews).filter(([, p]) => p.status !== 'ready' || !p.kitty),
      );
      return { ...state, previews };
    }
  }
}
