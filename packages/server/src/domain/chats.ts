import type { AuthUser } from '../auth/tokens.js';
import * as C from '../db/chats-queries.js';
import * as U from '../db/users-queries.js';
import type { Services } from '../services.js';
import { ForbiddenError, NotFoundError, UnprocessableError } from './errors.js';
import { takeToken } from './limits.js';
import type { Message } from './messages.js';

export interface Group {
  group_id: number;
  chat_id: number;
  name: string;
  creator_id: number;
  member_ids: number[];
}

export interface ChatSummary {
  chat_id: number;
  kind: 'direct' | 'group';
  title: string;
  group_id?: number;
  peer_user_id?: number;
  member_ids: number[];
  last_message?: Message;
  unread_count: number;
}

export async function listChats(s: Services, user: AuthUser): Promise<ChatSummary[]> {
  const rows = await s.db.query<C.ChatRow>(C.chatsOfUser, [user.userId]);
  return rows.map((r) => ({
    chat_id: r.chat_id,
    kind: r.kind,
    title: (r.kind === 'group' ? r.group_name : r.peer_name) ?? '',
    ...(r.group_id !== null ? { group_id: r.group_id } : {}),
    ...(r.peer_user_id !== null ? { peer_user_id: r.peer_user_id } : {}),
    member_ids: r.member_ids,
    ...(r.lm_id !== null
      ? {
          last_message: {
            id: r.lm_id,
            chat_id: r.chat_id,
            sender_id: r.lm_sender_id!,
            text: r.lm_text!,
            timestamp: r.lm_created_at!.toISOString(),
            is_read: r.lm_is_read ?? false,
          },
        }
      : {}),
    unread_count: r.unread_count,
  }));
}

/** A group as its members see it; others get 403, unknown ids 404. */
export async function getGroup(s: Services, user: AuthUser, groupId: number): Promise<Group> {
  const [row] = await s.db.query<C.GroupRow>(C.groupById, [groupId, user.userId]);
  if (!row) throw new NotFoundError('group_not_found', 'no group has this id');
  if (!row.is_member)
    throw new ForbiddenError('chat_forbidden', 'you are not a member of this group');
  const { group_id, chat_id, name, creator_id, member_ids } = row;
  return { group_id, chat_id, name, creator_id, member_ids };
}

/**
 * Creates a group and its chat. The author is always a member, duplicates are ignored, and
 * every listed user must exist.
 */
export async function createGroup(
  s: Services,
  creator: AuthUser,
  input: { name: string; participantUserIds: number[] },
): Promise<Group> {
  const memberIds = [...new Set([creator.userId, ...input.participantUserIds])].sort(
    (a, b) => a - b,
  );
  if (memberIds.length > s.config.maxGroupMembers) {
    throw new UnprocessableError(
      'group_too_large',
      `a group holds at most ${s.config.maxGroupMembers} members`,
    );
  }
  return s.db.transaction(async (tx) => {
    const found = new Set(
      (await tx.query<{ id: number }>(U.existingUserIds, [memberIds])).map((r) => r.id),
    );
    const missing = memberIds.filter((id) => !found.has(id));
    if (missing.length > 0) {
      throw new NotFoundError('user_not_found', `no user has the id ${missing.join(', ')}`);
    }
    // Counted once the group would be created: a refused request costs nothing.
    await takeToken(tx, `group:${creator.userId}`, s.config.rateLimitGroupsPerMinute, 'new groups');
    const [group] = await tx.query<Omit<Group, 'member_ids'>>(C.insertGroup, [
      input.name,
      creator.userId,
      memberIds,
    ]);
    return { ...group!, member_ids: memberIds };
  });
}
