import { sql } from './database.js';

export interface ChatRow {
  chat_id: number;
  kind: 'direct' | 'group';
  group_id: number | null;
  group_name: string | null;
  member_ids: number[];
  peer_user_id: number | null;
  peer_name: string | null;
  unread_count: number;
  lm_id: number | null;
  lm_sender_id: number | null;
  lm_text: string | null;
  lm_created_at: Date | null;
  lm_is_read: boolean | null;
}

/**
 * The caller's chats, most recent activity first. Unread = messages after the caller's read
 * pointer not sent by the caller (an index range on messages(chat_id, id)).
 */
export const chatsOfUser = sql(
  'chats.of_user',
  `SELECT c.id AS chat_id, c.kind, g.id AS group_id, g.name AS group_name,
          ARRAY(SELECT cm.user_id FROM chat_members cm WHERE cm.chat_id = c.id ORDER BY cm.user_id)
            AS member_ids,
          peer.id AS peer_user_id, peer.name AS peer_name,
          (SELECT count(*) FROM messages m
           WHERE m.chat_id = c.id AND m.id > me.last_read_message_id AND m.sender_id <> me.user_id)
            AS unread_count,
          lm.id AS lm_id, lm.sender_id AS lm_sender_id, lm.text AS lm_text,
          lm.created_at AS lm_created_at,
          NOT EXISTS (SELECT 1 FROM chat_members x
                      WHERE x.chat_id = c.id AND x.user_id <> lm.sender_id
                        AND x.last_read_message_id < lm.id) AS lm_is_read
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
  member_ids: number[];
  is_member: boolean;
}

export const groupById = sql(
  'groups.by_id',
  `SELECT g.id AS group_id, g.chat_id, g.name, g.creator_id,
          ARRAY(SELECT cm.user_id FROM chat_members cm WHERE cm.chat_id = g.chat_id ORDER BY cm.user_id)
            AS member_ids,
          EXISTS (SELECT 1 FROM chat_members cm WHERE cm.chat_id = g.chat_id AND cm.user_id = $2)
            AS is_member
   FROM groups g WHERE g.id = $1`,
);

/** Creates the chat, the group and its members in one statement. */
export const insertGroup = sql(
  'groups.insert',
  `WITH c AS (
     INSERT INTO chats (kind) VALUES ('group') RETURNING id
   ), g AS (
     INSERT INTO groups (chat_id, name, creator_id) SELECT c.id, $1, $2 FROM c
     RETURNING id, chat_id, name, creator_id
   ), m AS (
     INSERT INTO chat_members (chat_id, user_id)
     SELECT c.id, u FROM c, unnest($3::bigint[]) AS u
   )
   SELECT g.id AS group_id, g.chat_id, g.name, g.creator_id FROM g`,
);

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
