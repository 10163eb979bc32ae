/**
 * Bots (contract v1.5): users without email or password, owned by the person who made them,
 * who sign in with API tokens only. A deleted bot keeps its user row (its messages stay and
 * still name it); its tokens are deleted and it leaves its groups as any member leaves.
 */
import type { AuthUser } from '../auth/tokens.js';
import { Limits } from '../contract/limits.js';
import type { Bot } from '../contract/schemas.js';
import * as I from '../db/integrations-queries.js';
import type { Services } from '../services.js';
import { announceRevoked, goneIf, issueToken, limitReached } from './api-tokens.js';
import { removeMember } from './chats.js';
import { DomainError, NotFoundError } from './errors.js';

export function toBot(row: I.BotRow): Bot {
  return {
    user: { id: Number(row.id), email: null, name: row.name, is_bot: true },
    owner_id: Number(row.owner_id),
    created_at: row.created_at.toISOString(),
  };
}

/** A bot of `owner` with its first token (`read` and `write`, never expiring). */
export async function createBot(
  s: Services,
  owner: AuthUser,
  input: { name: string },
): Promise<Bot & { token: string }> {
  return s.db.transaction(async (tx) => {
    const [count] = await tx.query<{ n: number }>(I.countBots, [owner.userId]);
    if ((count?.n ?? 0) >= Limits.maxBots) throw limitReached('bots', Limits.maxBots);
    const [row] = await tx
      .query<I.BotRow>(I.insertBot, [input.name, owner.userId])
      .catch(goneIf('users_owner_id_fkey'));
    const { token } = await issueToken(tx, Number(row!.id), {
      name: input.name,
      scopes: ['read', 'write'],
    });
    return { ...toBot(row!), token };
  });
}

export async function listBots(s: Services, owner: AuthUser): Promise<Bot[]> {
  return (await s.db.query<I.BotRow>(I.botsOf, [owner.userId])).map(toBot);
}

/**
 * Deletes `owner`'s bot `botId`: its tokens stop working on every instance, then it leaves each
 * of its groups (ownership passes on as when anyone leaves). Deleting it again finishes what a
 * crash may have left (groups it was still in) and answers the same.
 */
export async function deleteBot(s: Services, owner: AuthUser, botId: number): Promise<void> {
  const rows = await s.db.query(I.deleteBot, [botId, owner.userId]);
  if (rows.length === 0) throw new NotFoundError('bot_not_found', 'no bot of yours has this id');
  await announceRevoked(s, botId, null);
  const asBot: AuthUser = { userId: botId, clientId: `bot-deletion:${botId}` };
  for (const group of await s.db.query<{ id: string }>(I.groupsOfMember, [botId])) {
    await removeMember(s, asBot, Number(group.id), botId).catch((err: unknown) => {
      // Removed by its owner at the same moment: gone either way.
      const isGone =
        err instanceof DomainError && ['chat_forbidden', 'member_not_found'].includes(err.code);
      if (!isGone) throw err;
    });
  }
}
