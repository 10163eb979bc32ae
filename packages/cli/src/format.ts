/**
 * Human formats: times, message lines, previews. Whatever came from the server goes through
 * @msgr/safe-text here, before colours are added (names come safe from the Directory). JSON
 * output never goes through here.
 */
import { safeLine, safeText } from '@msgr/safe-text';
import type { ChatSummary, Message } from '@msgr/sdk';
import type { Directory } from './names.js';
import type { Paint } from './output.js';

const pad = (n: number) => String(n).padStart(2, '0');

/** Local time: `HH:MM` today, else `YYYY-MM-DD HH:MM`. */
export function formatTime(iso: string, now: Date = new Date()): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  const hm = `${pad(t.getHours())}:${pad(t.getMinutes())}`;
  if (t.toDateString() === now.toDateString()) return hm;
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ${hm}`;
}

/**
 * One line, at most `max` characters: newlines become spaces, the rest becomes `…`; safe to
 * print (controls are shown, see @msgr/safe-text).
 */
export function preview(text: string, max = 40): string {
  const flat = safeLine(text).replace(/\s+/g, ' ').trim();
  const chars = [...flat];
  return chars.length <= max ? flat : `${chars.slice(0, max - 1).join('')}…`;
}

export interface MessageLineOptions {
  /** Prefix the chat's title (when several chats share one stream). */
  isChatShown?: boolean;
}

/**
 * `[time] name: text`, or `[time] [chat] name: text`. The text keeps its line breaks and tabs;
 * every control in it is shown, not executed.
 */
export function messageLine(
  m: Message,
  names: Directory,
  paint: Paint,
  { isChatShown = false }: MessageLineOptions = {},
): string {
  const time = paint('dim', `[${formatTime(m.timestamp)}]`);
  const chat = isChatShown ? `${paint('cyan', `[${names.chatTitle(m.chat_id)}]`)} ` : '';
  const isMine = names.me?.id === m.sender_id;
  const name = paint(isMine ? 'green' : 'bold', names.userName(m.sender_id));
  return `${time} ${chat}${name}: ${safeText(m.text)}`;
}

/** The row of `msgr chats`: id, kind, title, where to send, unread, last message. */
export function chatRow(c: ChatSummary, names: Directory): string[] {
  const target =
    c.kind === 'group' ? `--group ${c.group_id ?? '?'}` : `--to ${c.peer_user_id ?? '?'}`;
  const last = c.last_message
    ? `${names.userName(c.last_message.sender_id)}: ${preview(c.last_message.text)}`
    : '';
  return [String(c.chat_id), c.kind, safeLine(c.title), target, String(c.unread_count), last];
}

export const CHAT_COLUMNS = ['ID', 'KIND', 'TITLE', 'SEND WITH', 'UNREAD', 'LAST MESSAGE'];
