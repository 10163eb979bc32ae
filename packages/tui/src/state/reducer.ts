/**
 * The one reducer of the TUI: every SDK answer, subscription event and key press becomes an
 * action here. Pure: no I/O, no clock (times come in the actions).
 */
import {
  groupCreated,
  historyAround,
  historyLoaded,
  open,
  openAt,
  sendSucceeded,
  startDirect,
  updateChat,
  withSummaries,
} from './chat-actions.js';
import { applyAttachment, chosenAgain } from './attachments.js';
import { chatKey, moveToFront, unreadAfter } from './chats.js';
import { applyCompletion, editDraft } from './completion.js';
import { applyCompose, leaveMessages } from './compose.js';
import { applyDialog } from './dialogs.js';
import { applyEvents } from './events.js';
import { EMPTY_FIELD, editField, fieldOf } from './field.js';
import { applyLogin, emptyLogin } from './login.js';
import { chatGone, groupUpdated, memberRemoved } from './membership.js';
import { applyPanel, membersSettled } from './panels.js';
import { nextUnreadKey, visibleOrder } from './selectors.js';
import { applyThread, updateThread } from './threads.js';
import type { Action, ChatState, EditOp, EditTarget, Focus, State } from './types.js';
import { settleMentions } from './unread.js';

export function initialState(): State {
  return {
    phase: 'starting',
    login: emptyLogin(),
    isLoaded: false,
    users: {},
    chats: {},
    order: [],
    sort: 'recent',
    focus: 'list',
    connection: 'connecting',
    hasConnected: false,
    typing: [],
    listReloads: 0,
    previews: {},
  };
}

