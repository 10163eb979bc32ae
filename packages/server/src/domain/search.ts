import type { AuthUser } from '../auth/tokens.js';
import * as M from '../db/messages-queries.js';
import type { Message } from '../contract/schemas.js';
import type { Services } from '../services.js';
import { assertMember, toMessage } from './messages.js';
import { prefixQuery } from './search-words.js';

/**
 * Messages of the caller's chats (or of `chatId`, one of them) where every word of `q` starts a
 * word of the text, case-insensitive in any script; newest first, keyset on `before`. Never
 * tombstones.
 */
export async function searchMessages(
  s: Services,
  user: AuthUser,
  input: { q: string; chatId?: number; before?: number; limit?: number },
): Promise<Message[]> {
  if (input.chatId !== undefined) await assertMember(s, input.chatId, user.userId);
  const query = prefixQuery(input.q);
  if (query === undefined) return [];
  const rows = await s.db.query<M.MessageRow>(M.search, [
    user.userId,
    query,
    input.chatId ?? null,
    input.before ?? null,
    input.limit ?? 20,
  ]);
  return rows.map(toMessage);
}
