/**
 * The dialogs that act on what exists: message search, a group's members panel and the
 * confirmation asked before deleting, removing or leaving. Pure.
 */
import { EMPTY_FIELD, fieldOf } from './field.js';
import type { Action, Dialog, State } from './types.js';

export type PanelAction = Extract<
  Action,
  {
    type:
      | 'searchStarted'
      | 'searchResults'
      | 'searchFailed'
      | 'membersOpen'
      | 'membersMode'
      | 'membersMove'
      | 'membersBusy'
      | 'membersFailed'
      | 'confirmOpen'
      | 'confirmBusy'
      | 'confirmFailed'
      | 'confirmDone';
  }
>;

type Search = Extract<Dialog, { kind: 'search' }>;
type Members = Extract<Dialog, { kind: 'members' }>;
type Confirm = Extract<Dialog, { kind: 'confirm' }>;

/** The trimmed query a search answers (what the results are filed under). */
export const searchQuery = (dialog: Search): string => dialog.query.text.trim();

/**
 * The id to search before when the search wants its next page (the highlight reached the last
 * result of a full page); undefined otherwise, and while the query changed since its results.
 */
export function wantsMoreResults(dialog: Search): number | undefined {
  if (!dialog.hasMore || dialog.resultsFor !== searchQuery(dialog)) return;
  if (dialog.index < dialog.results.length - 1) return;
  return dialog.results[dialog.results.length - 1]?.id;
}

function search(state: State, change: (d: Search) => Search): State {
  return state.dialog?.kind === 'search' ? { ...state, dialog: change(state.dialog) } : state;
}

function members(state: State, change: (d: Members) => Members): State {
  return state.dialog?.kind === 'members' ? { ...state, dialog: change(state.dialog) } : state;
}

function confirm(state: State, change: (d: Confirm) => Confirm): State {
  return state.dialog?.kind === 'confirm' ? { ...state, dialog: change(state.dialog) } : state;
}

export function applyPanel(state: State, action: PanelAction): State {
  switch (action.type) {
    case 'searchStarted':
      return search(state, (d) => ({ ...d, isLoading: true, error: undefined }));
    case 'searchResults':
      return search(state, (d) => {
        if (action.query !== searchQuery(d)) return d; // an answer to an older query
        const isSame = action.isMore && d.resultsFor === action.query;
        const results = isSame ? [...d.results, ...action.messages] : action.messages;
        return {
          ...d,
          results,
          resultsFor: action.query,
          index: isSame ? d.index : 0,
          isLoading: false,
          hasMore: action.messages.length >= action.limit,
        };
      });
    case 'searchFailed':
      return search(state, (d) =>
        action.query === searchQuery(d) ? { ...d, isLoading: false, error: action.error } : d,
      );
    case 'membersOpen': {
      const chat = state.chats[action.key];
      if (chat?.kind !== 'group' || chat.groupId === undefined) return state;
      return {
        ...state,
        dialog: {
          kind: 'members',
          key: action.key,
          mode: 'list',
          memberIndex: 0,
          query: EMPTY_FIELD,
          results: [],
          index: 0,
          name: EMPTY_FIELD,
          isBusy: false,
        },
      };
    }
    case 'membersMode':
      return members(state, (d) => ({
        ...d,
        mode: action.mode,
        error: undefined,
        query: EMPTY_FIELD,
        index: 0,
        // Renaming starts from the name it has.
        name: action.mode === 'rename' ? fieldOf(state.chats[d.key]?.title ?? '') : EMPTY_FIELD,
      }));
    case 'membersMove':
      return members(state, (d) => {
        const count = state.chats[d.key]?.memberIds.length ?? 0;
        const memberIndex = Math.min(
          Math.max(0, count - 1),
          Math.max(0, d.memberIndex + action.delta),
        );
        return { ...d, memberIndex };
      });
    case 'membersBusy':
      return members(state, (d) => ({ ...d, isBusy: true, error: undefined }));
    case 'membersFailed':
      return members(state, (d) => ({ ...d, isBusy: false, error: action.error }));
    case 'confirmOpen':
      return {
        ...state,
        dialog: {
          kind: 'confirm',
          title: action.title,
          question: action.question,
          yes: action.yes,
          command: action.command,
          back: state.dialog,
          isBusy: false,
        },
      };
    case 'confirmBusy':
      return confirm(state, (d) => ({ ...d, isBusy: true, error: undefined }));
    case 'confirmFailed':
      return confirm(state, (d) => ({ ...d, isBusy: false, error: action.error }));
    case 'confirmDone': {
      if (state.dialog?.kind !== 'confirm') return state;
      const back = state.dialog.back;
      return { ...state, dialog: back?.kind === 'members' ? { ...back, isBusy: false } : back };
    }
  }
}

/**
 * After the group changed as I asked: a rename goes back to the list; adding stays, to add the
 * next one (who is in shows ✓).
 */
export function membersSettled(state: State): State {
  return members(state, (d) => ({
    ...d,
    mode: d.mode === 'rename' ? 'list' : d.mode,
    isBusy: false,
    error: undefined,
    name: EMPTY_FIELD,
  }));
}
