/**
 * The message pane as terminal rows: each message wrapped to the pane's width, with day
 * separators, the "new messages" divider, read ticks, the quote of a reply, "edited", tombstones
 * and reaction counts. Pure, so the pane, the scroll keys and the mark-read effect all agree on
 * what is on screen.
 */
import { safeLine, safeText } from '@msgr/safe-text';
import type { FileObject, Message, ReactionCount } from '@msgr/sdk';
import { filesOf } from '../state/attachments.js';
import { namesMe } from '../state/mentions.js';
import { findMessage, isReply, previewOf } from '../state/messages.js';
import type { ChatState, PendingMessage, Preview } from '../state/types.js';
import { attachmentRows } from './attachment-rows.js';
import { INDENT, truncate, widthOf, wrap } from './text.js';

export interface Segment {
  text: string;
  color?: string;
  backgroundColor?: string;
  isDim?: boolean;
  isBold?: boolean;
  isItalic?: boolean;
}

export interface Row {
  segments: Segment[];
  /** The message this row shows a part of. */
  messageId?: number;
  /** The row is the `📎` line of this file of the message (an index into its attachments). */
  attachmentIndex?: number;
  /** The row is (a part of) this image file's preview. */
  previewFile?: FileObject;
  /** A picture: drawn as it is, never inverted (a picked message's text is). */
  isImage?: boolean;
}

export interface RowContext {
  meId: number | undefined;
  width: number;
  nameOf: (userId: number) => string;
  /** Whether a user is a bot (their name is then followed by `[bot]`); default: nobody is. */
  isBot?: (userId: number) => boolean;
  /** Image previews by file id; undefined: previews are off. */
  previews?: Record<string, Preview>;
  /**
   * The rows of the thread pane, whose chat holds this root and its replies: all of them, the
   * root first with the count under it. Else the chat's pane: its top-level messages, each
   * root with its `💬 N replies` line.
   */
  threadRootId?: number;
}

const PALETTE = ['cyan', 'magenta', 'yellow', 'blueBright', 'redBright', 'greenBright'];

export const SENT = '✓';
export const READ = '✓✓';
export const EDITED = '(edited)';
export const TOMBSTONE = 'message deleted';
/** After a bot's name. */
export const BOT_MARK = '[bot]';
export const REPLY_MARK = '↳';
export const REPLIES_MARK = '💬';
/** The colour of a message that names me (and of the `@N` in the chat list). */
export const MENTION_COLOR = 'magentaBright';

/** `3 replies`, `1 reply`. */
export const repliesText = (n: number): string => `${n} ${n === 1 ? 'reply' : 'replies'}`;

