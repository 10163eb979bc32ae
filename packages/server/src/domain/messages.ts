import type { AuthUser } from '../auth/tokens.js';
import type { Config } from '../config.js';
import * as C from '../db/chats-queries.js';
import type { Queryable } from '../db/database.js';
import * as L from '../db/log-queries.js';
import * as M from '../db/messages-queries.js';
import type { Services } from '../services.js';
import {
  accountGone,
  DomainError,
  foreignKeyOf,
  ForbiddenError,
  NotFoundError,
  UnprocessableError,
} from './errors.js';
import { appendToLog, type LogEntry } from './log.js';
import { rateLimited } from './limits.js';
import type { Message } from '../contract/schemas.js';
import { searchWords } from './search-words.js';

export type { Message };

export interface SendResult {
  message: Message;
  /** True when an earlier request with the same operation id created the message. */
  isReplay: boolean;
}

const SEND_FAILURES: Partial<Record<M.SendStatus, () => DomainError>> = {
  user_not_found: () => new NotFoundError('user_not_found', 'no user has this id'),
  group_not_found: () => new NotFoundError('group_not_found', 'no group has this id'),
  chat_forbidden: () => new ForbiddenError('chat_forbidden', 'you are not a member of this group'),
  reply_to_invalid: () =>
    new UnprocessableError('reply_to_invalid', 'reply_to must be a message of the same chat'),
  attachment_invalid: attachmentInvalid,
  mention_invalid: () =>
    new UnprocessableError('mention_invalid', 'mentions must be members of the chat'),
  thread_invalid: () =>
    new UnprocessableError(
      'thread_invalid',
      'thread_id must be a top-level, non-deleted message of the same chat',
    ),
  hook_not_found: () => new NotFoundError('hook_not_found', 'no hook has this id and secret'),
  idempotency_key_conflict: () =>
    new UnprocessableError(
      'idempotency_key_conflict',
      'this Idempotency-Key was used for another request within the window: pick another',
    ),
  operation_id_conflict: () =>
    new UnprocessableError(
      'operation_id_conflict',
      'this operation_id was used for another message within the idempotency window: pick a new one',
    ),
};

/** The sender's foreign keys: refusing the send, they say the token's account is gone. */
const SENDER_KEYS = new Set(['message_operations_sender_id_fkey', 'messages_sender_id_fkey']);

function attachmentInvalid(): DomainError {
  return new UnprocessableError(
    'attachment_invalid',
    'attachments must be files you uploaded (and that still exist)',
  );
}

/** A direct chat (by the other user), a group, or an incoming webhook (its bot posting). */
export type SendTarget = { kind: 'user' | 'group' | 'hook'; id: number };
export type SendInput = {
  text: string;
  /** The send's key: an operation id or an Idempotency-Key (which wins when both are given). */
  operationId?: number | undefined;
  idempotencyKey?: string | undefined;
  replyTo?: number | undefined;
  /** File ids, distinct (the request schema checks); none when absent. */
  attachments?: readonly string[] | undefined;
  /** User ids, distinct (the request schema checks); none when absent. */
  mentions?: readonly number[] | undefined;
  mentionAll?: boolean | undefined;
  threadId?: number | undefined;
};

/**
 * The values of {@link M.send} for one send, in msgr_send's order: made here only, so the
 * benchmarks' baseline (the same statement through pg, no HTTP) cannot drift from the server.
 */
export function sendValues(
  config: Pick<Config, 'idempotencyWindowSeconds' | 'rateLimitSendsPerMinute'>,
  sender: Pick<AuthUser, 'userId' | 'clientId'>,
  target: SendTarget,
  input: SendInput,
): unknown[] {
  return [
    sender.userId,
    target.kind,
    target.id,
    input.idempotencyKey === undefined ? (input.operationId ?? null) : null,
    input.text,
    config.idempotencyWindowSeconds,
    sender.clientId,
    config.rateLimitSendsPerMinute,
    input.replyTo ?? null,
    searchWords(input.text),
    input.attachments ?? [],
    input.mentions ?? [],
    input.mentionAll ?? false,
    input.threadId ?? null,
    input.idempotencyKey ?? null,
  ];
}

/**
 * The chat a send writes to, as the send batcher tells chats apart: a user and the person they
 * write to share one direct chat, whichever of them sends.
 */
export function chatKeyOf(sender: Pick<AuthUser, 'userId'>, target: SendTarget): string {
  if (target.kind !== 'user') return `${target.kind}:${target.id}`;
  return `user:${Math.min(sender.userId, target.id)}:${Math.max(sender.userId, target.id)}`;
}

