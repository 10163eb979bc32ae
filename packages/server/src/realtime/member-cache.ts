/**
 * Who is a member of a chat at each point of the log, cached per instance: a chat's membership
 * spans (migrations/006-log.ts), each from the event that added a user to the one that removed
 * them. "The members at seq S" is then exact whenever the spans were read, as long as they were
 * read after S committed: a later change only adds spans starting, or ends spans, after S.
 *
 * Every instance hears each membership change (a MembersChanged event) and forgets the chat
 * then; a read that was under way at that moment may have seen the old spans, so it is not kept
 * (the chat's generation moved on).
 */
import type { Database } from '../db/database.js';
import * as R from '../db/realtime-queries.js';

/** Chats whose spans are cached (then the cache starts over). */
const MAX_CHATS = 50_000;

export interface Span {
  user_id: number;
  from_seq: number;
  until_seq: number | null;
}

/** The users whose span holds `seq`. */
export function membersAt(spans: readonly Span[], seq: number): number[] {
  const users: number[] = [];
  for (const s of spans) {
    if (s.from_seq <= seq && (s.until_seq === null || seq <= s.until_seq)) users.push(s.user_id);
  }
  return users;
}

export class MemberCache {
  private readonly spans = new Map<number, readonly Span[]>();
  /** Per chat, how many membership changes this instance has heard. */
  private readonly generations = new Map<number, number>();

  constructor(private readonly db: Database) {}

  /** The spans of `chatId`. */
  async of(chatId: number): Promise<readonly Span[]> {
    const cached = this.spans.get(chatId);
    if (cached) return cached;
    const generation = this.generations.get(chatId) ?? 0;
    const rows = await this.db.query<Span>(R.chatSpans, [chatId]);
    if ((this.generations.get(chatId) ?? 0) !== generation) return rows;
    if (this.spans.size >= MAX_CHATS) this.spans.clear();
    if (rows.length > 0) this.spans.set(chatId, rows);
    return rows;
  }

  /** Whether `userId` is a member of `chatId` now. */
  async isMember(chatId: number, userId: number): Promise<boolean> {
    return (await this.of(chatId)).some((s) => s.user_id === userId && s.until_seq === null);
  }

  forget(chatId: number): void {
    this.spans.delete(chatId);
    this.generations.set(chatId, (this.generations.get(chatId) ?? 0) + 1);
    if (this.generations.size > MAX_CHATS) this.generations.clear();
  }

  /** Forgets every chat (changes of members may have gone unheard). */
  clear(): void {
    for (const chatId of this.spans.keys()) this.forget(chatId);
  }
}
