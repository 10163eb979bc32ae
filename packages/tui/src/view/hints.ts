/** The status bar's key hints and the pane's subtitle: what the keys do where the focus is. Pure. */
import { pickedFile } from '../state/attachments.js';
import { levelLabel } from '../state/notifications.js';
import { openChat } from '../state/selectors.js';
import type { ChatState, State } from '../state/types.js';

const COMPLETION_HINT = '↑/↓ pick · Tab/Enter insert the name · Esc close · keep typing to narrow';

/** `isCompleting`: an `@` completion is open in the focused composer. */
export function hintFor(state: State, isCompleting = false): string {
  const chat = openChat(state);
  if (isCompleting) return COMPLETION_HINT;
  if (state.focus === 'thread') {
    return 'Enter reply in the thread · @ mention · PgUp/PgDn scroll · Esc close · Tab list';
  }
  if (state.focus === 'messages') {
    if (chat?.pickerIndex !== undefined) return '1-8 or ←/→ Enter: react (again: take back) · Esc';
    if (chat && pickedFile(chat)) {
      return 's save file · o open it · ←/→ other file · ↑/↓ pick · e edit · r reply · Esc back';
    }
    return '↑/↓ pick · e edit · d delete · r reply · + react · t thread · Esc back · ? help';
  }
  if (state.focus === 'input') {
    if (chat?.upload) return 'Uploading the files, then the message goes · Esc cancel';
    if (chat?.editing) return 'Enter save the edit · Esc cancel · Alt+Enter new line';
    if (chat?.files?.length) return 'Enter send with the files · Esc drop them · ^O another file';
    return 'Enter send · @ mention · ^O file · Esc cancel · Tab list · ↑ edit last · ^K messages · ^T threads · ^F search';
  }
  return '↑/↓ move · Enter open · n notifications · t threads · m members · ^N chat · ^G group · ^F search · ? help';
}

/** Who types, for the pane's subtitle. */
export function typingText(
  names: string[],
  kind: 'direct' | 'group' | undefined,
): string | undefined {
  if (names.length === 0) return undefined;
  return kind === 'direct' ? 'typing…' : `${names.join(', ')} typing…`;
}

/** The pane's subtitle when nobody types: members (groups) and the level when not `all`. */
export function chatSubtitle(chat: ChatState | undefined, now: number): string | undefined {
  if (!chat) return undefined;
  const members = chat.kind === 'group' ? `${chat.memberIds.length} members` : undefined;
  const level = levelLabel(chat.notify, now);
  return [members, level].filter(Boolean).join(' · ') || undefined;
}