export function senderColor(userId: number, meId: number | undefined): string {
  return userId === meId ? 'green' : PALETTE[userId % PALETTE.length]!;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Local `HH:MM`. */
export function clock(iso: string): string {
  const d = new Date(iso);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

/** Local `YYYY-MM-DD`. */
export function day(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
}

function ruleRow(label: string, width: number, color: string): Row {
  const isDim = color === 'gray';
  const room = width - widthOf(label) - 2;
  if (room < 2) return { segments: [{ text: truncate(label, width), color, isDim }] };
  const left = Math.floor(room / 2);
  const text = `${'─'.repeat(left)} ${label} ${'─'.repeat(room - left)}`;
  return { segments: [{ text, color, isDim }] };
}

interface Entry {
  id?: number;
  senderId: number;
  text: string;
  timestamp: string;
  status?: Segment;
  replyTo?: number | null;
  isEdited?: boolean;
  isDeleted?: boolean;
  reactions?: ReactionCount[];
  attachments?: FileObject[];
  /** It names me: drawn in the mention colour. */
  isMention?: boolean;
  /** A root (in the chat's pane): how many replies it has, and when the last came. */
  replies?: { count: number; lastAt: string | null };
}

function statusOf(m: Message, meId: number | undefined): Segment | undefined {
  if (m.sender_id !== meId || m.deleted) return undefined;
  return m.is_read
    ? { text: ` ${READ}`, color: 'blueBright' }
    : { text: ` ${SENT}`, color: 'gray' };
}

/** `↳ Ann: the quoted line`, above a reply (names and text shown safe). */
function quoteRow(chat: ChatState, replyTo: number, ctx: RowContext, id?: number): Row {
  const quoted = findMessage(chat, replyTo);
  const quote = quoted
    ? `${safeLine(ctx.nameOf(quoted.sender_id))}: ${safeLine(previewOf(quoted))}`
    : 'an earlier message';
  const text = truncate(`${INDENT}${REPLY_MARK} ${quote}`, ctx.width);
  return { segments: [{ text, isDim: true }], messageId: id };
}

/** `👍 2  🎉 1` under a message; mine stand out. Emoji come from other people: shown safe. */
function reactionsRow(reactions: ReactionCount[], ctx: RowContext, id?: number): Row {
  const segments: Segment[] = [{ text: INDENT }];
  let used = INDENT.length;
  for (const [i, r] of reactions.entries()) {
    const text = `${i === 0 ? '' : '  '}${safeLine(r.emoji)} ${r.count}`;
    if (used + widthOf(text) > ctx.width) break;
    segments.push(r.me ? { text, color: 'cyan', isBold: true } : { text, isDim: true });
    used += widthOf(text);
  }
  return { segments, messageId: id };
}

/** `💬 3 replies · last 12:04` under a root in the chat's pane. */
function repliesRow(replies: NonNullable<Entry['replies']>, ctx: RowContext, id?: number): Row {
  const last = replies.lastAt ? ` · last ${clock(replies.lastAt)}` : '';
  const text = truncate(`${INDENT}${REPLIES_MARK} ${repliesText(replies.count)}${last}`, ctx.width);
  return { segments: [{ text, color: 'cyan' }], messageId: id };
}

function entryRows(entry: Entry, ctx: RowContext): Row[] {
  const rows = entry.isDeleted
    ? textRows(entry, ctx, [{ text: TOMBSTONE, isDim: true, isItalic: true }])
    : textRows(entry, ctx, []);
  if (!entry.isDeleted && entry.attachments?.length) {
    rows.push(...attachmentRows(entry.attachments, ctx.width, entry.id, ctx.previews));
  }
  if (!entry.isDeleted && entry.reactions && entry.reactions.length > 0) {
    rows.push(reactionsRow(entry.reactions, ctx, entry.id));
  }
  // A deleted root keeps its thread.
  if (entry.replies && entry.replies.count > 0) rows.push(repliesRow(entry.replies, ctx, entry.id));
  return rows;
}

/** The head (time, name) and the wrapped text; a tombstone's text is `instead`. */
function textRows(entry: Entry, ctx: RowContext, instead: Segment[]): Row[] {
  const name = safeLine(ctx.nameOf(entry.senderId));
  const head: Segment[] = [
    { text: `${clock(entry.timestamp)} `, isDim: true },
    { text: name, color: senderColor(entry.senderId, ctx.meId), isBold: true },
    ...(ctx.isBot?.(entry.senderId) ? [{ text: ` ${BOT_MARK}`, isDim: true }] : []),
    { text: ': ' },
  ];
  const headWidth = widthOf(head.map((s) => s.text).join(''));
  const restWidth = Math.max(1, ctx.width - INDENT.length);
  // Tabs as spaces: the wrapping measures every column.
  const text = safeText(entry.text, { tabWidth: 4 });
  // A long name leaves no room: the text starts on the next line.
  const isRoomy = ctx.width - headWidth >= 12;
  if (instead.length > 0) return [{ segments: [...head, ...instead], messageId: entry.id }];
  const lines = isRoomy
    ? wrap(text, ctx.width - headWidth, restWidth)
    : ['', ...wrap(text, restWidth)];
  // A message that names me stands out: its text in the mention colour.
  const textOf = (line: string): Segment =>
    entry.isMention ? { text: line, color: MENTION_COLOR, isBold: true } : { text: line };
  const rows: Row[] = lines.map((line, i) => ({
    segments:
      i === 0
        ? [...head, textOf(line)]
        : entry.isMention
          ? [{ text: INDENT }, textOf(line)]
          : [{ text: INDENT + line }],
    messageId: entry.id,
  }));
  const tail: Segment[] = [];
  if (entry.isEdited) tail.push({ text: ` ${EDITED}`, isDim: true });
  if (entry.status) tail.push(entry.status);
  for (const segment of tail) {
    const last = rows[rows.length - 1]!;
    const lastWidth = widthOf(last.segments.map((s) => s.text).join(''));
    if (lastWidth + widthOf(segment.text) <= ctx.width) last.segments.push(segment);
    else rows.push({ segments: [{ text: INDENT }, segment], messageId: entry.id });
  }
  return rows;
}

function entryOf(m: Message, ctx: RowContext): Entry {
  const isRoot = ctx.threadRootId === undefined && m.thread !== null && m.thread !== undefined;
  return {
    id: m.id,
    senderId: m.sender_id,
    text: m.text,
    timestamp: m.timestamp,
    status: statusOf(m, ctx.meId),
    replyTo: m.reply_to,
    isEdited: m.edited_at !== null && !m.deleted,
    isDeleted: m.deleted,
    reactions: m.reactions,
    attachments: filesOf(m),
    isMention: namesMe(m, ctx.meId),
    replies: isRoot ? { count: m.thread!.reply_count, lastAt: m.thread!.last_reply_at } : undefined,
  };
}

function pendingEntry(p: PendingMessage, ctx: RowContext): Entry {
  return {
    senderId: ctx.meId ?? 0,
    text: p.text,
    timestamp: p.timestamp,
    replyTo: p.replyTo,
    attachments: p.attachments,
    status: p.error
      ? {
          text: p.retryOperationId === undefined ? ' ✗ not sent' : ' ✗ not sent (Ctrl+R retries)',
          color: 'red',
        }
      : { text: ' …', isDim: true },
  };
}

/**
 * Every row of the chat's loaded messages, oldest first: in the chat's pane the top-level ones
 * (a thread's replies are counted under its root), in the thread pane the root, its count and
 * its replies.
 */
export function messageRows(chat: ChatState, ctx: RowContext): Row[] {
  const rows: Row[] = [];
  const rootId = ctx.threadRootId;
  const isThread = rootId !== undefined;
  if (chat.isLoading && chat.messages.length === 0)
    return [{ segments: [{ text: 'loading…', isDim: true }] }];
  const shown = isThread ? chat.messages : chat.messages.filter((m) => !isReply(m));
  const pending = chat.pending.filter((p) =>
    isThread ? p.threadId === rootId : p.threadId === undefined,
  );
  const olderRow = (what: string): Row => ({
    segments: [
      {
        text: chat.isLoading ? `loading older ${what}…` : `↑ PgUp for older ${what}`,
        isDim: true,
      },
    ],
  });
  if (!isThread && chat.hasOlder) rows.push(olderRow('messages'));
  else if (isThread && chat.hasOlder && !shown.some((m) => m.id === rootId)) {
    rows.push(olderRow('replies'));
  } else if (!isThread && chat.isLoaded && (shown.length > 0 || pending.length > 0)) {
    rows.push(ruleRow('start of the conversation', ctx.width, 'gray'));
  }
  let lastDay: string | undefined;
  let isDividerShown = false;
  const entries: Entry[] = [
    ...shown.map((m) => entryOf(m, ctx)),
    ...pending.map((p) => pendingEntry(p, ctx)),
  ];
  for (const entry of entries) {
    const today = day(entry.timestamp);
    if (today !== lastDay) {
      rows.push(ruleRow(today, ctx.width, 'gray'));
      lastDay = today;
    }
    // Before the first message shown from where it stands (it may stand on a hidden reply).
    const divider = chat.dividerBeforeId;
    if (!isDividerShown && divider !== undefined && entry.id !== undefined && entry.id >= divider) {
      rows.push(ruleRow('new messages', ctx.width, 'yellow'));
      isDividerShown = true;
    }
    if (entry.replyTo != null) rows.push(quoteRow(chat, entry.replyTo, ctx, entry.id));
    rows.push(...entryRows(entry, ctx));
    if (isThread && entry.id === rootId) {
      const count = chat.messages.find((m) => m.id === rootId)?.thread?.reply_count ?? 0;
      rows.push(ruleRow(count > 0 ? repliesText(count) : 'no replies yet', ctx.width, 'cyan'));
      if (chat.hasOlder) rows.push(olderRow('replies'));
    }
  }
  if (chat.hasNewer) {
    const text = chat.isLoading ? 'loading newer messages…' : '↓ newer messages load here';
    rows.push({ segments: [{ text, isDim: true }] });
  }
  return rows;
}

export interface PaneView {
  /** The rows on screen, top to bottom (at most `height`). */
  visible: Row[];
  /** How far up one can scroll now. */
  maxScroll: number;
  /** The scroll in effect (the chat's, clamped). */
  scroll: number;
  /** The oldest loaded row is on screen. */
  isAtTop: boolean;
  /** The newest row is on screen (not scrolled up). */
  isAtBottom: boolean;
  /** The newest message at least partly on screen. */
  newestVisibleId?: number;
}

/** The scroll (rows up from the newest) that brings message `id` on screen, moving least. */
function scrollShowing(rows: Row[], scroll: number, height: number, id: number): number {
  const first = rows.findIndex((r) => r.messageId === id);
  if (first === -1) return scroll;
  let last = first;
  while (rows[last + 1]?.messageId === id) last++;
  const end = rows.length - scroll;
  const start = end - height;
  // Taller than the pane: its first rows.
  if (first < start || last - first + 1 > height) return rows.length - (first + height);
  if (last >= end) return rows.length - (last + 1);
  return scroll;
}

/**
 * The window of `rows` that a pane of `height` rows shows at the chat's scroll position, moved
 * as little as needed to show the highlighted message `followId` when there is one.
 */
export function paneView(rows: Row[], scroll: number, height: number, followId?: number): PaneView {
  const maxScroll = Math.max(0, rows.length - height);
  const wanted = followId === undefined ? scroll : scrollShowing(rows, scroll, height, followId);
  const clamped = Math.min(Math.max(0, wanted), maxScroll);
  const end = rows.length - clamped;
  const start = Math.max(0, end - height);
  const visible = rows.slice(start, end);
  let newestVisibleId: number | undefined;
  for (const row of visible) {
    if (row.messageId !== undefined)
      newestVisibleId = Math.max(newestVisibleId ?? 0, row.messageId);
  }
  return {
    visible,
    maxScroll,
    scroll: clamped,
    isAtTop: start === 0,
    isAtBottom: clamped === 0,
    newestVisibleId,
  };
}

/**
 * How far the chat's pane has been read: the newest message on screen; and when the pane is at
 * its newest row, every message held, the thread replies after it too (they are counted under
 * their roots on screen, and the chat's unread count covers them).
 */
export function readUpTo(chat: ChatState | undefined, view: PaneView): number | undefined {
  const shown = view.newestVisibleId;
  if (!chat || shown === undefined || !view.isAtBottom || chat.hasNewer) return shown;
  return Math.max(shown, chat.messages[chat.messages.length - 1]?.id ?? 0);
}
