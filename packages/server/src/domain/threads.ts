/**
 * Threads (contract: "v1.4 — mentions, threads and notification levels"): a chat's threads by
 * latest reply, following them, reading them, and the threads a user follows with unread
 * replies. Replies themselves are sends with a `thread_id` (db/sql/msgr_send.sql), which keep
 * their root's summary and make the thread's people follow it.
 */
import type { AuthUser } from '../auth/tokens.js';
import type { Message } from '../contract/schemas.js';
import type { MessageRow } from '../db/messages-queries.js';
import * as T from '../db/threads-queries.js';
import type { Services } from '../services.js';
import { NotFoundError, UnprocessableError } from './errors.js';
import { assertMember, notAMember, toMessage } from './messages.js';

/** Root `rootId` exists, is top level and `user` is a member of its chat: its chat's id. */
async function rootChat(s: Services, user: AuthUser, rootId: number): Promise<number> {
  const [row] = await s.db.query<T.RootRow>(T.rootFor, [rootId, user.userId]);
  if (!row) throw new NotFoundError('message_not_found', 'no message has this id');
  if (!row.is_member) throw notAMember();
  if (!row.is_root) {
    throw new UnprocessableError('thread_invalid', 'this message is a reply, not a thread');
  }
  return row.chat_id;
}

/** The threads of a chat (roots with replies), latest reply first; keyset on `last_reply_id`. */
export async function chatThreads(
  s: Services,
  user: AuthUser,
  chatId: number,
  before: number | undefined,
  limit: number,
): Promise<Message[]> {
  await assertMember(s, chatId, user.userId);
  const rows = await s.db.query<MessageRow>(T.chatThreads, [
    chatId,
    before ?? null,
    limit,
    user.userId,
  ]);
  return rows.map(toMessage);
}

/** Follows (or stops following) a thread; idempotent. */
export async function follow(
  s: Services,
  user: AuthUser,
  rootId: number,
  isFollowing: boolean,
): Promise<void> {
  const chatId = await rootChat(s, user, rootId);
  await s.db.query(T.setFollowing, [user.userId, rootId, isFollowing, chatId]);
}

/** Moves the caller's read pointer in a thread up to `messageId` (the root or a reply of it). */
export async function markThreadRead(
  s: Services,
  user: AuthUser,
  rootId: number,
  messageId: number,
): Promise<{ root_id: number; last_read_message_id: number }> {
  const chatId = await rootChat(s, user, rootId);
  const [contains] = await s.db.query<{ is_in: boolean }>(T.isInThread, [messageId, rootId]);
  if (!contains?.is_in) {
    throw new UnprocessableError('validation_failed', 'message_id is not of this thread');
  }
  const [row] = await s.db.query<{ last_read_id: number }>(T.readThread, [
    user.userId,
    rootId,
    messageId,
    chatId,
  ]);
  return { root_id: rootId, last_read_message_id: row!.last_read_id };
}

export interface FollowedThread {
  root: Message;
  unread_count: number;
}

/** The threads the caller follows, latest reply first (with `isUnreadOnly`, unread ones only). */
export async function followedThreads(
  s: Services,
  user: AuthUser,
  options: { isUnreadOnly: boolean; before: number | undefined; limit: number },
): Promise<FollowedThread[]> {
  const rows = await s.db.query<T.FollowedRow>(T.followedThreads, [
    user.userId,
    options.before ?? null,
    options.limit,
    options.isUnreadOnly,
  ]);
  return rows.map((row) => ({ root: toMessage(row), unread_count: row.unread_count }));
}
