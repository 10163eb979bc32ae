/**
 * The two composers — the open chat's input line and the thread pane's — as the keys edit
 * them: the text, the people picked into it with `@` (kept while their `@Name` is in the
 * text), and the `@` completion (↑/↓ move, Tab/Enter insert, Esc closes it). Pure.
 */
import { updateChat } from './chat-actions.js';
import { editField } from './field.js';
import { insertMention, keptMentions, mentionQuery, openCompletion } from './mentions.js';
import { openChat } from './selectors.js';
import { updateThread } from './threads.js';
import type { Action, ChatState, Composer, EditOp, State } from './types.js';

export type CompletionAction = Extract<
  Action,
  { type: 'mentionMove' | 'mentionChoose' | 'mentionDismiss' }
>;

/** The chat whose draft a composer edits (the thread pane's is a chat of its own). */
export function composerChat(state: State, composer: Composer): ChatState | undefined {
  return composer === 'thread' ? state.thread?.chat : openChat(state);
}

/** The chat whose members a composer's `@` offers (the thread pane's: the chat it is in). */
export function composerScope(state: State, composer: Composer): ChatState | undefined {
  return composer === 'thread' ? state.chats[state.thread?.key ?? ''] : openChat(state);
}

export function updateComposer(
  state: State,
  composer: Composer,
  change: (chat: ChatState) => ChatState,
): State {
  if (composer === 'thread') return updateThread(state, change);
  return state.openKey === undefined ? state : updateChat(state, state.openKey, change);
}

/**
 * One edit of a composer's text: the picked people whose `@Name` went drop out, the completion
 * starts again at its first candidate, and an Esc given to an `@` no longer there is forgotten.
 */
export function editDraft(chat: ChatState, op: EditOp): ChatState {
  const draft = editField(chat.draft, op);
  if (draft.text === chat.draft.text && draft.cursor === chat.draft.cursor) return chat;
  const mentions = keptMentions(draft.text, chat.mentions);
  const dismissedAt = chat.completion?.dismissedAt;
  const isStillDismissed = dismissedAt !== undefined && mentionQuery(draft)?.start === dismissedAt;
  const completion = isStillDismissed ? { index: 0, dismissedAt } : undefined;
  return { ...chat, draft, mentions, completion };
}

export function applyCompletion(state: State, action: CompletionAction): State {
  const chat = composerChat(state, action.composer);
  const scope = composerScope(state, action.composer);
  if (!chat || !scope) return state;
  switch (action.type) {
    case 'mentionMove': {
      const open = openCompletion(state, chat, scope);
      if (!open) return state;
      const n = open.candidates.length;
      const index = (((open.index + action.delta) % n) + n) % n;
      return updateComposer(state, action.composer, (c) => ({
        ...c,
        completion: { ...c.completion, index },
      }));
    }
    case 'mentionChoose':
      return updateComposer(state, action.composer, (c) => {
        const { draft, mentions } = insertMention(c.draft, c.mentions, action.candidate);
        return { ...c, draft, mentions, completion: undefined };
      });
    case 'mentionDismiss': {
      const at = mentionQuery(chat.draft);
      if (!at) return state;
      return updateComposer(state, action.composer, (c) => ({
        ...c,
        completion: { index: 0, dismissedAt: at.start },
      }));
    }
  }
}