/**
 * Creates a message exactly once per (sender, operation id) within the idempotency window; a
 * repeat of the same request answers the original message. Writing to yourself is allowed (a
 * "saved messages" chat with one member). A new message takes one token of the sender's
 * RATE_LIMIT_SENDS_PER_MINUTE budget; a replay takes none, and a refused send leaves its
 * operation id free.
 */
export async function send(
  s: Services,
  sender: AuthUser,
  target: SendTarget,
  input: SendInput,
  /** The sender's budget of new messages per minute, when not RATE_LIMIT_SENDS_PER_MINUTE. */
  { sendsPerMinute = s.config.rateLimitSendsPerMinute }: { sendsPerMinute?: number } = {},
): Promise<SendResult> {
  const config = {
    idempotencyWindowSeconds: s.config.idempotencyWindowSeconds,
    rateLimitSendsPerMinute: sendsPerMinute,
  };
  // Coalesced with the sends around it (db/send-batcher.ts); its outcome is its own.
  const row = await s.sends
    .send(sendValues(config, sender, target, input), chatKeyOf(sender, target))
    .catch((err: unknown) => {
      const key = foreignKeyOf(err);
      // A file swept between the check and the insert (an orphan past its time).
      if (key === 'message_attachments_file_id_fkey') throw attachmentInvalid();
      throw key && SENDER_KEYS.has(key) ? accountGone() : err;
    });
  if (row.status === 'rate_limited') throw rateLimited('messages', row.retry_after ?? 1);
  const failure = SEND_FAILURES[row.status];
  if (failure) throw failure();
  if (row.message_id === null || row.chat_id === null || row.created_at === null) {
    throw new Error(`msgr_send answered ${row.status} without a message`);
  }
  const isReplay = row.status === 'replayed';
  (isReplay ? s.metrics.idempotentReplays : s.metrics.messagesCreated).inc();
  return {
    isReplay,
    // A replay answers the message as it is now: it may have been edited or deleted since.
    message: toMessage({
      id: row.message_id,
      chat_id: row.chat_id,
      sender_id: sender.userId,
      text: row.msg_text ?? input.text,
      created_at: row.created_at,
      edited_at: row.msg_edited_at,
      deleted: row.msg_deleted ?? false,
      reply_to: row.msg_reply_to,
      is_read: row.is_read ?? false,
      attachments: row.msg_attachments ?? [],
      mentions: row.msg_mentions ?? [],
      mention_all: row.msg_mention_all ?? false,
      thread_id: row.msg_thread_id,
      thread: row.msg_thread,
    }),
  };
}

/** Chat `chatId` exists and `userId` is a member, or the matching error. */
export async function assertMember(s: Services, chatId: number, userId: number): Promise<void> {
  await assertMemberIn(s.db, chatId, userId);
}

/** {@link assertMember} inside a transaction. */
export async function assertMemberIn(q: Queryable, chatId: number, userId: number): Promise<void> {
  const [row] = await q.query<C.ChatAccessRow>(C.chatAccess, [chatId, userId]);
  if (!row) throw new NotFoundError('chat_not_found', 'no chat has this id');
  if (!row.is_member) throw notAMember();
}

export const notAMember = () =>
  new ForbiddenError('chat_forbidden', 'you are not a member of this chat');

/** The one builder of the contract's message object from a row. */
export function toMessage(row: M.MessageRow): Message {
  return {
    id: row.id,
    chat_id: row.chat_id,
    sender_id: row.sender_id,
    text: row.text,
    timestamp: row.created_at.toISOString(),
    is_read: row.is_read,
    edited_at: row.edited_at?.toISOString() ?? null,
    deleted: row.deleted,
    reply_to: row.reply_to,
    reactions: row.reactions ?? [],
    attachments: row.attachments,
    mentions: row.mentions,
    mention_all: row.mention_all,
    thread_id: row.thread_id,
    thread: row.thread,
  };
}

export type HistoryCursor = { after: number } | { before: number } | { latest: true };

/** Which messages a page holds: every one, the top level only, or the thread of a root. */
export type HistoryFilter = { topLevel: true } | { threadId: number } | undefined;

