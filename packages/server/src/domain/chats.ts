import type { AuthUser } from '../auth/tokens.js';
import type { Queryable } from '../db/database.js';
import * as C from '../db/chats-queries.js';
import * as L from '../db/log-queries.js';
import * as U from '../db/users-queries.js';
import type { ChatSummary, Group } from '../contract/schemas.js';
import type { Services } from '../services.js';
import { claimKey, requestHash } from './idempotency.js';
import { ForbiddenError, NotFoundError, UnprocessableError } from './errors.js';
import { takeToken } from './limits.js';
import { appendToLog } from './log.js';
import { notAMember, readEntries, toMessage } from './messages.js';
import { effectiveNotifications } from './notifications.js';

/** Users named by one MembersChanged at most: a large group's changes are several events. */
const MEMBERS_PER_EVENT = 300;

function slices<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += MEMBERS_PER_EVENT) {
    out.push(items.slice(i, i + MEMBERS_PER_EVENT));
  }
  return out;
}

/**
 * Logs that `added` joined chat `chatId` (of group `groupId`, owned by `ownerId`), one event per
 * slice, and opens their membership spans from that event on: it is their first of the chat.
 */
async function logJoined(
  tx: Queryable,
  by: AuthUser,
  group: { chatId: number; groupId: number; ownerId: number },
  added: readonly number[],
): Promise<void> {
  for (const slice of slices(added)) {
    const [seq] = await appendToLog(tx, [
      {
        chatId: group.chatId,
        frame: {
          type: 'MembersChanged',
          chat_id: group.chatId,
          group_id: group.groupId,
          added: slice,
          removed: [],
          owner_id: group.ownerId,
        },
        actor: by,
      },
    ]);
    await tx.query(L.openSpans, [group.chatId, slice, seq]);
  }
}

export type { ChatSummary, Group };

export async function listChats(s: Services, user: AuthUser): Promise<ChatSummary[]> {
  const rows = await s.db.query<C.ChatRow>(C.chatsOfUser, [user.userId]);
  const now = Date.now();
  return rows.map((r) => ({
    chat_id: r.chat_id,
    kind: r.kind,
    title: (r.kind === 'group' ? r.group_name : r.peer_name) ?? '',
    ...(r.group_id !== null ? { group_id: r.group_id } : {}),
    ...(r.owner_id !== null ? { owner_id: r.owner_id } : {}),
    ...(r.peer_user_id !== null ? { peer_user_id: r.peer_user_id } : {}),
    member_ids: r.member_ids,
    ...(r.last_message
      ? {
          last_message: toMessage({
            ...r.last_message,
            created_at: new Date(r.last_message.created_at),
            edited_at:
              r.last_message.edited_at === null ? null : new Date(r.last_message.edited_at),
          }),
        }
      : {}),
    unread_count: r.unread_count,
    unread_mentions: r.unread_mentions,
    notifications: effectiveNotifications(
      { level: r.notify_level, mutedUntil: r.muted_until },
      now,
    ),
  }));
}

function toGroup(row: C.GroupRow): Group {
  const { group_id, chat_id, name, creator_id, owner_id, member_ids } = row;
  return { group_id, chat_id, name, creator_id, owner_id, member_ids };
}

const groupNotFound = () => new NotFoundError('group_not_found', 'no group has this id');
const notOwner = () =>
  new ForbiddenError('not_group_owner', 'only the owner of the group may do this');

/** A group as its members see it; others get 403, unknown ids 404. */
export async function getGroup(s: Services, user: AuthUser, groupId: number): Promise<Group> {
  const [row] = await s.db.query<C.GroupRow>(C.groupById, [groupId, user.userId]);
  if (!row) throw groupNotFound();
  if (!row.is_member) throw notAMember();
  return toGroup(row);
}

function assertSize(s: Services, count: number): void {
  if (count > s.config.maxGroupMembers) {
    throw new UnprocessableError(
      'group_too_large',
      `a group holds at most ${s.config.maxGroupMembers} members`,
    );
  }
}

async function assertUsersExist(tx: Queryable, ids: readonly number[]): Promise<void> {
  const found = new Set(
    (await tx.query<{ id: number }>(U.existingUserIds, [ids])).map((r) => r.id),
  );
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0) {
    throw new NotFoundError('user_not_found', `no user has the id ${missing.join(', ')}`);
  }
}

/**
 * Creates a group and its chat. The author is always a member and its owner, duplicates are
 * ignored, and every listed user must exist. Logged as a MembersChanged adding everyone, so the
 * members' other sockets and /sync learn of the new chat.
 */
