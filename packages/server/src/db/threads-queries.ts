/**
 * Threads (contract v1.4, migration 009): a chat's threads by latest reply, following, the
 * per-thread read pointer and a user's followed threads with unread replies. Counts are index
 * ranges of one thread (messages_thread), never a scan of a chat.
 */
import { sql } from './database.js';
import { MESSAGE_COLUMNS, reactionsOf, type MessageRow } from './messages-queries.js';

/** Message `$1` if it is a top-level message, with whether user `$2` is a member of its chat. */
export interface RootRow {
  chat_id: number;
  is_root: boolean;
  is_member: boolean;
}

export const rootFor = sql(
  'threads.root',
  `SELECT m.chat_id, m.thread_id IS NULL AS is_root,
          EXISTS (SELECT 1 FROM chat_members cm WHERE cm.chat_id = m.chat_id AND cm.user_id = $2)
            AS is_member
   FROM messages m WHERE m.id = $1`,
);

/** A message row with `is_read` and the reader's reactions (`$1` the reader), from `page`. */
const withReadAndReactions = (reader: string) => `
   SELECT page.*,
          NOT EXISTS (SELECT 1 FROM chat_members cm
                      WHERE cm.chat_id = page.chat_id AND cm.user_id <> page.sender_id
                        AND cm.last_read_message_id < page.id) AS is_read,
          ${reactionsOf('page.id', reader)} AS reactions
   FROM page`;

/**
 * The threads of chat `$1` (roots with at least one reply left) by latest reply, below
 * `last_reply_id` `$2` (NULL: from the newest), at most `$3`; `$4` the reader.
 */
export const chatThreads = sql(
  'threads.of_chat',
  `WITH page AS (
     SELECT ${MESSAGE_COLUMNS} FROM messages m
     WHERE m.chat_id = $1 AND m.last_reply_id IS NOT NULL
       AND ($2::bigint IS NULL OR m.last_reply_id < $2)
     ORDER BY m.last_reply_id DESC LIMIT $3
   )
   ${withReadAndReactions('$4')} ORDER BY (page.thread ->> 'last_reply_id')::bigint DESC`,
);

/** User `$1` follows (`$3` true) or stops following root `$2` of chat `$4`. */
export const setFollowing = sql(
  'threads.follow',
  `INSERT INTO thread_follows AS f (user_id, root_id, chat_id, is_following)
   VALUES ($1, $2, $4, $3)
   ON CONFLICT (user_id, root_id) DO UPDATE SET is_following = $3`,
);

/**
 * Moves user `$1`'s read pointer in root `$2`'s thread (chat `$4`) up to `$3`, never back; a
 * thread they do not follow keeps its pointer without being followed. Answers the pointer.
 */
export const readThread = sql(
  'threads.read',
  `INSERT INTO thread_follows AS f (user_id, root_id, chat_id, is_following, last_read_id)
   VALUES ($1, $2, $4, false, $3)
   ON CONFLICT (user_id, root_id) DO UPDATE SET last_read_id = greatest(f.last_read_id, $3)
   RETURNING f.last_read_id`,
);

/** Whether message `$1` is root `$2` or one of its replies. */
export const isInThread = sql(
  'threads.contains',
  `SELECT EXISTS (SELECT 1 FROM messages m WHERE m.id = $1 AND (m.id = $2 OR m.thread_id = $2))
     AS is_in`,
);

export interface FollowedRow extends MessageRow {
  unread_count: number;
}

/**
 * The threads user `$1` follows, in chats they are a member of, by latest reply, below
 * `last_reply_id` `$2` (NULL: from the newest), at most `$3`; with `$4` true only those with
 * unread replies (others' non-deleted replies past their pointer, counted in the thread's index
 * range).
 */
export const followedThreads = sql(
  'threads.followed',
  `WITH followed AS MATERIALIZED (
     SELECT f.root_id, f.last_read_id, root.last_reply_id
     FROM thread_follows f JOIN messages root ON root.id = f.root_id
     WHERE f.user_id = $1 AND f.is_following AND root.last_reply_id IS NOT NULL
       AND EXISTS (SELECT 1 FROM chat_members cm WHERE cm.chat_id = f.chat_id AND cm.user_id = $1)
       AND ($2::bigint IS NULL OR root.last_reply_id < $2)
       AND (NOT $4::boolean OR root.last_reply_id > f.last_read_id)
   ), counted AS MATERIALIZED (
     SELECT followed.*,
            (SELECT count(*)::int FROM messages r
             WHERE r.thread_id IS NOT NULL
               AND (r.thread_id, r.id) > (followed.root_id, followed.last_read_id)
               AND (r.thread_id, r.id) <= (followed.root_id, 9223372036854775807)
               AND r.deleted_at IS NULL AND r.sender_id <> $1) AS unread_count
     FROM followed
   ), chosen AS (
     SELECT * FROM counted WHERE NOT $4::boolean OR unread_count > 0
     ORDER BY last_reply_id DESC LIMIT $3
   ), page AS (
     SELECT ${MESSAGE_COLUMNS}, chosen.unread_count
     FROM chosen JOIN messages m ON m.id = chosen.root_id
   )
   ${withReadAndReactions('$1')} ORDER BY (page.thread ->> 'last_reply_id')::bigint DESC`,
);