export function reducer(state: State, action: Action): State {
  switch (action.type) {
    case 'loginNeeded':
    case 'loginField':
    case 'loginStarted':
    case 'loginFailed':
    case 'sessionReady':
    case 'sessionExpired':
      return applyLogin(state, action, initialState);
    case 'dialogOpen':
    case 'dialogClose':
    case 'dialogMove':
    case 'dialogResults':
    case 'dialogField':
    case 'groupToggleMember':
    case 'groupStarted':
    case 'groupFailed':
      return applyDialog(state, action);
    case 'messageSelect':
    case 'editStart':
    case 'editCancel':
    case 'editSaving':
    case 'editFailed':
    case 'messageEdited':
    case 'messageDeleted':
    case 'replyStart':
    case 'replyCancel':
    case 'pickerOpen':
    case 'pickerMove':
    case 'pickerClose':
    case 'reactionsSet':
    case 'scrollTo':
      return applyCompose(state, action);
    case 'searchStarted':
    case 'searchResults':
    case 'searchFailed':
    case 'membersOpen':
    case 'membersMode':
    case 'membersMove':
    case 'membersBusy':
    case 'membersFailed':
    case 'confirmOpen':
    case 'confirmBusy':
    case 'confirmFailed':
    case 'confirmDone':
      return applyPanel(state, action);
    case 'attachOpen':
    case 'attachCompleted':
    case 'attachBusy':
    case 'attachFailed':
    case 'attachAdded':
    case 'filesDropped':
    case 'uploadProgress':
    case 'fileUploaded':
    case 'uploadStopped':
    case 'attachmentMove':
    case 'previewsStarted':
    case 'previewLoaded':
    case 'previewFailed':
    case 'previewsLost':
      return applyAttachment(state, action);
    case 'groupUpdated':
      return membersSettled(groupUpdated(state, action.group));
    case 'memberRemoved':
      return memberRemoved(state, action.chatId, action.userId);
    case 'groupLeft':
      return chatGone(state, chatKey(action.chatId), 'left');
    case 'membershipLost':
      return state.chats[action.key]?.kind === 'group'
        ? chatGone(state, action.key, 'removed')
        : state;
    case 'openAt':
      // A reply: its chat opens with the thread beside it.
      return typeof action.threadId === 'number'
        ? applyThread(state, { type: 'threadOpen', chatId: action.chatId, rootId: action.threadId })
        : openAt(state, action.chatId, action.messageId);
    case 'mentionMove':
    case 'mentionChoose':
    case 'mentionDismiss':
      return applyCompletion(state, action);
    case 'threadOpen':
    case 'threadClose':
    case 'threadHistoryStarted':
    case 'threadHistoryLoaded':
    case 'threadHistoryFailed':
    case 'threadMarkedRead':
    case 'threadsLoaded':
    case 'threadsFailed':
      return applyThread(state, action);
    case 'notifySet':
      return updateChat(state, chatKey(action.chatId), (c) => ({
        ...c,
        notify: { level: action.level, mutedUntil: action.mutedUntil },
      }));
    case 'historyAround':
      return historyAround(state, action);
    case 'loaded': {
      const users = { ...state.users, [action.me.id]: action.me };
      const loaded = { ...state, me: action.me, users, isLoaded: true, position: action.position };
      const next = withSummaries(loaded, action.chats);
      return { ...next, selectedKey: next.selectedKey ?? next.order[0] };
    }
    case 'chatsRefreshed':
      return withSummaries(state, action.chats);
    case 'usersSeen': {
      if (action.users.length === 0) return state;
      const users = { ...state.users };
      for (const u of action.users) users[u.id] = u;
      return { ...state, users };
    }
    case 'events':
      return applyEvents(state, action.events, action.now);
    case 'historyStarted':
      return updateChat(state, action.key, (c) => ({
        ...c,
        isLoading: true,
        loadError: undefined,
      }));
    case 'historyLoaded':
      return historyLoaded(state, action);
    case 'historyFailed':
      return {
        ...updateChat(state, action.key, (c) => ({
          ...c,
          isLoading: false,
          loadError: action.error,
        })),
        notice: { text: action.error, isError: true },
      };
    case 'select': {
      const order = visibleOrder(state);
      if (order.length === 0) return state;
      const at = state.selectedKey === undefined ? -1 : order.indexOf(state.selectedKey);
      const to = Math.min(order.length - 1, Math.max(0, at + action.delta));
      return { ...state, selectedKey: order[to] };
    }
    case 'open':
      return open(state, action.key);
    case 'openNextUnread': {
      const key = nextUnreadKey(state);
      if (key === undefined) return state;
      const opened = open(state, key);
      return {
        ...opened,
        focus: state.focus === 'thread' && !opened.thread ? 'input' : state.focus,
      };
    }
    case 'focus':
      if (action.focus === 'thread' && !state.thread) return state;
      return action.focus !== 'list' && !state.openKey ? state : focus(state, action.focus);
    case 'toggleFocus':
      if (state.focus !== 'list') return focus(state, 'list');
      // With a thread open, Tab goes back and forth between the list and the thread.
      if (state.thread && state.openKey) return focus(state, 'thread');
      if (state.openKey) return focus(state, 'input');
      return state.selectedKey ? open(state, state.selectedKey) : state;
    case 'toggleSort':
      return { ...state, sort: state.sort === 'recent' ? 'unread' : 'recent' };
    case 'scroll': {
      const scrolled = (c: ChatState): ChatState => ({
        ...c,
        scroll: Math.max(0, Math.min(action.max, c.scroll + action.delta)),
      });
      if (action.pane === 'thread') return updateThread(state, scrolled);
      if (!state.openKey) return state;
      return updateChat(state, state.openKey, scrolled);
    }
    case 'edit':
      return edit(state, action.target, action.op);
    case 'sendStarted': {
      const timestamp = new Date(action.now).toISOString();
      const { localId, text, replyTo, attachments, mentions, mentionAll, threadId } = action;
      const sending = {
        localId,
        text,
        timestamp,
        ...(replyTo ? { replyTo } : {}),
        ...(attachments?.length ? { attachments } : {}),
        ...(mentions?.length ? { mentions } : {}),
        ...(mentionAll ? { mentionAll } : {}),
        ...(threadId !== undefined ? { threadId } : {}),
      };
      if (threadId !== undefined) {
        // A reply from the thread pane: its composer empties; the chat's draft stays as it is.
        const next = updateChat(state, action.key, (c) => ({
          ...c,
          pending: [...c.pending, sending],
        }));
        const cleared = updateThread(next, (c) => ({
          ...c,
          draft: EMPTY_FIELD,
          mentions: undefined,
          completion: undefined,
          scroll: 0,
        }));
        return { ...cleared, order: moveToFront(cleared.order, action.key) };
      }
      const next = updateChat(state, action.key, (c) => ({
        // Showing a window in the middle of the history: back to the newest page for the send.
        ...(c.hasNewer
          ? { ...c, messages: [], isLoaded: false, hasNewer: false, hasOlder: false }
          : c),
        pending: [...c.pending, sending],
        draft: EMPTY_FIELD,
        mentions: undefined,
        completion: undefined,
        files: undefined,
        upload: undefined,
        replyTo: undefined,
        selectedId: undefined,
        pickerIndex: undefined,
        scroll: 0,
      }));
      return { ...next, order: moveToFront(next.order, action.key) };
    }
    case 'sendSucceeded':
      return sendSucceeded(state, action.key, action.localId, action.message);
    case 'sendFailed': {
      const { retryOperationId } = action;
      const next = updateChat(state, action.key, (c) => {
        const failed = c.pending.find((p) => p.localId === action.localId);
        // Worth a retry (a rate limit, no answer): it stays, marked, for Ctrl+R with its id. A
        // thread's reply stays marked in its pane too (its composer may be gone).
        const isKept =
          !failed ||
          failed.threadId !== undefined ||
          c.draft.text !== '' ||
          retryOperationId !== undefined;
        if (isKept) {
          const pending = c.pending.map((p) =>
            p.localId === action.localId ? { ...p, error: action.error, retryOperationId } : p,
          );
          return { ...c, pending };
        }
        // Refused for good and the draft is empty: the text comes back, to be edited (and its
        // files, uploaded already, when none are chosen meanwhile).
        const pending = c.pending.filter((p) => p.localId !== action.localId);
        const isFilesBack = failed.attachments?.length && !c.files?.length && !c.upload;
        const files = isFilesBack ? chosenAgain(failed.attachments!) : c.files;
        return { ...c, pending, draft: fieldOf(failed.text), mentions: failed.mentions, files };
      });
      return { ...next, notice: { text: action.error, isError: true } };
    }
    case 'sendRetried':
      return updateChat(state, action.key, (c) => ({
        ...c,
        pending: c.pending.map((p) =>
          p.localId === action.localId ? { ...p, error: undefined } : p,
        ),
        scroll: 0,
      }));
    case 'markedRead':
      return updateChat(state, chatKey(action.chatId), (c) => {
        const readPointer = Math.max(c.readPointer, action.messageId);
        // A window in the middle of the history cannot count what comes after it.
        const unread = c.hasNewer
          ? c.unread
          : c.isLoaded
            ? unreadAfter(c, readPointer, state.me?.id)
            : 0;
        return settleMentions({ ...c, readPointer, unread }, state.me?.id);
      });
    case 'startDirect':
      return startDirect(state, action.user);
    case 'groupCreated':
      return groupCreated(state, action);
    case 'typingExpired': {
      const typing = state.typing.filter((t) => t.until > action.now);
      return typing.length === state.typing.length ? state : { ...state, typing };
    }
    case 'notice':
      return { ...state, notice: { text: action.text, isError: action.isError ?? false } };
    case 'dismissNotice':
      return state.notice ? { ...state, notice: undefined } : state;
  }
}

