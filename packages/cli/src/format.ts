/**
 * Human formats: times, message lines, previews. Whatever came from the server goes through
 * @msgr/safe-text here, before colours are added (names come safe from the Directory). JSON
 * output never goes through here.
 */
import { humanSize, safeLine, safeText } from '@msgr/safe-text';
import type {
  ChatSummary,
  FileObject,
  Message,
  ReactionCount,
  UnreadTotals,
  User,
} from '@msgr/sdk';
import type { Directory } from './names.js';
import type { Paint } from './output.js';

const pad = (n: number) => String(n).padStart(2, '0');

/** What follows a bot's name wherever people are named (`Echo [bot]`). */
export const BOT_MARK = '[bot]';

/** A user's name, safe to print, with ` [bot]` after a bot's. */
export function userLabel(user: Pick<User, 'name' | 'is_bot'>): string {
  return user.is_bot ? `${safeLine(user.name)} ${BOT_MARK}` : safeLine(user.name);
}

/** `Ann <ann@example.com> (user 3)`, or `Echo [bot] (user 9)`: a bot has no email. */
export function userText(user: User): string {
  const email = user.email === null ? '' : ` <${safeLine(user.email)}>`;
  return `${userLabel(user)}${email} (user ${user.id})`;
}

/**
 * Local time: `HH:MM` today, else `YYYY-MM-DD HH:MM`; with `hasSeconds`, `HH:MM:SS` (for things
 * that happen seconds apart, as webhook deliveries).
 */
export function formatTime(
  iso: string,
  now: Date = new Date(),
  { hasSeconds = false }: { hasSeconds?: boolean } = {},
): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  const seconds = hasSeconds ? `:${pad(t.getSeconds())}` : '';
  const hm = `${pad(t.getHours())}:${pad(t.getMinutes())}${seconds}`;
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
  /**
   * Prefix a thread reply with `↳ #root` (default). Off where the thread itself is shown
   * (`msgr thread`), whose replies are indented under their root instead.
   */
  isThreadShown?: boolean;
}

/** `1 reply`, `3 replies`: a count and its noun. */
export function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * Whether `m` names the logged-in user (`meId`): in its `mentions`, or everyone with
 * `mention_all`. Never one's own message: an `@all` of yours alerts the others, not you.
 */
export function isMentioningMe(m: Message, meId: number | undefined): boolean {
  if (meId === undefined || m.sender_id === meId || m.deleted) return false;
  return m.mention_all || m.mentions.includes(meId);
}

/**
 * `[time] #id name: text`, or `[time] [chat] #id name: text`, then `(edited)`, `(3 replies)`
 * on a thread's root, and the reactions (`👍 2  ❤ 1`); a tombstone reads `[deleted]`. A reply
 * in a thread starts with its root, `↳ #12 #15 name: text`. A message that names the logged-in
 * user (or everyone) has its text in yellow when colours are on. A reply (`reply_to`) is
 * preceded by an indented line `↳ reply to #12 name: preview` (`↳ reply to #12` when that
 * message is not known); each attachment follows on an indented line of its own,
 * `📎 name (size)  id`. The text keeps its line breaks and tabs; every control in it (and in
 * file names) is shown, not executed.
 */
export function messageLine(
  m: Message,
  names: Directory,
  paint: Paint,
  { isChatShown = false, repliedTo, isThreadShown = true }: MessageLineOptions = {},
): string {
  const thread =
    isThreadShown && m.thread_id !== null ? `${paint('dim', `↳ #${m.thread_id}`)} ` : '';
  const id = paint('dim', `#${m.id}`);
  const head = `${start(m, names, paint, isChatShown)}${thread}${id} ${sender(m, names, paint)}:`;
  // A deleted root keeps its thread: the replies are still there to read.
  const count = m.thread?.reply_count ?? 0;
  const replies = count > 0 ? ` ${paint('dim', `(${plural(count, 'reply', 'replies')})`)}` : '';
  if (m.deleted) return `${head} ${paint('dim', '[deleted]')}${replies}`;
  const edited = m.edited_at === null ? '' : ` ${paint('dim', '(edited)')}`;
  const reactions = m.reactions.length > 0 ? `  ${reactionsText(m.reactions)}` : '';
  // Safe first, then painted: the colour is ours, never the sender's.
  const shown = safeText(m.text);
  const highlighted = isMentioningMe(m, names.me?.id) ? paint('yellow', shown) : shown;
  // A message of files alone has no text: no dangling space after the colon.
  const text = m.text === '' ? '' : ` ${highlighted}`;
  const files = m.attachments.map((f) => `\n  ${attachmentText(f, paint)}`).join('');
  const line = `${head}${text}${edited}${replies}${reactions}${files}`;
  if (m.reply_to === null) return line;
  return `  ${paint('dim', replyText(m.reply_to, names, repliedTo))}
${line}`;
}