/** One page of a chat, ascending by id; keyset on (chat_id, id). */
export async function history(
  s: Services,
  user: AuthUser,
  chatId: number,
  cursor: HistoryCursor,
  limit: number,
  filter?: HistoryFilter,
): Promise<Message[]> {
  await assertMember(s, chatId, user.userId);
  const scope: M.HistoryScope = !filter ? 'all' : 'threadId' in filter ? 'thread' : 'top';
  const statements = M.history[scope];
  const [statement, from] =
    'after' in cursor
      ? [statements.after, cursor.after]
      : 'before' in cursor
        ? [statements.before, cursor.before]
        : [statements.latest, 0];
  const values: unknown[] = [chatId, from, limit, user.userId];
  if (filter && 'threadId' in filter) values.push(filter.threadId);
  const rows = await s.db.query<M.MessageRow>(statement, values);
  return rows.map(toMessage);
}

/**
 * The messages that name `user` (or everyone in a chat of theirs), newest first, below message
 * `before` when given; never tombstones, never their own `@all`.
 */
export async function mentions(
  s: Services,
  user: AuthUser,
  before: number | undefined,
  limit: number,
): Promise<Message[]> {
  const rows = await s.db.query<M.MessageRow>(M.mentionsOf, [user.userId, before ?? null, limit]);
  return rows.map(toMessage);
}

/** One message as `user`, a member of its chat, sees it. */
export async function message(s: Services, user: AuthUser, messageId: number): Promise<Message> {
  const [row] = await s.db.query<M.MessageRow & { is_member: boolean }>(M.messageFor, [
    messageId,
    user.userId,
  ]);
  if (!row) throw new NotFoundError('message_not_found', 'no message has this id');
  if (!row.is_member) throw notAMember();
  return toMessage(row);
}

export interface UnreadTotals {
  chats: number;
  messages: number;
  mentions: number;
}

/** What a badge shows: unread chats, messages and mentions, each chat at its level. */
export async function unread(s: Services, user: AuthUser): Promise<UnreadTotals> {
  const [row] = await s.db.query<UnreadTotals>(M.unreadTotals, [user.userId]);
  return row!;
}

/**
 * Moves the caller's read pointer up to `messageId` (never back). Logs, once, each message this
 * made read by everyone (a `Read` for its sender), and the move itself (a `ReadMarker` for the
 * caller's other devices).
 */
export async function markRead(
  s: Services,
  reader: AuthUser,
  messageId: number,
): Promise<{ chat_id: number; last_read_message_id: number }> {
  return s.db.transaction(async (tx) => {
    // Serialises readers and membership changes of this chat; what follows sees them all.
    const [target] = await tx.query<{ chat_id: number }>(M.lockChatOfMessage, [messageId]);
    if (!target) throw new NotFoundError('message_not_found', 'no message has this id');
    const chatId = target.chat_id;
    await assertMemberIn(tx, chatId, reader.userId);
    const [advance] = await tx.query<M.AdvanceRow>(M.advanceReadPointer, [
      chatId,
      reader.userId,
      messageId,
    ]);
    const { last_read_message_id, is_moved, newly_read } = advance!;
    const entries = readEntries(chatId, reader, newly_read, [reader.userId]);
    if (is_moved) {
      entries.push({
        chatId,
        frame: { type: 'ReadMarker', chat_id: chatId, message_id: last_read_message_id },
        actor: reader,
        recipientId: reader.userId,
      });
    }
    await appendToLog(tx, entries);
    return { chat_id: chatId, last_read_message_id };
  });
}

/**
 * One `Read` per message that just became read by everyone, for its sender, caused by `actor`:
 * a read (`readerIds` the reader) or a member's leaving (`readerIds` empty).
 */
export function readEntries(
  chatId: number,
  actor: AuthUser,
  newlyRead: readonly { id: number; sender_id: number }[],
  readerIds: number[],
): LogEntry[] {
  return newlyRead.map(({ id, sender_id }) => ({
    chatId,
    frame: { type: 'Read', chat_id: chatId, message_id: id, reader_ids: readerIds },
    actor,
    recipientId: sender_id,
    messageId: id,
  }));
}

/** The members other than its sender whose read pointer is at or past message `messageId`. */
export async function readers(
  s: Services,
  user: AuthUser,
  messageId: number,
): Promise<{ message_id: number; reader_ids: number[] }> {
  const [row] = await s.db.query<{ is_member: boolean; reader_ids: number[] }>(L.messageReaders, [
    messageId,
    user.userId,
  ]);
  if (!row) throw new NotFoundError('message_not_found', 'no message has this id');
  if (!row.is_member) throw notAMember();
  return { message_id: messageId, reader_ids: row.reader_ids };
}
