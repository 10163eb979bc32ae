/**
 * The dialogs' part of the reducer: help, new direct chat, new group, and what the search and
 * members dialogs share with them (a query, results, a highlighted one).
 */
import { EMPTY_FIELD, editField } from './field.js';
import type { Action, Dialog, EditOp, GroupFieldName, State } from './types.js';

const GROUP_FIELDS: GroupFieldName[] = ['name', 'members', 'create'];

export type DialogAction =
  | Extract<
      Action,
      {
        type:
          | 'dialogOpen'
          | 'dialogClose'
          | 'dialogMove'
          | 'dialogResults'
          | 'dialogField'
          | 'groupToggleMember'
          | 'groupStarted'
          | 'groupFailed';
      }
    >
  | { type: 'dialogEdit'; target: 'dialog.query' | 'dialog.name'; op: EditOp };

function newDialog(kind: Extract<Action, { type: 'dialogOpen' }>['kind']): Dialog {
  switch (kind) {
    case 'help':
      return { kind };
    case 'search':
      return {
        kind,
        query: EMPTY_FIELD,
        results: [],
        index: 0,
        resultsFor: '',
        isLoading: false,
        hasMore: false,
      };
    case 'direct':
      return { kind, query: EMPTY_FIELD, results: [], index: 0 };
    case 'threads':
      return { kind, results: [], index: 0, isLoading: true };
    case 'group':
      return {
        kind,
        name: EMPTY_FIELD,
        query: EMPTY_FIELD,
        results: [],
        index: 0,
        members: [],
        field: 'name',
        isBusy: false,
      };
  }
}

export function applyDialog(state: State, action: DialogAction): State {
  if (action.type === 'dialogOpen') return { ...state, dialog: newDialog(action.kind) };
  if (action.type === 'dialogClose') return state.dialog ? { ...state, dialog: undefined } : state;
  const dialog = state.dialog;
  if (!dialog || dialog.kind === 'help' || dialog.kind === 'confirm' || dialog.kind === 'attach') {
    return state;
  }
  const set = (next: Dialog): State => ({ ...state, dialog: next });
  if (dialog.kind === 'threads') {
    if (action.type !== 'dialogMove') return state;
    const last = Math.max(0, dialog.results.length - 1);
    return set({ ...dialog, index: Math.min(last, Math.max(0, dialog.index + action.delta)) });
  }
  switch (action.type) {
    case 'dialogMove': {
      const last = Math.max(0, dialog.results.length - 1);
      return set({ ...dialog, index: Math.min(last, Math.max(0, dialog.index + action.delta)) });
    }
    case 'dialogResults': {
      if (dialog.kind === 'search') return state; // people, not messages
      if (action.query !== dialog.query.text) return state; // an answer to an older query
      const results = action.users.filter((u) => u.id !== state.me?.id);
      return set({
        ...dialog,
        results,
        index: Math.min(dialog.index, Math.max(0, results.length - 1)),
      });
    }
    case 'dialogEdit': {
      if (action.target === 'dialog.query') {
        return set({ ...dialog, query: editField(dialog.query, action.op), index: 0 });
      }
      return dialog.kind === 'group' || dialog.kind === 'members'
        ? set({ ...dialog, name: editField(dialog.name, action.op) })
        : state;
    }
    case 'dialogField': {
      if (dialog.kind !== 'group') return state;
      const at = GROUP_FIELDS.indexOf(dialog.field);
      const field =
        action.field ??
        GROUP_FIELDS[(at + (action.delta ?? 1) + GROUP_FIELDS.length) % GROUP_FIELDS.length]!;
      return set({ ...dialog, field });
    }
    case 'groupToggleMember': {
      if (dialog.kind !== 'group') return state;
      const user = dialog.results[dialog.index];
      if (!user) return state;
      const isMember = dialog.members.some((m) => m.id === user.id);
      const members = isMember
        ? dialog.members.filter((m) => m.id !== user.id)
        : [...dialog.members, user];
      return set({ ...dialog, members });
    }
    case 'groupStarted':
      return dialog.kind === 'group' ? set({ ...dialog, isBusy: true, error: undefined }) : state;
    case 'groupFailed':
      return dialog.kind === 'group'
        ? set({ ...dialog, isBusy: false, error: action.error })
        : state;
  }
}
