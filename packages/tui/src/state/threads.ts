/**
 * The thread pane's part of the reducer: opening a thread of the open chat, its history, its
 * read pointer, and the Threads view (followed threads with unread replies). The pane holds the
 * root and its replies as a chat of their own, so the message helpers apply to it unchanged;
 * live events reach it through `inThreadPane`. Pure.
 */
import { open, updateChat } from './chat-actions.js';
import { chatKey, emptyChat, mergeMessages } from './chats.js';
import { findMessage, patchMessage } from './messages.js';
import type { Action, ChatState, State, ThreadPane } from './types.js';

export type ThreadAction = Extract<
  Action,
  {
    type:
      | 'threadOpen'
      | 'threadClose'
      | 'threadHistoryStarted'
      | 'threadHistoryLoaded'
      | 'threadHistoryFailed'
      | 'threadMarkedRead'
      | 'threadsLoaded'
      | 'threadsFailed';
  }
>;

/** The pane of thread `rootId` of `chat`, empty until its history loads (the root shows at once when held). */
function newPane(chat: ChatState, rootId: number, root: ChatState['messages'][number] | undefined) {
  const pane: ThreadPane = {
    key: chat.key,
    rootId,
    chat: {
      ...emptyChat(`t${rootId}`, chat.kind, chat.title),
      chatId: chat.chatId,
      memberIds: chat.memberIds,
      messages: root ? [root] : [],
    },
    readUpTo: 0,
  };
  return pane;
}

/** Applies `change` to the thread pane's messages when it shows a thread of chat `chatId`. */
export function inThreadPane(
  state: State,
  chatId: number,
  change: (chat: ChatState) => ChatState,
): State {
  const thread = state.thread;
  if (!thread || thread.key !== chatKey(chatId)) return state;
  const next = change(thread.chat);
  return next === thread.chat ? state : { ...state, thread: { ...thread, chat: next } };
}

/** Changes the thread pane's chat (its draft, scroll …), if one is open. */
export function updateThread(state: State, change: (chat: ChatState) => ChatState): State {
  const thread = state.thread;
  return thread ? { ...state, thread: { ...thread, chat: change(thread.chat) } } : state;
}

/** What the thread pane draws: its messages, and the chat's unsent replies in this thread. */
export function threadChat(state: State): ChatState | undefined {
  const thread = state.thread;
  if (!thread) return undefined;
  const pending = state.chats[thread.key]?.pending.filter((p) => p.threadId === thread.rootId);
  return { ...thread.chat, pending: pending ?? [] };
}

/** The thread's root as held (by the pane, else by the chat). */
export function threadRoot(state: State): ChatState['messages'][number] | undefined {
  const thread = state.thread;
  if (!thread) return undefined;
  const chat = state.chats[thread.key];
  return (
    findMessage(thread.chat, thread.rootId) ?? (chat ? findMessage(chat, thread.rootId) : undefined)
  );
}

function sameThread(state: State, rootId: number, change: (t: ThreadPane) => ThreadPane): State {
  return state.thread?.rootId === rootId ? { ...state, thread: change(state.thread) } : state;
}

type Threads = Extract<NonNullable<State['dialog']>, { kind: 'threads' }>;

function threadsDialog(state: State, change: (d: Threads) => Threads): State {
  return state.dialog?.kind === 'threads' ? { ...state, dialog: change(state.dialog) } : state;
}

export function applyThread(state: State, action: ThreadAction): State {
  switch (action.type) {
    case 'threadOpen': {
      const key = chatKey(action.chatId);
      const chat = state.chats[key];
      if (!chat) return state;
      const base = { ...state, dialog: undefined };
      if (state.thread?.key === key && state.thread.rootId === action.rootId) {
        return { ...base, openKey: key, selectedKey: key, focus: 'thread' };
      }
      const opened = state.openKey === key ? base : open(base, key);
      const root = action.root ?? findMessage(chat, action.rootId);
      const thread = newPane(opened.chats[key]!, action.rootId, root);
      // Leaving the pane's highlight: the thread has the keys now.
      const chats = updateChat(opened, key, (c) => ({
        ...c,
        selectedId: undefined,
        pickerIndex: undefined,
      })).chats;
      return { ...opened, chats, thread, focus: 'thread' };
    }
    case 'threadClose': {
      if (!state.thread) return state;
      const focus = state.focus === 'thread' ? (state.openKey ? 'input' : 'list') : state.focus;
      return { ...state, thread: undefined, focus };
    }
    case 'threadHistoryStarted':
      return sameThread(state, action.rootId, (t) => ({
        ...t,
        chat: { ...t.chat, isLoading: true, loadError: undefined },
      }));
    case 'threadHistoryLoaded': {
      const next = sameThread(state, action.rootId, (t) => {
        const isFullPage = action.messages.length >= action.limit;
        return {
          ...t,
          chat: {
            ...t.chat,
            messages: mergeMessages(t.chat.messages, action.messages),
            isLoaded: true,
            isLoading: false,
            hasOlder: action.mode === 'older' || !t.chat.isLoaded ? isFullPage : t.chat.hasOlder,
          },
        };
      });
      // The root as the server has it now: the chat's copy takes its summary too.
      const root = action.messages.find((m) => m.id === action.rootId);
      if (!root?.thread || !next.thread) return next;
      return updateChat(next, next.thread.key, (c) =>
        patchMessage(c, root.id, (m) => ({ ...m, thread: root.thread })),
      );
    }
    case 'threadHistoryFailed':
      return {
        ...sameThread(state, action.rootId, (t) => ({
          ...t,
          chat: { ...t.chat, isLoading: false, loadError: action.error },
        })),
        notice: { text: action.error, isError: true },
      };
    case 'threadMarkedRead':
      return sameThread(state, action.rootId, (t) => ({
        ...t,
        readUpTo: Math.max(t.readUpTo, action.messageId),
      }));
    case 'threadsLoaded':
      return threadsDialog(state, (d) => ({
        ...d,
        results: action.threads,
        index: Math.min(d.index, Math.max(0, action.threads.length - 1)),
        isLoading: false,
        error: undefined,
      }));
    case 'threadsFailed':
      return threadsDialog(state, (d) => ({ ...d, isLoading: false, error: action.error }));
  }
}
