/**
 * Human formats: times, message lines, previews. Whatever came from the server goes through
 * @msgr/safe-text here, before colours are added (names come safe from the Directory). JSON
 * output never goes through here.
 */
import { humanSize, safeLine, safeText } from '@msgr/safe-text';
import type { ChatSummary, FileObject, Message, ReactionCount } from '@msgr/sdk';
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
  /** The message this one answers, when it is known (its sender and a preview are shown). */
  repliedTo?: Message;
}

/**
 * `[time] #id name: text`, or `[time] [chat] #id name: text`, then `(edited)` and the reactions
 * (`👍 2  ❤ 1`); a tombstone reads `[deleted]`. A reply is preceded by an indented line
 * `↳ reply to #12 name: preview` (`↳ reply to #12` when that message is not known); each
 * attachment follows on an indented line of its own, `📎 name (size)  id`. The text keeps its
 * line breaks and tabs; every control in it (and in file names) is shown, not executed.
 */
export function messageLine(
  m: Message,
  names: Directory,
  paint: Paint,
  { isChatShown = false, repliedTo }: MessageLineOptions = {},
): string {
  const time = paint('dim', `[${formatTime(m.timestamp)}]`);
  const chat = isChatShown ? `${paint('cyan', `[${names.chatTitle(m.chat_id)}]`)} ` : '';
  const isMine = names.me?.id === m.sender_id;
  const name = paint(isMine ? 'green' : 'bold', names.userName(m.sender_id));
  const id = paint('dim', `#${m.id}`);
  if (m.deleted) return `${time} ${chat}${id} ${name}: ${paint('dim', '[deleted]')}`;
  const edited = m.edited_at === null ? '' : ` ${paint('dim', '(edited)')}`;
  const reactions = m.reactions.length > 0 ? `  ${reactionsText(m.reactions)}` : '';
  // A message of files alone has no text: no dangling space after the colon.
  const text = m.text === '' ? '' : ` ${safeText(m.text)}`;
  const files = m.attachments.map((f) => `\n  ${attachmentText(f, paint)}`).join('');
  const line = `${time} ${chat}${id} ${name}:${text}${edited}${reactions}${files}`;
  if (m.reply_to === null) return line;
  return `  ${paint('dim', replyText(m.reply_to, names, repliedTo))}
${line}`;
}

/**
 * `📎 name (1.2 MiB)  <file id>`: one attachment, on one line. The name is untrusted (the
 * server cleans names, but another server might not): shown safe. The id is what
 * `msgr download` takes.
 */
export function attachmentText(file: FileObject, paint: Paint): string {
  return `📎 ${safeLine(file.name)} (${humanSize(file.size)})  ${paint('dim', safeLine(file.id))}`;
}

/** A message in one line, for previews: its text, else its first file (`📎 name`). */
function summary(m: Message): string {
  if (m.deleted) return '[deleted]';
  if (m.text === '' && m.attachments.length > 0) return preview(`📎 ${m.attachments[0]!.name}`);
  return preview(m.text);
}

/** `↳ reply to #12 name: preview`, or `↳ reply to #12` when the message is not known. */
function replyText(id: number, names: Directory, repliedTo: Message | undefined): string {
  const head = `↳ reply to #${id}`;
  if (repliedTo?.id !== id) return head;
  return `${head} ${names.userName(repliedTo.sender_id)}: ${summary(repliedTo)}`;
}

/** `👍 2  ❤ 1`: each emoji (shown safe, on one line) and its count, most used first. */
export function reactionsText(reactions: readonly ReactionCount[]): string {
  return reactions.map((r) => `${safeLine(r.emoji)} ${r.count}`).join('  ');
}

/**
 * A notification level in words: `all messages`, `mentions only` or `muted`, then
 * `until 18:00` (a date too when not today) when it lapses by itself.
 */
export function notificationsText({ level, muted_until }: ChatSummary['notifications']): string {
  const what = level === 'none' ? 'muted' : level === 'mentions' ? 'mentions only' : 'all messages';
  return muted_until === null ? what : `${what} until ${formatTime(muted_until)}`;
}

/**
 * The row of `msgr chats`: id, kind, title, where to send, unread, notifications (empty when
 * you hear of everything), last message.
 */
export function chatRow(c: ChatSummary, names: Directory): string[] {
  const target =
    c.kind === 'group' ? `--group ${c.group_id ?? '?'}` : `--to ${c.peer_user_id ?? '?'}`;
  const notify = c.notifications.level === 'all' ? '' : notificationsText(c.notifications);
  const last = c.last_message
    ? `${names.userName(c.last_message.sender_id)}: ${summary(c.last_message)}`
    : '';
  return [
    String(c.chat_id),
    c.kind,
    safeLine(c.title),
    target,
    String(c.unread_count),
    notify,
    last,
  ];
}

export const CHAT_COLUMNS = [
  'ID',
  'KIND',
  'TITLE',
  'SEND WITH',
  'UNREAD',
  'NOTIFY',
  'LAST MESSAGE',
];
