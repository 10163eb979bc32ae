/**
 * Which live messages deserve a notification: other people's, in chats not on screen, as the
 * chat's notification level allows (`all`, `mentions`: only the ones naming me, `none`: never).
 */
import type { Message, NotifyLevel, SubscriptionEvent } from '@msgr/sdk';
import { chatKey } from './chats.js';
import { namesMe } from './mentions.js';
import { filesSummary } from './messages.js';
import { userName } from './selectors.js';
import type { ChatNotifyLevel, State } from './types.js';

export interface Notification {
  title: string;
  body: string;
  count: number;
  /** The chat of the last message, and the messages it is about (for `MSGR_TUI_RING_LOG`). */
  chatId: number;
  messageIds: number[];
}

/** The order `n` cycles through. */
export const LEVELS: readonly NotifyLevel[] = ['all', 'mentions', 'none'];

/** The level after `level` in the cycle (all → mentions → none → all). */
export function nextLevel(level: NotifyLevel): NotifyLevel {
  return LEVELS[(LEVELS.indexOf(level) + 1) % LEVELS.length]!;
}

/**
 * The level in effect at `now`: one with a `mutedUntil` that has passed is `all` again (the
 * server lapses it by itself and sends no event).
 */
export function effectiveLevel(notify: ChatNotifyLevel | undefined, now: number): NotifyLevel {
  if (!notify) return 'all';
  if (notify.level !== 'all' && notify.mutedUntil !== null) {
    const until = Date.parse(notify.mutedUntil);
    if (!Number.isNaN(until) && until <= now) return 'all';
  }
  return notify.level;
}

/** Does a message from someone else ring at this level: `none` never, `mentions` when it names me. */
export function ringsAt(level: NotifyLevel, message: Message, meId: number | undefined): boolean {
  if (level === 'none') return false;
  if (level === 'mentions') return namesMe(message, meId);
  return true;
}

/** How a level reads in the pane's title and the status bar (`undefined` for `all`). */
export function levelLabel(notify: ChatNotifyLevel, now: number): string | undefined {
  const level = effectiveLevel(notify, now);
  if (level === 'all') return undefined;
  const what = level === 'none' ? 'muted' : 'mentions only';
  if (notify.mutedUntil === null) return what;
  const until = new Date(notify.mutedUntil);
  const hh = String(until.getHours()).padStart(2, '0');
  const mm = String(until.getMinutes()).padStart(2, '0');
  const isToday = until.toDateString() === new Date(now).toDateString();
  return `${what} until ${isToday ? '' : `${until.toISOString().slice(0, 10)} `}${hh}:${mm}`;
}

/**
 * One notification for a batch of events (a burst rings once), judged against the state the
 * batch arrived in, with the levels the batch itself changes applied as they come, at `now`.
 */
export function notificationFor(
  state: State,
  events: SubscriptionEvent[],
  now: number,
): Notification | undefined {
  // A message the chat already holds (listed just before the subscription began) is not news.
  const isHeld = (m: Message): boolean =>
    (state.chats[chatKey(m.chat_id)]?.lastMessage?.id ?? 0) >= m.id;
  const levels = new Map<number, ChatNotifyLevel>();
  const levelOf = (chatId: number): NotifyLevel =>
    effectiveLevel(levels.get(chatId) ?? state.chats[chatKey(chatId)]?.notify, now);
  const messages: Message[] = [];
  for (const e of events) {
    if (e.type === 'NotificationsChanged') {
      levels.set(e.chat_id, { level: e.level, mutedUntil: e.muted_until });
      continue;
    }
    if (e.type !== 'Message') continue;
    const m = e.message;
    const isNews =
      m.sender_id !== state.me?.id && chatKey(m.chat_id) !== state.openKey && !isHeld(m);
    if (isNews && ringsAt(levelOf(m.chat_id), m, state.me?.id)) messages.push(m);
  }
  const last = messages[messages.length - 1];
  if (!last) return undefined;
  const chat = state.chats[chatKey(last.chat_id)];
  const sender = userName(state, last.sender_id);
  const text = last.text || filesSummary(last);
  const where = chat?.kind === 'group' && !chat.isPlaceholder ? ` in ${chat.title}` : '';
  return {
    title: messages.length === 1 ? `${sender}${where}` : `${messages.length} new messages`,
    body: messages.length === 1 ? text : `last from ${sender}${where}: ${text}`,
    count: messages.length,
    chatId: last.chat_id,
    messageIds: messages.map((m) => m.id),
  };
}
