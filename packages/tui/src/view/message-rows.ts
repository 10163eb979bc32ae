/**
 * The message pane as terminal rows: each message wrapped to the pane's width, with day
 * separators, the "new messages" divider and read ticks. Pure, so the pane, the scroll keys and
 * the mark-read effect all agree on what is on screen.
 */
import { safeLine, safeText } from '@msgr/safe-text';
import type { Message } from '@msgr/sdk';
import type { ChatState } from '../state/types.js';
import { truncate, widthOf, wrap } from './text.js';

export interface Segment {
  text: string;
  color?: string;
  isDim?: boolean;
  isBold?: boolean;
}

export interface Row {
  segments: Segment[];
  /** The message this row shows a part of. */
  messageId?: number;
}

export interface RowContext {
  meId: number | undefined;
  width: number;
  nameOf: (userId: number) => string;
}

const PALETTE = ['cyan', 'magenta', 'yellow', 'blueBright', 'redBright', 'greenBright'];
const INDENT = '      ';

export const SENT = '✓';
export const READ = '✓✓';

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
}

function statusOf(m: Message, meId: number | undefined): Segment | undefined {
  if (m.sender_id !== meId) return undefined;
  return m.is_read
    ? { text: ` ${READ}`, color: 'blueBright' }
    : { text: ` ${SENT}`, color: 'gray' };
}

function entryRows(entry: Entry, ctx: RowContext): Row[] {
  const name = safeLine(ctx.nameOf(entry.senderId));
  const head: Segment[] = [
    { text: `${clock(entry.timestamp)} `, isDim: true },
    { text: name, color: senderColor(entry.senderId, ctx.meId), isBold: true },
    { text: ': ' },
  ];
  const headWidth = widthOf(head.map((s) => s.text).join(''));
  const restWidth = Math.max(1, ctx.width - INDENT.length);
  // Tabs as spaces: the wrapping measures every column.
  const text = safeText(entry.text, { tabWidth: 4 });
  // A long name leaves no room: the text starts on the next line.
  const isRoomy = ctx.width - headWidth >= 12;
  const lines = isRoomy
    ? wrap(text, ctx.width - headWidth, restWidth)
    : ['', ...wrap(text, restWidth)];
  const rows: Row[] = lines.map((line, i) => ({
    segments: i === 0 ? [...head, { text: line }] : [{ text: INDENT + line }],
    messageId: entry.id,
  }));
  if (entry.status) {
    const last = rows[rows.length - 1]!;
    const lastWidth = widthOf(last.segments.map((s) => s.text).join(''));
    if (lastWidth + widthOf(entry.status.text) <= ctx.width) last.segments.push(entry.status);
    else rows.push({ segments: [{ text: INDENT }, entry.status], messageId: entry.id });
  }
  return rows;
}

/** Every row of the chat's loaded messages, oldest first. */
export function messageRows(chat: ChatState, ctx: RowContext): Row[] {
  const rows: Row[] = [];
  if (chat.isLoading && chat.messages.length === 0)
    return [{ segments: [{ text: 'loading…', isDim: true }] }];
  if (chat.hasOlder) {
    const text = chat.isLoading ? 'loading older messages…' : '↑ PgUp for older messages';
    rows.push({ segments: [{ text, isDim: true }] });
  } else if (chat.isLoaded && (chat.messages.length > 0 || chat.pending.length > 0)) {
    rows.push(ruleRow('start of the conversation', ctx.width, 'gray'));
  }
  let lastDay: string | undefined;
  const entries: Entry[] = [
    ...chat.messages.map((m) => ({
      id: m.id,
      senderId: m.sender_id,
      text: m.text,
      timestamp: m.timestamp,
      status: statusOf(m, ctx.meId),
    })),
    ...chat.pending.map((p) => ({
      senderId: ctx.meId ?? 0,
      text: p.text,
      timestamp: p.timestamp,
      status: p.error
        ? {
            text: p.retryOperationId === undefined ? ' ✗ not sent' : ' ✗ not sent (Ctrl+R retries)',
            color: 'red',
          }
        : { text: ' …', isDim: true },
    })),
  ];
  for (const entry of entries) {
    const today = day(entry.timestamp);
    if (today !== lastDay) {
      rows.push(ruleRow(today, ctx.width, 'gray'));
      lastDay = today;
    }
    if (entry.id !== undefined && entry.id === chat.dividerBeforeId) {
      rows.push(ruleRow('new messages', ctx.width, 'yellow'));
    }
    rows.push(...entryRows(entry, ctx));
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
  /** The newest message at least partly on screen. */
  newestVisibleId?: number;
}

/** The window of `rows` that a pane of `height` rows shows at the chat's scroll position. */
export function paneView(rows: Row[], scroll: number, height: number): PaneView {
  const maxScroll = Math.max(0, rows.length - height);
  const clamped = Math.min(Math.max(0, scroll), maxScroll);
  const end = rows.length - clamped;
  const start = Math.max(0, end - height);
  const visible = rows.slice(start, end);
  let newestVisibleId: number | undefined;
  for (const row of visible) {
    if (row.messageId !== undefined)
      newestVisibleId = Math.max(newestVisibleId ?? 0, row.messageId);
  }
  return { visible, maxScroll, scroll: clamped, isAtTop: start === 0, newestVisibleId };
}