/** `[14:03] ` or `[14:03] [Team] `: when, and where when several chats share the output. */
function start(m: Message, names: Directory, paint: Paint, isChatShown: boolean): string {
  const time = paint('dim', `[${formatTime(m.timestamp)}]`);
  return isChatShown ? `${time} ${paint('cyan', `[${names.chatTitle(m.chat_id)}]`)} ` : `${time} `;
}

/** The sender's name: green when it is you, else bold. */
function sender(m: Message, names: Directory, paint: Paint): string {
  return paint(names.me?.id === m.sender_id ? 'green' : 'bold', names.userName(m.sender_id));
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

export interface ThreadLineOptions {
  /** Prefix the chat's title (the threads of several chats). */
  isChatShown?: boolean;
  /** Replies past your read pointer (followed threads): `· 2 unread`. */
  unreadCount?: number;
}

/**
 * A thread in one line, for lists: its root, `[time] #id name: preview`, then
 * `3 replies · last 14:20` (and `· 2 unread` in yellow). `msgr thread <id>` shows it whole.
 */
export function threadLine(
  root: Message,
  names: Directory,
  paint: Paint,
  { isChatShown = false, unreadCount }: ThreadLineOptions = {},
): string {
  const text = root.deleted ? paint('dim', '[deleted]') : summary(root);
  const parts = [plural(root.thread?.reply_count ?? 0, 'reply', 'replies')];
  if (root.thread?.last_reply_at) parts.push(`last ${formatTime(root.thread.last_reply_at)}`);
  const about = paint('dim', parts.join(' · '));
  const unread =
    unreadCount === undefined
      ? ''
      : ` ${paint('dim', '·')} ${paint(unreadCount > 0 ? 'yellow' : 'dim', `${unreadCount} unread`)}`;
  const head = `${start(root, names, paint, isChatShown)}${paint('dim', `#${root.id}`)}`;
  return `${head} ${sender(root, names, paint)}: ${text}  ${about}${unread}`;
}

/** `Unread: 3 chats, 12 messages, 2 mentions.`: what a badge shows. */
export function unreadText({ chats, messages, mentions }: UnreadTotals): string {
  const counts = [
    plural(chats, 'chat', 'chats'),
    plural(messages, 'message', 'messages'),
    plural(mentions, 'mention', 'mentions'),
  ];
  return `Unread: ${counts.join(', ')}.`;
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
 * The row of `msgr chats`: id, kind, title, where to send, unread (`5 @2`: and 2 unread
 * mentions of you), notifications (empty when you hear of everything), last message.
 */
export function chatRow(c: ChatSummary, names: Directory): string[] {
  const target =
    c.kind === 'group' ? `--group ${c.group_id ?? '?'}` : `--to ${c.peer_user_id ?? '?'}`;
  const notify = c.notifications.level === 'all' ? '' : notificationsText(c.notifications);
  // `5 @2`: unread messages, and unread messages that name you (or everyone).
  const unread =
    c.unread_mentions > 0 ? `${c.unread_count} @${c.unread_mentions}` : String(c.unread_count);
  const last = c.last_message
    ? `${names.userName(c.last_message.sender_id)}: ${summary(c.last_message)}`
    : '';
  return [String(c.chat_id), c.kind, safeLine(c.title), target, unread, notify, last];
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
