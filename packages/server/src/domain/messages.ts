import type { AuthUser } from '../auth/tokens.js';
import * as C from '../db/chats-queries.js';
import * as M from '../db/messages-queries.js';
import type { Services } from '../services.js';
import {
  DomainError,
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
  UnprocessableError,
} from './errors.js';
import { rateLimited } from './limits.js';

/** The contract's message object. */
export interface Message {
  id: number;
  chat_id: number;
  sender_id: number;
  text: string;
  timestamp: string;
  is_read: boolean;
}

export interface SendResult {
  message: Message;
  /** True when an earlier request with the same operation id created the message. */
  isReplay: boolean;
}

const SEND_FAILURES: Partial<Record<M.SendStatus, () => DomainError>> = {
  user_not_found: () => new NotFoundError('user_not_found', 'no user has this id'),
  group_not_found: () => new NotFoundError('group_not_found', 'no group has this id'),
  chat_forbidden: () => new ForbiddenError('chat_forbidden', 'you are not a member of this group'),
  operation_id_conflict: () =>
    new UnprocessableError(
      'operation_id_conflict',
      'this operation_id was used for another message within the idempotency window: pick a new one',
    ),
};

/**
 * A token can outlive its account's row (a database restored or reset under the same
 * JWT_SECRET): the sender's foreign keys then refuse the send. That token is no longer valid.
 */
const SENDER_KEYS = new Set(['message_operations_sender_id_fkey', 'messages_sender_id_fkey']);

function isMissingSender(err: unknown): boolean {
  const { code, constraint } = (err ?? {}) as { code?: unknown; constraint?: unknown };
  return code === '23503' && typeof constraint === 'string' && SENDER_KEYS.has(constraint);
}

const senderGone = () =>
  new UnauthorizedError('invalid_token', 'the account of this access token does not exist');

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
  target: { kind: 'user' | 'group'; id: number },
  input: { text: string; operationId: number },
): Promise<SendResult> {
  const [row] = await s.db
    .query<M.SendRow>(M.send, [
      sender.userId,
      target.kind,
      target.id,
      input.operationId,
      input.text,
      s.config.idempotencyWindowSeconds,
      sender.clientId,
      s.config.rateLimitSendsPerMinute,
    ])
    .catch((err: unknown) => {
      throw isMissingSender(err) ? senderGone() : err;
    });
  if (!row) throw new Error('msgr_send answered no row');
  if (row.status === 'rate_limited') throw rateLimited('messages', row.retry_after ?? 1);
  const failure = SEND_FAILURES[row.status];
  if (failure) throw failure();
  if (row.message_id === null || row.chat_id === null || row.created_at === null) {
    throw new Error(`msgr_send answered ${row.status} without a message`);
  }
  const isReplay = row.status === 'replayed';
  (isReplay ? s.metrics.idempotentReplays : s.metrics.messagesCreated).inc();
  // A replay's text is the original's, which equals ours: the request hashes matched.
  return {
    isReplay,
    message: {
      id: row.message_id,
      chat_id: row.chat_id,
      sender_id: sender.userId,
      text: input.text,
      timestamp: row.created_at.toISOString(),
      is_read: row.is_read ?? false,
    },
  };
}

/** Chat `chatId` exists and `userId` is a member, or the matching error. */
export async function assertMember(s: Services, chatId: number, userId: number): Promise<void> {
  const [row] = await s.db.query<C.ChatAccessRow>(C.chatAccess, [chatId, userId]);
  if (!row) throw new NotFoundError('chat_not_found', 'no chat has this id');
  if (!row.is_member)
    throw new ForbiddenError('chat_forbidden', 'you are not a member of this chat');
}

export function toMessage(row: M.MessageRow): Message {
  return {
    id: row.id,
    chat_id: row.chat_id,
    sender_id: row.sender_id,
    text: row.text,
    timestamp: row.created_at.toISOString(),
    is_read: row.is_read,
  };
}

export type HistoryCursor = { after: number } | { before: number } | { latest: true };

/** One page of a chat, ascending by id; keyset on (chat_id, id). */
export async function history(
  s: Services,
  user: AuthUser,
  chatId: number,
  cursor: HistoryCursor,
  limit: number,
): Promise<Message[]> {
  await assertMember(s, chatId, user.userId);
  const rows =
    'after' in cursor
      ? await s.db.query<M.MessageRow>(M.historyAfter, [chatId, cursor.after, limit])
      : 'before' in cursor
        ? await s.db.query<M.MessageRow>(M.historyBefore, [chatId, cursor.before, limit])
        : await s.db.query<M.MessageRow>(M.historyLatest, [chatId, limit]);
  return rows.map(toMessage);
}

/** Largest count of message ids in one notification: keeps payloads far below 8000 bytes. */
const IDS_PER_NOTIFICATION = 300;

/**
 * Moves the caller's read pointer up to `messageId` (never back) and announces, once, each
 * message this made read by everyone: one `Read` notification per sender and batch of ids.
 */
export async function markRead(
  s: Services,
  reader: AuthUser,
  messageId: number,
): Promise<{ chat_id: number; last_read_message_id: number }> {
  return s.db.transaction(async (tx) => {
    const [target] = await tx.query<M.ReadTargetRow>(M.lockReadTarget, [messageId, reader.userId]);
    if (!target) throw new NotFoundError('message_not_found', 'no message has this id');
    if (!target.is_member) {
      throw new ForbiddenError('chat_forbidden', 'you are not a member of this chat');
    }
    // Serialises readers of this chat; the next statement then sees every committed pointer.
    await tx.query(M.lockChat, [target.chat_id]);
    const [advance] = await tx.query<M.AdvanceRow>(M.advanceReadPointer, [
      target.chat_id,
      reader.userId,
      messageId,
    ]);
    const { last_read_message_id, newly_read } = advance!;
    const bySender = new Map<number, number[]>();
    for (const { id, sender_id } of newly_read) {
      const ids = bySender.get(sender_id) ?? [];
      ids.push(id);
      bySender.set(sender_id, ids);
    }
    for (const [senderId, ids] of bySender) {
      for (let i = 0; i < ids.length; i += IDS_PER_NOTIFICATION) {
        const payload = {
          t: 'Read',
          chat_id: target.chat_id,
          sender_id: senderId,
          reader_id: reader.userId,
          ids: ids.slice(i, i + IDS_PER_NOTIFICATION),
        };
        await tx.query(M.notify, [JSON.stringify(payload)]);
      }
    }
    return { chat_id: target.chat_id, last_read_message_id };
  });
}