/** Moves the focus; leaving the messages drops their highlight and picker. */
function focus(state: State, to: Focus): State {
  if (state.focus === 'messages' && to !== 'messages' && state.openKey) {
    return { ...updateChat(state, state.openKey, leaveMessages), focus: to };
  }
  return { ...state, focus: to };
}

function edit(state: State, target: EditTarget, op: EditOp): State {
  if (target === 'draft') {
    if (!state.openKey) return state;
    return updateChat(state, state.openKey, (c) => editDraft(c, op));
  }
  if (target === 'thread.draft') return updateThread(state, (c) => editDraft(c, op));
  // Only the draft holds line breaks; a paste into a one-line field gets spaces instead.
  const oneLine =
    op.kind === 'insert' || op.kind === 'set'
      ? { ...op, text: op.text.replace(/\r?\n|\r/g, ' ') }
      : op;
  if (target === 'dialog.query' || target === 'dialog.name') {
    return applyDialog(state, { type: 'dialogEdit', target, op: oneLine });
  }
  if (target === 'dialog.path') return applyAttachment(state, { type: 'attachEdit', op: oneLine });
  const name = target.slice('login.'.length) as 'email' | 'password' | 'hosts';
  return { ...state, login: { ...state.login, [name]: editField(state.login[name], oneLine) } };
}
