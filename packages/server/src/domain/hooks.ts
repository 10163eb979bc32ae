/**
 * Incoming webhooks (contract v1.5): a secret URL per chat that posts as the hook's own bot.
 * The bot is not a member of the chat: msgr_send lets it post there by the hook's right (target
 * kind `hook`), so a hook works in a direct chat as in a group, and the bot shows in no member
 * list. Only a SHA-256 of the secret is kept, compared in constant time; an unknown id and a
 * wrong secret answer the same 404.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { AuthUser } from '../auth/tokens.js';
import { Limits } from '../contract/limits.js';
import type { Hook, Message } from '../contract/schemas.js';
import * as I from '../db/integrations-queries.js';
import type { Services } from '../services.js';
import { limitReached } from './api-tokens.js';
import { ForbiddenError, NotFoundError } from './errors.js';
import { notAMember, send } from './messages.js';

const hookNotFound = () =>
  new NotFoundError('hook_not_found', 'no incoming webhook has this id and secret');

export function toHook(row: I.HookRow): Hook {
  return {
    id: Number(row.id),
    chat_id: Number(row.chat_id),
    name: row.name,
    bot_id: Number(row.bot_id),
    creator_id: Number(row.creator_id),
    created_at: row.created_at.toISOString(),
  };
}

function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/**
 * A hook of chat `chatId`, made by a member (in a group, its owner), with its own bot. Answers
 * it with its URL, which holds the secret and is shown this once.
 */
export async function createHook(
  s: Services,
  user: AuthUser,
  chatId: number,
  input: { name: string },
): Promise<Hook & { url: string }> {
  return s.db.transaction(async (tx) => {
    const [chat] = await tx.query<I.ChatRightsRow>(I.lockChatRights, [chatId, user.userId]);
    if (!chat) throw new NotFoundError('chat_not_found', 'no chat has this id');
    if (!chat.is_member) throw notAMember();
    if (chat.kind === 'group' && Number(chat.owner_id) !== user.userId) {
      throw new ForbiddenError('not_group_owner', "only the group's owner may add hooks to it");
    }
    const [count] = await tx.query<{ n: number }>(I.countHooks, [chatId]);
    if ((count?.n ?? 0) >= Limits.maxHooksPerChat) {
      throw limitReached('hooks in this chat', Limits.maxHooksPerChat);
    }
    const [bot] = await tx.query<I.BotRow>(I.insertBot, [input.name, user.userId]);
    const secret = randomBytes(32).toString('base64url');
    const [row] = await tx.query<I.HookRow>(I.insertHook, [
      chatId,
      bot!.id,
      user.userId,
      input.name,
      hashSecret(secret),
    ]);
    const hook = toHook(row!);
    return { ...hook, url: `/hooks/${hook.id}/${secret}` };
  });
}

/** The hooks of a chat the caller is a member of (without their secrets). */
export async function listHooks(s: Services, user: AuthUser, chatId: number): Promise<Hook[]> {
  const [chat] = await s.db.query<I.ChatRightsRow>(I.chatRights, [chatId, user.userId]);
  if (!chat) throw new NotFoundError('chat_not_found', 'no chat has this id');
  if (!chat.is_member) throw notAMember();
  return (await s.db.query<I.HookRow>(I.hooksOfChat, [chatId])).map(toHook);
}

/**
 * Deletes a hook: its maker may, and so may the group's owner (in a direct chat, either
 * member). Its URL stops working at once; its bot's messages stay.
 */
export async function deleteHook(s: Services, user: AuthUser, hookId: number): Promise<void> {
  await s.db.transaction(async (tx) => {
    const [hook] = await tx.query<I.HookRow>(I.hookById, [hookId]);
    if (!hook) throw new NotFoundError('hook_not_found', 'no incoming webhook has this id');
    // The chat's lock first, as a post takes it: a post in flight finishes before, or finds none.
    const [chat] = await tx.query<I.ChatRightsRow>(I.lockChatRights, [hook.chat_id, user.userId]);
    const mayDelete =
      Number(hook.creator_id) === user.userId ||
      (chat?.is_member === true &&
        (chat.kind === 'direct' || Number(chat.owner_id) === user.userId));
    // Not revealed to those who may not see the chat's hooks.
    if (!chat?.is_member && Number(hook.creator_id) !== user.userId) {
      throw new NotFoundError('hook_not_found', 'no incoming webhook has this id');
    }
    if (!mayDelete) {
      throw new ForbiddenError('not_group_owner', "only the hook's maker or the group's owner may");
    }
    await tx.query(I.deleteHook, [hookId]);
  });
}

export interface HookPostInput {
  text: string;
  attachments?: readonly string[] | undefined;
  idempotencyKey?: string | undefined;
}

/**
 * A post to `/hooks/{id}/{secret}`: a message of the hook's bot in its chat, within
 * RATE_LIMIT_HOOK_POSTS_PER_MINUTE (the bot's send budget). Without an Idempotency-Key every
 * post is a new message.
 */
export async function postToHook(
  s: Services,
  hookId: number,
  secret: string,
  input: HookPostInput,
): Promise<{ message: Message; isReplay: boolean }> {
  const [hook] = await s.db.query<{ id: string; bot_id: string; secret_hash: Buffer }>(
    I.hookSecret,
    [hookId],
  );
  // Compared whatever was found, so a wrong id and a wrong secret take the same time.
  const expected = hook?.secret_hash ?? UNKNOWN_HOOK_HASH;
  const isRight = timingSafeEqual(hashSecret(secret), expected) && hook !== undefined;
  if (!isRight) throw hookNotFound();
  const bot: AuthUser = { userId: Number(hook.bot_id), clientId: `hook:${hookId}` };
  return send(
    s,
    bot,
    { kind: 'hook', id: hookId },
    {
      text: input.text,
      attachments: input.attachments,
      idempotencyKey: input.idempotencyKey ?? `hook-post:${randomUUID()}`,
    },
    { sendsPerMinute: s.config.rateLimitHookPostsPerMinute },
  );
}

const UNKNOWN_HOOK_HASH = hashSecret(randomBytes(32).toString('base64url'));
