/**
 * API tokens, bots, incoming hooks and outgoing webhooks (contract v1.5, migration 010).
 */
import { sql } from './database.js';

// ---- API tokens -------------------------------------------------------------------------------

export interface ApiTokenRow {
  id: number;
  user_id: number;
  name: string;
  scopes: ('read' | 'write')[];
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
}

const TOKEN_COLUMNS =
  't.id, t.user_id, t.name, t.scopes, t.created_at, t.expires_at, t.last_used_at';

/** A token of user `$1` named `$2`, scopes `$3`, hash `$4`, ending in `$5` seconds (NULL: never). */
export const insertApiToken = sql(
  'api_tokens.insert',
  `INSERT INTO api_tokens AS t (user_id, name, scopes, token_hash, expires_at)
   VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
   RETURNING ${TOKEN_COLUMNS}`,
);

/** User `$1`'s tokens, newest first. */
export const apiTokensOf = sql(
  'api_tokens.of_user',
  `SELECT ${TOKEN_COLUMNS} FROM api_tokens t WHERE t.user_id = $1 ORDER BY t.id DESC`,
);

export const countApiTokens = sql(
  'api_tokens.count',
  'SELECT count(*)::int AS n FROM api_tokens WHERE user_id = $1',
);

/** Deletes token `$1` of user `$2`. */
export const deleteApiToken = sql(
  'api_tokens.delete',
  'DELETE FROM api_tokens WHERE id = $1 AND user_id = $2 RETURNING id',
);

export interface TokenCallerRow {
  id: number;
  user_id: number;
  scopes: ('read' | 'write')[];
  expires_at: Date | null;
  is_expired: boolean;
  /** Its last use was written more than a minute ago (or never): write it now. */
  is_stale: boolean;
}

/** The live token whose hash is `$1`, of a user that is not deleted. */
export const tokenByHash = sql(
  'api_tokens.by_hash',
  `SELECT t.id, t.user_id, t.scopes, t.expires_at,
          t.expires_at IS NOT NULL AND t.expires_at <= now() AS is_expired,
          t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute' AS is_stale
   FROM api_tokens t JOIN users u ON u.id = t.user_id
   WHERE t.token_hash = $1 AND u.deleted_at IS NULL`,
);

/** Which of tokens `$1` still work. */
export const liveTokens = sql(
  'api_tokens.live',
  `SELECT t.id FROM api_tokens t WHERE t.id = ANY ($1::bigint[])
     AND (t.expires_at IS NULL OR t.expires_at > now())`,
);

