/**
 * v1.1: a message changes after it is sent — edited by its sender, deleted (a tombstone) by
 * its sender or the group's owner, reacted to by members. Each change locks the message's chat
 * (as every change of a chat does: its events then take their seqs in commit order), so the
 * changes of one message are decided one at a time, and each is logged.
 */
import type { AuthUser } from '../auth/tokens.js';
import type { Queryable } from '../db/database.js';
import { Limits } from '../contract/limits.js';
import type { Message } from '../contract/schemas.js';
import * as L from '../db/log-queries.js';
import * as M from '../db/messages-queries.js';
import type { Services } from '../services.js';
import { ConflictError, ForbiddenError, NotFoundError, UnprocessableError } from './errors.js';
import { appendToLog } from './log.js';
import { notAMember, toMessage } from './messages.js';
import { searchWords } from './search-words.js';

/** Distinct emoji one message may carry. */
const MAX_DISTINCT_REACTIONS = Limits.maxDistinctReactions;

type Reactions = { message_id: number; reactions: NonNullable<M.MessageRow['reactions']> };

const deleted = () => new ConflictError('message_deleted', 'this message was deleted');

/**
 * The message, its chat locked, after the checks every change shares: it exists, you are a
 * member.
 */
async function lockTarget(tx: Queryable, user: AuthUser, messageId: number) {
  const [chat] = await tx.query<{ chat_id: number }>(M.lockChatOfMessage, [messageId]);
  const [target] = chat
    ? await tx.query<M.ChangeTargetRow>(M.changeTarget, [messageId, user.userId])
    : [];
  if (!target) throw new NotFoundError('message_not_found', 'no message has this id');
  if (!target.is_member) throw notAMember();
  return target;
}

export async function messageFor(q: Queryable, messageId: number, userId: number) {
  const [row] = await q.query<M.MessageRow>(M.messageFor, [messageId, userId]);
  return toMessage(row!);
}

export interface Edit {
  text: string;
  /** The people it names now; undefined: unchanged. */
  mentions?: readonly number[] | undefined;
  mentionAll?: boolean | undefined;
}

/** The same people, in any order (neither list repeats one). */
const samePeople = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((id) => b.includes(id));

/**
 * The sender edits the text and, when given, who it names (members of the chat, else
 * `mention_invalid`); the same message again (the same people in any order) changes nothing
 * and announces nothing.
 */
export async function editMessage(
  s: Services,
  user: AuthUser,
  messageId: number,
  edit: Edit,
): Promise<Message> {
  return s.db.transaction(async (tx) => {
    const target = await lockTarget(tx, user, messageId);
    if (target.sender_id !== user.userId) {
      throw new ForbiddenError('not_message_sender', 'only its sender may edit a message');
    }
    if (target.is_deleted) throw deleted();
    const { text } = edit;
    // The same people in another order name nobody new: the stored order stays.
    const mentions =
      edit.mentions && !samePeople(edit.mentions, target.mentions)
        ? edit.mentions
        : target.mentions;
    const isSamePeople = mentions === target.mentions;
    const mentionAll = edit.mentionAll ?? target.mention_all;
    const isNamingSame = isSamePeople && mentionAll === target.mention_all;
    if (target.text === text && isNamingSame) return messageFor(tx, messageId, user.userId);
    if (!isSamePeople) {
      const [among] = await tx.query<{ n: number }>(M.membersAmong, [target.chat_id, mentions]);
      if (among!.n !== mentions.length) {
        throw new UnprocessableError('mention_invalid', 'mentions must be members of the chat');
      }
      await tx.query(M.setMentions, [
        messageId,
        target.chat_id,
        user.userId,
        mentions,
        target.thread_id,
      ]);
    }
    await tx.query(M.editMessage, [messageId, text, searchWords(text), mentions, mentionAll]);
    const message = await messageFor(tx, messageId, user.userId);
    // The frame is shared by every receiver: reactions as in every event, `[]`.
    await appendToLog(tx, [
      {
        chatId: target.chat_id,
        frame: { type: 'MessageEdited', message: { ...message, reactions: [] } },
        actor: user,
        messageId,
      },
    ]);
    return message;
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
    if (target.thread_id !== null) await tx.query(M.recountThread, [target.thread_id]);
    await redactEvents(tx, messageId);
    await appendToLog(tx, [
      {
        chatId: target.chat_id,
        frame: { type: 'MessageDeleted', chat_id: target.chat_id, message_id: messageId },
        actor: user,
        messageId,
      },
    ]);
  });
}

/**
 * A deleted message's text leaves the log too: its `Message` and `MessageEdited` frames become
 * the tombstone's (the events stay, so positions and counts do not change).
 */
async function redactEvents(tx: Queryable, messageId: number): Promise<void> {
  const rows = await tx.query<{ id: number; frame: string }>(L.messageEvents, [messageId]);
  for (const row of rows) {
    const frame = JSON.parse(row.frame) as { message: Message };
    frame.message = {
      ...frame.message,
      text: '',
      deleted: true,
      reactions: [],
      attachments: [],
      mentions: [],
      mention_all: false,
    };
    await tx.query(L.replaceFrame, [row.id, JSON.stringify(frame)]);
  }
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
      const frame = {
        type: 'Reaction',
        chat_id: target.chat_id,
        message_id: messageId,
        emoji,
        user_id: user.userId,
        added: isAdded,
      } as const;
      await appendToLog(tx, [{ chatId: target.chat_id, frame, actor: user, messageId }]);
    }
    const [row] = await tx.query<{ reactions: Reactions['reactions'] }>(M.reactionsFor, [
      messageId,
      user.userId,
    ]);
    return { message_id: messageId, reactions: row!.reactions };
  });
}
