import type { NotifyLevel } from '../contract/schemas.js';
import { sql } from './database.js';
import {
  MESSAGE_COLUMNS,
  pastPointer,
  reactionsOf,
  UNREAD_MENTIONS,
  type MessageRow,
} from './messages-queries.js';

export interface ChatRow {
  chat_id: number;
  kind: 'direct' | 'group';
  group_id: number | null;
  group_name: string | null;
  owner_id: number | null;
  member_ids: number[];
  peer_user_id: number | null;
  peer_name: string | null;
  unread_count: number;
  unread_mentions: number;
  /** The caller's notification level as stored (domain/notifications.ts makes it effective). */
  notify_level: NotifyLevel;
  muted_until: Date | null;
  /** The last message, as a {@link MessageRow}; null for a chat without one. */
  last_message:
    | (Omit<MessageRow, 'created_at' | 'edited_at'> & {
        created_at: string;
        edited_at: string | null;
      })
    | null;
}

/**
 * The caller's chats, most recent activity first. Unread = messages after the caller's read
 * pointer, not sent by the caller and not deleted (an index range on messages(chat_id, id)).
 */
export const chatsOfUser = sql(
  'chats.of_user',
  `SELECT c.id AS chat_id, c.kind, g.id AS group_id, g.name AS group_name, g.owner_id,
          ARRAY(SELECT cm.user_id FROM chat_members cm WHERE cm.chat_id = c.id ORDER BY cm.user_id)
            AS member_ids,
          peer.id AS peer_user_id, peer.name AS peer_name,
          (SELECT count(*) FROM messages m
           WHERE ${pastPointer('m', 'c.id', 'me.last_read_message_id')} AND m.sender_id <> me.user_id
             AND m.deleted_at IS NULL)
            AS unread_count,
          ${UNREAD_MENTIONS('me')} AS unread_mentions,
          me.notify_level, me.muted_until,
          (SELECT row_to_json(x) FROM (
             SELECT ${MESSAGE_COLUMNS},
                    NOT EXISTS (SELECT 1 FROM chat_members o
                                WHERE o.chat_id = m.chat_id AND o.user_id <> m.sender_id
                                  AND o.last_read_message_id < m.id) AS is_read,
                    ${reactionsOf('m.id', '$1')} AS reactions
             FROM messages m WHERE m.id = c.last_message_id) x) AS last_message
   FROM chat_members me
   JOIN chats c ON c.id = me.chat_id
   LEFT JOIN groups g ON g.chat_id = c.id
   LEFT JOIN messages lm ON lm.id = c.last_message_id
   LEFT JOIN LATERAL (
     SELECT u.id, u.name FROM chat_members o JOIN users u ON u.id = o.user_id
     WHERE c.kind = 'direct' AND o.chat_id = c.id
     ORDER BY (o.user_id = me.user_id), o.user_id LIMIT 1
   ) peer ON true
   WHERE me.user_id = $1
   ORDER BY coalesce(lm.created_at, c.created_at) DESC, c.id DESC`,
);

export interface GroupRow {
  group_id: number;
  chat_id: number;
  name: string;
  creator_id: number;
  owner_id: number;
  member_ids: number[];
  is_member: boolean;
}

const GROUP_COLUMNS = `g.id AS group_id, g.chat_id, g.name, g.creator_id, g.owner_id,
  ARRAY(SELECT cm.user_id FROM chat_members cm WHERE cm.chat_id = g.chat_id ORDER BY cm.user_id)
    AS member_ids`;

/** Group `$1` and whether user `$2` is a member. */
export const groupById = sql(
  'groups.by_id',
  `SELECT ${GROUP_COLUMNS},
          EXISTS (SELECT 1 FROM chat_members cm WHERE cm.chat_id = g.chat_id AND cm.user_id = $2)
            AS is_member
   FROM groups g WHERE g.id = $1`,
);

/** Group `$1` and whether user `$2` is a member, with its chat row locked (membership changes). */
export const lockGroup = sql(
  'groups.lock',
  `SELECT ${GROUP_COLUMNS},
          EXISTS (SELECT 1 FROM chat_members cm WHERE cm.chat_id = g.chat_id AND cm.user_id = $2)
            AS is_member
   FROM groups g JOIN chats c ON c.id = g.chat_id WHERE g.id = $1 FOR UPDATE OF c`,
);