export async function createGroup(
  s: Services,
  creator: AuthUser,
  input: { name: string; participantUserIds: number[]; idempotencyKey?: string | undefined },
): Promise<{ group: Group; isReplay: boolean }> {
  const memberIds = [...new Set([creator.userId, ...input.participantUserIds])].sort(
    (a, b) => a - b,
  );
  assertSize(s, memberIds.length);
  return s.db.transaction(async (tx) => {
    const claim =
      input.idempotencyKey === undefined
        ? undefined
        : await claimKey(
            tx,
            creator.userId,
            input.idempotencyKey,
            requestHash('group', input.name, memberIds),
            s.config.idempotencyWindowSeconds,
          );
    if (claim?.isReplay) {
      return { group: await reread(tx, claim.resultId, creator.userId), isReplay: true };
    }
    await assertUsersExist(tx, memberIds);
    // Counted once the group would be created: a refused request costs nothing.
    await takeToken(tx, `group:${creator.userId}`, s.config.rateLimitGroupsPerMinute, 'new groups');
    const [group] = await tx.query<Omit<Group, 'member_ids'>>(C.insertGroup, [
      input.name,
      creator.userId,
      memberIds,
    ]);
    const { group_id, chat_id } = group!;
    await logJoined(
      tx,
      creator,
      { chatId: chat_id, groupId: group_id, ownerId: creator.userId },
      memberIds,
    );
    await claim?.settle(group_id);
    return { group: { ...group!, member_ids: memberIds }, isReplay: false };
  });
}

/**
 * Runs `fn` on group `groupId` with its chat row locked — the lock reads, sends and other
 * membership changes of the chat take too, so none of them races this — after checking that
 * `user` is a member (and, with `isOwnerOnly`, its owner).
 */
async function withGroup<T>(
  s: Services,
  user: AuthUser,
  groupId: number,
  { isOwnerOnly }: { isOwnerOnly: boolean },
  fn: (tx: Queryable, group: C.GroupRow) => Promise<T>,
): Promise<T> {
  return s.db.transaction(async (tx) => {
    const [group] = await tx.query<C.GroupRow>(C.lockGroup, [groupId, user.userId]);
    if (!group) throw groupNotFound();
    if (!group.is_member) throw notAMember();
    if (isOwnerOnly && group.owner_id !== user.userId) throw notOwner();
    return fn(tx, group);
  });
}

/** The group as it is now (inside the transaction that changed it). */
async function reread(tx: Queryable, groupId: number, userId: number): Promise<Group> {
  const [row] = await tx.query<C.GroupRow>(C.groupById, [groupId, userId]);
  return toGroup(row!);
}

/**
 * The owner adds users; those already in are ignored, an unknown id adds nobody (404), and
 * MAX_GROUP_MEMBERS holds (422). Newcomers read the whole history, with nothing unread.
 */
export async function addMembers(
  s: Services,
  user: AuthUser,
  groupId: number,
  userIds: readonly number[],
): Promise<Group> {
  const wanted = [...new Set(userIds)].sort((a, b) => a - b);
  return withGroup(s, user, groupId, { isOwnerOnly: true }, async (tx, group) => {
    await assertUsersExist(tx, wanted);
    const newcomers = wanted.filter((id) => !group.member_ids.includes(id));
    assertSize(s, group.member_ids.length + newcomers.length);
    const added = (await tx.query<{ user_id: number }>(C.addMembers, [group.chat_id, newcomers]))
      .map((r) => r.user_id)
      .sort((a, b) => a - b);
    await logJoined(tx, user, { chatId: group.chat_id, groupId, ownerId: group.owner_id }, added);
    return reread(tx, groupId, user.userId);
  });
}

/**
 * Removes `memberId`: the owner removes anyone, a member removes themselves (leaving). When the
 * owner leaves, the member who joined earliest (then the lowest id) becomes owner. Messages
 * that only the leaver had not read become read: their senders get `Read` once.
 */
export async function removeMember(
  s: Services,
  user: AuthUser,
  groupId: number,
  memberId: number,
): Promise<void> {
  const isLeaving = memberId === user.userId;
  await withGroup(s, user, groupId, { isOwnerOnly: !isLeaving }, async (tx, group) => {
    const [leaving] = await tx.query<C.LeavingRow>(C.leavingMember, [group.chat_id, memberId]);
    if (!leaving) {
      throw new NotFoundError('member_not_found', 'this user is not a member of the group');
    }
    await tx.query(C.removeMember, [group.chat_id, memberId]);
    let ownerId = group.owner_id;
    if (ownerId === memberId) {
      const [next] = await tx.query<{ user_id: number }>(C.earliestMember, [group.chat_id]);
      // The last one out leaves the group without members; its owner stays on record.
      if (next) {
        ownerId = next.user_id;
        await tx.query(C.setOwner, [groupId, ownerId]);
      }
    }
    // Read first: the MembersChanged that removes them is the leaver's last event of the chat.
    const seqs = await appendToLog(tx, [
      ...readEntries(group.chat_id, user, leaving.newly_read, []),
      {
        chatId: group.chat_id,
        frame: {
          type: 'MembersChanged',
          chat_id: group.chat_id,
          group_id: groupId,
          added: [],
          removed: [memberId],
          owner_id: ownerId,
        },
        actor: user,
      },
    ]);
    await tx.query(L.closeSpan, [group.chat_id, memberId, seqs.at(-1)]);
  });
}

/** The owner renames the group. */
export async function renameGroup(
  s: Services,
  user: AuthUser,
  groupId: number,
  name: string,
): Promise<Group> {
  return withGroup(s, user, groupId, { isOwnerOnly: true }, async (tx, group) => {
    if (group.name !== name) {
      await tx.query(C.renameGroup, [groupId, name]);
      await appendToLog(tx, [
        {
          chatId: group.chat_id,
          frame: { type: 'ChatUpdated', chat_id: group.chat_id, group_id: groupId, name },
          actor: user,
        },
      ]);
    }
    return reread(tx, groupId, user.userId);
  });
}
