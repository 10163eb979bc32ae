/**
 * The open chat's message actions: highlighting a message, editing, replying, the reaction
 * picker, and the answers that change a message. Pure.
 */
import { updateChat } from './chat-actions.js';
import { chatKey } from './chats.js';
import { fieldOf } from './field.js';
import {
  PICKER_EMOJI,
  applyDelete,
  applyEdit,
  canEdit,
  findMessage,
  lastOwnMessage,
  setReactions,
  topLevel,
} from './messages.js';
import { mentionsOf } from './mentions.js';
import type { Action, ChatState, State } from './types.js';

export type ComposeAction = Extract<
  Action,
  {
    type:
      | 'messageSelect'
      | 'editStart'
      | 'editCancel'
      | 'editSaving'
      | 'editFailed'
      | 'messageEdited'
      | 'messageDeleted'
      | 'replyStart'
      | 'replyCancel'
      | 'pickerOpen'
      | 'pickerMove'
      | 'pickerClose'
      | 'reactionsSet'
      | 'scrollTo';
  }
>;

function inOpenChat(state: State, change: (chat: ChatState) => ChatState): State {
  return state.openKey === undefined ? state : updateChat(state, state.openKey, change);
}

/** The edit ends (saved or cancelled): the draft and the reply that waited aside come back. */
function endEdit(chat: ChatState): ChatState {
  if (!chat.editing) return chat;
  const { savedDraft, savedReplyTo, savedMentions } = chat.editing;
  return {
    ...chat,
    editing: undefined,
    draft: savedDraft,
    replyTo: savedReplyTo,
    mentions: savedMentions,
    completion: undefined,
  };
}

/** Focus leaves the messages: no highlight, no picker. */
export function leaveMessages(chat: ChatState): ChatState {
  return chat.selectedId === undefined && chat.pickerIndex === undefined
    ? chat
    : { ...chat, selectedId: undefined, pickerIndex: undefined, attachmentIndex: undefined };
}

function select(state: State, delta = 0, edge?: 'first' | 'last'): State {
  const chat = state.openKey === undefined ? undefined : state.chats[state.openKey];
  // The pane shows the top-level messages: thread replies are picked in their thread.
  const ids = chat ? topLevel(chat.messages).map((m) => m.id) : [];
  if (!chat || ids.length === 0) return state;
  const at = chat.selectedId === undefined ? -1 : ids.indexOf(chat.selectedId);
  let to: number;
  if (edge === 'first') to = 0;
  else if (edge === 'last' || at === -1 || state.focus !== 'messages') to = ids.length - 1;
  else to = Math.min(ids.length - 1, Math.max(0, at + delta));
  return {
    ...updateChat(state, chat.key, (c) => ({
      ...c,
      selectedId: ids[to],
      pickerIndex: undefined,
      attachmentIndex: c.selectedId === ids[to] ? c.attachmentIndex : undefined,
    })),
    focus: 'messages',
  };
}

export function applyCompose(state: State, action: ComposeAction): State {
  const meId = state.me?.id;
  switch (action.type) {
    case 'messageSelect':
      return select(state, action.delta, action.edge);
    case 'editStart': {
      const chat = state.openKey === undefined ? undefined : state.chats[state.openKey];
      if (!chat) return state;
      const message =
        action.messageId === undefined
          ? lastOwnMessage(chat, meId)
          : findMessage(chat, action.messageId);
      if (!message || !canEdit(message, meId)) return state;
      const base = endEdit(chat);
      const editing = {
        messageId: message.id,
        savedDraft: base.draft,
        savedReplyTo: base.replyTo,
        savedMentions: base.mentions,
        isSaving: false,
      };
      const next = leaveMessages({
        ...base,
        editing,
        draft: fieldOf(message.text),
        // Whom it names stays named while their `@Name` stays in the text.
        mentions: mentionsOf(state, message),
        completion: undefined,
        replyTo: undefined,
      });
      return { ...updateChat(state, chat.key, () => next), focus: 'input' };
    }
    case 'editCancel':
      return inOpenChat(state, endEdit);
    case 'editSaving':
      return inOpenChat(state, (c) =>
        c.editing ? { ...c, editing: { ...c.editing, isSaving: true } } : c,
      );
    case 'editFailed':
      return {
        ...updateChat(state, action.key, (c) =>
          c.editing ? { ...c, editing: { ...c.editing, isSaving: false } } : c,
        ),
        notice: { text: action.error, isError: true },
      };
    case 'messageEdited':
      return updateChat(state, chatKey(action.message.chat_id), (c) => {
        const edited = applyEdit(c, action.message);
        return c.editing?.messageId === action.message.id ? endEdit(edited) : edited;
      });
    case 'messageDeleted':
      return updateChat(state, chatKey(action.chatId), (c) =>
        applyDelete(c, action.messageId, meId),
      );
    case 'replyStart': {
      const chat = state.openKey === undefined ? undefined : state.chats[state.openKey];
      const message = chat && findMessage(chat, action.messageId);
      if (!chat || !message || message.deleted) return state;
      const next = leaveMessages({ ...endEdit(chat), replyTo: message.id });
      return { ...updateChat(state, chat.key, () => next), focus: 'input' };
    }
    case 'replyCancel':
      return inOpenChat(state, (c) => (c.replyTo === undefined ? c : { ...c, replyTo: undefined }));
    case 'pickerOpen':
      return inOpenChat(state, (c) => {
        const message = c.selectedId === undefined ? undefined : findMessage(c, c.selectedId);
        return message && !message.deleted ? { ...c, pickerIndex: 0 } : c;
      });
    case 'pickerMove':
      return inOpenChat(state, (c) => {
        if (c.pickerIndex === undefined) return c;
        const n = PICKER_EMOJI.length;
        return { ...c, pickerIndex: (((c.pickerIndex + action.delta) % n) + n) % n };
      });
    case 'pickerClose':
      return inOpenChat(state, (c) => ({ ...c, pickerIndex: undefined }));
    case 'reactionsSet':
      return updateChat(state, chatKey(action.chatId), (c) =>
        setReactions(c, action.messageId, action.reactions),
      );
    case 'scrollTo':
      return inOpenChat(state, (c) =>
        c.scroll === action.scroll ? c : { ...c, scroll: Math.max(0, action.scroll) },
      );
  }
}
