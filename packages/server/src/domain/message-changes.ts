/**
 * v1.1: a message changes after it is sent — edited by its sender, deleted (a tombstone) by
 * its sender or the group's owner, reacted to by members. Each change locks the message row,
 * so changes of one message are decided one at a time, and is announced to the chat.
 */
import type { AuthUser } from '../auth/tokens.js';
import type { Queryable } from '../db/database.js';
import * as M from '../db/messages-queries.js';
import type { Message } from '../http/schemas.js';
import type { Services } from '../services.js';
import { ConflictError, ForbiddenError, NotFoundError, UnprocessableError } from './errors.js';
import { actorOf, publish } from './events.js';
import { notAMember, toMessage } from './messages.js';
import { searchWords } from './search-words.js';

/** Distinct emoji one message may carry. */
export const MAX_DISTINCT_REACTIONS = 20;

type Reactions = { message_id: number; reactions: NonNullable<M.MessageRow['reactions']> };

const deleted = () => new ConflictError('message_deleted', 'this message was deleted');

/** The message, locked, after the checks every change shares: it exists, you are a member. */
async function lockTarget(tx: Queryable, user: AuthUser, messageId: number) {
  const [target] = await tx.query<M.ChangeTargetRow>(M.lockChangeTarget, [messageId, user.userId]);
  if (!target) throw new NotFoundError('message_not_found', 'no message has this id');
  if (!target.is_member) throw notAMember();
  return target;
}

export async function messageFor(q: Queryable, messageId: number, userId: number) {
  const [row] = await q.query<M.MessageRow>(M.messageFor, [messageId, userId]);
  return toMessage(row!);
}

/** The sender edits the text; the same text again changes nothing and announces nothing. */
export async function editMessage(
  s: Services,
  user: AuthUser,
  messageId: number,
  text: string,
): Promise<Message> {
  return s.db.transaction(async (tx) => {
    const target = await lockTarget(tx, user, messageId);
    if (target.sender_id !== user.userId) {
      throw new ForbiddenError('not_message_sender', 'only its sender may edit a message');
    }
    if (target.is_deleted) throw deleted();
    if (target.text !== text) {
      await tx.query(M.editMessage, [messageId, text, searchWords(text)]);
      await publish(tx, {
        t: 'MessageEdited',
        chat_id: target.chat_id,
        id: messageId,
        by: actorOf(user),
      });
    }
    return messageFor(tx, messageId, user.userId);
  });
}

/** Its sender or the group's owner makes it a tombstone; deleting a tombstone changes nothing. */
export async function deleteMessage(s: Services, user: AuthUser, messageId: number): Promise<void> {
  await s.db.transaction(async (tx) => {
    const target = await lockTarget(tx, user, messageId);
    if (target.sender_id !== user.userId && target.owner_id !== user.userId) {
      throw new ForbiddenError(
        'not_message_sender',
        "only its sender or the group's owner may delete a message",
      );
    }
    if (target.is_deleted) return;
    await tx.query(M.deleteMessage, [messageId]);
    await publish(tx, {
      t: 'MessageDeleted',
      chat_id: target.chat_id,
      id: messageId,
      by: actorOf(user),
    });
  });
}

/**
 * Adds (or, with `isAdded` false, removes) the caller's `emoji`. Both are idempotent: only a
 * change is announced. At most {@link MAX_DISTINCT_REACTIONS} distinct emoji per message.
 */
export async function react(
  s: Services,
  user: AuthUser,
  messageId: number,
  emoji: string,
  isAdded: boolean,
): Promise<Reactions> {
  return s.db.transaction(async (tx) => {
    const target = await lockTarget(tx, user, messageId);
    let isChanged: boolean;
    if (isAdded) {
      if (target.is_deleted) throw deleted();
      const [counts] = await tx.query<M.ReactionCountRow>(M.reactionCounts, [messageId, emoji]);
      if (!counts!.has_emoji && counts!.distinct_emoji >= MAX_DISTINCT_REACTIONS) {
        throw new UnprocessableError(
          'too_many_reactions',
          `a message holds at most ${MAX_DISTINCT_REACTIONS} different reactions`,
        );
      }
      isChanged = (await tx.query(M.addReaction, [messageId, user.userId, emoji])).length > 0;
    } else {
      isChanged = (await tx.query(M.removeReaction, [messageId, user.userId, emoji])).length > 0;
    }
    if (isChanged) {
      await publish(tx, {
        t: 'Reaction',
        chat_id: target.chat_id,
        id: messageId,
        emoji,
        added: isAdded,
        by: actorOf(user),
      });
    }
    const [row] = await tx.query<{ reactions: Reactions['reactions'] }>(M.reactionsFor, [
      messageId,
      user.userId,
    ]);
    return { message_id: messageId, reactions: row!.reactions };
  });
}
