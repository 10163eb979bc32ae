/**
 * Notification levels (contract: "v1.4", *Notification levels*; migrations/008-notifications.ts):
 * per user and chat, kept here so that every device of the user agrees. A level set `until` a
 * time lapses back to `all` by itself: what is stored stays, and the *effective* level — the one
 * every answer and event carries — is worked out when it is read.
 */
import type { AuthUser } from '../auth/tokens.js';
import type { ChatNotifications, Notifications, NotifyLevel } from '../contract/schemas.js';
import * as C from '../db/chats-queries.js';
import type { Services } from '../services.js';
import { NotFoundError } from './errors.js';
import { appendToLog } from './log.js';
import { notAMember } from './messages.js';

/** A level as stored: `mutedUntil` null when it holds until changed. */
export interface StoredLevel {
  level: NotifyLevel;
  mutedUntil: Date | null;
}

/** The level that holds at `now`: the stored one until its time passes, then `all`. */
export function effectiveNotifications(
  { level, mutedUntil }: StoredLevel,
  now: number = Date.now(),
): Notifications {
  const hasLapsed = mutedUntil !== null && mutedUntil.getTime() <= now;
  if (hasLapsed) return { level: 'all', muted_until: null };
  return { level, muted_until: mutedUntil?.toISOString() ?? null };
}

const isSame = (a: Notifications, b: Notifications) =>
  a.level === b.level && a.muted_until === b.muted_until;

/**
 * Sets the caller's level in chat `chatId`, lapsing at `until` (kept to the millisecond; the
 * request schema has checked it is ahead, and absent with `all`). Answers the effective level.
 * When that differs from the one before, the caller's other devices get `NotificationsChanged`,
 * logged in the same transaction, under the chat's row lock like every change of the chat; the
 * same level again (or `all` on a level that has lapsed) changes and logs nothing.
 */
export async function setNotifications(
  s: Services,
  user: AuthUser,
  chatId: number,
  { level, until }: { level: NotifyLevel; until?: Date | undefined },
): Promise<ChatNotifications> {
  return s.db.transaction(async (tx) => {
    const [row] = await tx.query<C.NotificationsRow>(C.lockNotifications, [chatId, user.userId]);
    if (!row) throw new NotFoundError('chat_not_found', 'no chat has this id');
    if (row.notify_level === null) throw notAMember();
    // One moment for both sides, taken once the lock is held: what was before cannot have
    // changed since.
    const now = Date.now();
    const before = effectiveNotifications(
      { level: row.notify_level, mutedUntil: row.muted_until },
      now,
    );
    const mutedUntil = until ?? null;
    const after = effectiveNotifications({ level, mutedUntil }, now);
    if (!isSame(before, after)) {
      await tx.query(C.setNotifications, [chatId, user.userId, level, mutedUntil]);
      await appendToLog(tx, [
        {
          chatId,
          frame: { type: 'NotificationsChanged', chat_id: chatId, ...after },
          actor: user,
          recipientId: user.userId,
        },
      ]);
    }
    return { chat_id: chatId, ...after };
  });
}