/** Creates the chat, the group and its members in one statement; the creator owns it. */
export const insertGroup = sql(
  'groups.insert',
  `WITH c AS (
     INSERT INTO chats (kind) VALUES ('group') RETURNING id
   ), g AS (
     INSERT INTO groups (chat_id, name, creator_id, owner_id) SELECT c.id, $1, $2, $2 FROM c
     RETURNING id, chat_id, name, creator_id, owner_id
   ), m AS (
     INSERT INTO chat_members (chat_id, user_id)
     SELECT c.id, u FROM c, unnest($3::bigint[]) AS u
   )
   SELECT g.id AS group_id, g.chat_id, g.name, g.creator_id, g.owner_id FROM g`,
);

/**
 * Adds users `$2` to chat `$1`; those already in are left alone. A newcomer's read pointer
 * starts at the chat's latest message: the whole history is theirs to read, not a backlog.
 */
export const addMembers = sql(
  'groups.add_members',
  `INSERT INTO chat_members (chat_id, user_id, last_read_message_id, joined_at)
   SELECT $1, u, coalesce((SELECT last_message_id FROM chats WHERE id = $1), 0), clock_timestamp()
   FROM unnest($2::bigint[]) AS u
   ON CONFLICT (chat_id, user_id) DO NOTHING
   RETURNING user_id`,
);

export const memberCount = sql(
  'groups.member_count',
  `SELECT count(*)::int AS n FROM chat_members WHERE chat_id = $1`,
);

export interface LeavingRow {
  last_read_message_id: number;
  /** Messages that only the leaver had not read: fully read once they are gone. */
  newly_read: { id: number; sender_id: number }[];
}

/**
 * Member `$2` of chat `$1` as they leave: their pointer, and the messages that their leaving
 * makes read by every remaining member but the sender (the chat row is locked: no read or
 * leave races this). Null when they are not a member.
 */
export const leavingMember = sql(
  'groups.leaving_member',
  `WITH leaver AS (
     SELECT last_read_message_id AS p FROM chat_members WHERE chat_id = $1 AND user_id = $2
   ), lows AS (
     SELECT user_id, last_read_message_id AS p FROM chat_members
     WHERE chat_id = $1 AND user_id <> $2 ORDER BY last_read_message_id, user_id LIMIT 2
   ), newly_read AS (
     SELECT m.id, m.sender_id FROM messages m, leaver
     WHERE m.chat_id = $1 AND m.id > leaver.p AND m.sender_id <> $2
       AND m.id <= coalesce((SELECT min(p) FROM lows WHERE lows.user_id <> m.sender_id),
                            9223372036854775807)
   )
   SELECT leaver.p AS last_read_message_id,
          coalesce((SELECT json_agg(json_build_object('id', id, 'sender_id', sender_id) ORDER BY id)
                    FROM newly_read), '[]'::json) AS newly_read
   FROM leaver`,
);

export const removeMember = sql(
  'groups.remove_member',
  `DELETE FROM chat_members WHERE chat_id = $1 AND user_id = $2`,
);

/** The member of chat `$1` who joined earliest (then the lowest id): the next owner. */
export const earliestMember = sql(
  'groups.earliest_member',
  `SELECT user_id FROM chat_members WHERE chat_id = $1 ORDER BY joined_at, user_id LIMIT 1`,
);

export const setOwner = sql('groups.set_owner', `UPDATE groups SET owner_id = $2 WHERE id = $1`);

export const renameGroup = sql('groups.rename', `UPDATE groups SET name = $2 WHERE id = $1`);

export interface ChatAccessRow {
  is_member: boolean;
}

/** Whether chat `$1` exists (a row) and whether user `$2` is in it. */
export const chatAccess = sql(
  'chats.access',
  `SELECT EXISTS (SELECT 1 FROM chat_members cm WHERE cm.chat_id = c.id AND cm.user_id = $2)
            AS is_member
   FROM chats c WHERE c.id = $1`,
);

export interface NotificationsRow {
  /** Null when the user is not a member (the chat exists: there is a row). */
  notify_level: NotifyLevel | null;
  muted_until: Date | null;
}

/**
 * Chat `$1` locked (no row: no such chat), with user `$2`'s notification level in it as stored
 * (null: not a member). The lock is the one every change of the chat takes before it draws a
 * seq (messages-queries.ts `lockChatOfMessage`).
 */
export const lockNotifications = sql(
  'chats.lock_notifications',
  `SELECT cm.notify_level, cm.muted_until
   FROM chats c LEFT JOIN chat_members cm ON cm.chat_id = c.id AND cm.user_id = $2
   WHERE c.id = $1 FOR UPDATE OF c`,
);

/** Sets user `$2`'s notification level in chat `$1` to `$3`, lapsing at `$4` (null: never). */
export const setNotifications = sql(
  'chats.set_notifications',
  `UPDATE chat_members SET notify_level = $3, muted_until = $4
   WHERE chat_id = $1 AND user_id = $2`,
);