/** Records a use of token `$1`, unless another instance just did. */
export const touchApiToken = sql(
  'api_tokens.touch',
  `UPDATE api_tokens SET last_used_at = now()
   WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
);

// ---- bots -------------------------------------------------------------------------------------

export interface BotRow {
  id: number;
  email: null;
  name: string;
  is_bot: true;
  owner_id: number;
  created_at: Date;
}

const BOT_COLUMNS = 'u.id, u.email, u.name, u.is_bot, u.owner_id, u.created_at';

/** A bot user named `$1`, owned by `$2`. */
export const insertBot = sql(
  'bots.insert',
  `INSERT INTO users AS u (name, is_bot, owner_id) VALUES ($1, true, $2) RETURNING ${BOT_COLUMNS}`,
);

/** User `$1`'s bots that are not deleted and not the bots of incoming webhooks. */
export const botsOf = sql(
  'bots.of_owner',
  `SELECT ${BOT_COLUMNS} FROM users u
   WHERE u.owner_id = $1 AND u.is_bot AND u.deleted_at IS NULL
     AND NOT EXISTS (SELECT 1 FROM hooks h WHERE h.bot_id = u.id)
   ORDER BY u.id`,
);

export const countBots = sql(
  'bots.count',
  `SELECT count(*)::int AS n FROM users u
   WHERE u.owner_id = $1 AND u.is_bot AND u.deleted_at IS NULL
     AND NOT EXISTS (SELECT 1 FROM hooks h WHERE h.bot_id = u.id)`,
);

/**
 * Marks bot `$1` of owner `$2` deleted (a deleted one stays so) and deletes its tokens; no row:
 * no such bot of theirs (a hook's bot is deleted with its hook).
 */
export const deleteBot = sql(
  'bots.delete',
  `WITH bot AS (
     UPDATE users u SET deleted_at = coalesce(u.deleted_at, now())
     WHERE u.id = $1 AND u.owner_id = $2 AND u.is_bot
       AND NOT EXISTS (SELECT 1 FROM hooks h WHERE h.bot_id = u.id)
     RETURNING u.id
   ), tokens AS (
     DELETE FROM api_tokens t USING bot WHERE t.user_id = bot.id
   )
   SELECT id FROM bot`,
);

/** The groups user `$1` is a member of. */
export const groupsOfMember = sql(
  'bots.groups_of_member',
  `SELECT g.id FROM groups g JOIN chat_members m ON m.chat_id = g.chat_id
   WHERE m.user_id = $1 ORDER BY g.id`,
);

// ---- incoming webhooks ------------------------------------------------------------------------

export interface HookRow {
  id: number;
  chat_id: number;
  name: string;
  bot_id: number;
  creator_id: number;
  created_at: Date;
}

const HOOK_COLUMNS = 'h.id, h.chat_id, h.name, h.bot_id, h.creator_id, h.created_at';

export interface ChatRightsRow {
  kind: 'direct' | 'group';
  /** The group's owner; null for a direct chat. */
  owner_id: number | null;
  is_member: boolean;
}

/** Chat `$1` locked (no row: no such chat), with what user `$2` may do in it. */
export const lockChatRights = sql(
  'hooks.lock_chat',
  `SELECT c.kind, g.owner_id,
          EXISTS (SELECT 1 FROM chat_members m WHERE m.chat_id = c.id AND m.user_id = $2)
            AS is_member
   FROM chats c LEFT JOIN groups g ON g.chat_id = c.id WHERE c.id = $1 FOR UPDATE OF c`,
);

export const countHooks = sql(
  'hooks.count',
  'SELECT count(*)::int AS n FROM hooks WHERE chat_id = $1',
);

/** A hook of chat `$1` posting as bot `$2`, made by `$3`, named `$4`, secret hash `$5`. */
export const insertHook = sql(
  'hooks.insert',
  `INSERT INTO hooks AS h (chat_id, bot_id, creator_id, name, secret_hash)
   VALUES ($1, $2, $3, $4, $5) RETURNING ${HOOK_COLUMNS}`,
);

export const hooksOfChat = sql(
  'hooks.of_chat',
  `SELECT ${HOOK_COLUMNS} FROM hooks h WHERE h.chat_id = $1 ORDER BY h.id`,
);

export const hookById = sql('hooks.by_id', `SELECT ${HOOK_COLUMNS} FROM hooks h WHERE h.id = $1`);

/** Hook `$1` with its secret's hash, for a post. */
export const hookSecret = sql(
  'hooks.secret',
  'SELECT h.id, h.bot_id, h.secret_hash FROM hooks h WHERE h.id = $1',
);

/** Deletes hook `$1` and marks its bot deleted. */
export const deleteHook = sql(
  'hooks.delete',
  `WITH h AS (DELETE FROM hooks WHERE id = $1 RETURNING bot_id)
   UPDATE users u SET deleted_at = now() FROM h WHERE u.id = h.bot_id RETURNING u.id`,
);

/** Chat `$1` (no row: no such chat), with what user `$2` may do in it; not locked. */
export const chatRights = sql(
  'hooks.chat_rights',
  `SELECT c.kind, g.owner_id,
          EXISTS (SELECT 1 FROM chat_members m WHERE m.chat_id = c.id AND m.user_id = $2)
            AS is_member
   FROM chats c LEFT JOIN groups g ON g.chat_id = c.id WHERE c.id = $1`,
);
