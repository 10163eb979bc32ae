/**
 * Mentions: the `@` completion of a composer (the chat's members, fuzzy, by name or email),
 * which people a draft names when it is sent (those picked whose `@Name` is still in the text),
 * `@all` / `@everyone`, and whether a message names me. Pure.
 */
import { safeLine } from '@msgr/safe-text';
import type { Message } from '@msgr/sdk';
import { userName } from './selectors.js';
import type { ChatState, DraftMention, Field, MentionCandidate, State } from './types.js';

/** Candidates the completion shows at once (more scroll with ↑/↓). */
export const COMPLETION_ROWS = 5;
/** The words that name everyone in a group. */
export const ALL_TOKENS = ['all', 'everyone'] as const;

/** What may stand before an `@` that starts a mention (so `ann@example.com` does not). */
const BEFORE = `(^|[\\s([{"'])`;
/** What may follow a mention's name (so `@Ann` is not found in `@Anna`). */
const AFTER = `(?=$|[\\s.,;:!?)\\]}"'])`;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function tokenPattern(name: string, flags = 'u'): RegExp {
  return new RegExp(`${BEFORE}@${escapeRegExp(name)}${AFTER}`, flags);
}

/** The `@word` the cursor stands right after: where its `@` is and the word typed so far. */
export function mentionQuery(field: Field): { start: number; query: string } | undefined {
  const before = field.text.slice(0, field.cursor);
  const match = /(^|[\s([{"'])@([^\s@]{0,40})$/u.exec(before);
  if (!match) return undefined;
  const query = match[2]!;
  return { start: field.cursor - query.length - 1, query };
}

function isSubsequence(query: string, text: string): boolean {
  let at = 0;
  for (const ch of text) if (ch === query[at]) at++;
  return at === query.length;
}

/**
 * How well `query` finds a person (lower is better; undefined: not at all): the name's start,
 * a word of the name, the email's start, inside the name or the email, then the letters in
 * order (`tu2` finds `Test User 2`).
 */
export function matchScore(query: string, name: string, email?: string | null): number | undefined {
  const q = query.toLowerCase();
  if (q === '') return 0;
  const n = name.toLowerCase();
  const e = email?.toLowerCase();
  if (n.startsWith(q)) return 0;
  if (n.split(/\s+/).some((word) => word.startsWith(q))) return 1;
  if (e?.startsWith(q)) return 2;
  if (n.includes(q)) return 3;
  if (e?.includes(q)) return 4;
  if (isSubsequence(q, n)) return 5;
  if (e !== undefined && isSubsequence(q, e)) return 6;
  return undefined;
}

/**
 * Whom `@query` may name in `chat`: its members but me, best match first (then by name), and in
 * a group `@all` / `@everyone` when the query starts them. Names are untrusted: made safe here.
 */
export function mentionCandidates(
  state: State,
  chat: Pick<ChatState, 'kind' | 'memberIds'>,
  query: string,
): MentionCandidate[] {
  const meId = state.me?.id;
  const found: { score: number; candidate: Extract<MentionCandidate, { kind: 'user' }> }[] = [];
  for (const userId of new Set(chat.memberIds)) {
    if (userId === meId) continue;
    const name = safeLine(userName(state, userId));
    const email = state.users[userId]?.email ?? undefined;
    const score = matchScore(query, name, email);
    if (score === undefined) continue;
    found.push({
      score,
      candidate: { kind: 'user', userId, name, email: email && safeLine(email) },
    });
  }
  found.sort(
    (a, b) =>
      a.score - b.score ||
      a.candidate.name.localeCompare(b.candidate.name, undefined, { sensitivity: 'base' }) ||
      a.candidate.userId - b.candidate.userId,
  );
  const candidates: MentionCandidate[] = found.map((f) => f.candidate);
  if (chat.kind === 'group') {
    for (const token of ALL_TOKENS) {
      if (token.startsWith(query.toLowerCase())) candidates.push({ kind: 'all', token });
    }
  }
  return candidates;
}

/** The completion as shown: the `@word`, what it may become, which one is highlighted. */
export interface OpenCompletion {
  start: number;
  query: string;
  candidates: MentionCandidate[];
  index: number;
}

/**
 * The composer's completion when one is open: after an `@word` that someone matches, not closed
 * with Esc. `scope`: the chat whose members it offers (a thread's composer: the chat it is in).
 */
export function openCompletion(
  state: State,
  chat: ChatState,
  scope: Pick<ChatState, 'kind' | 'memberIds'> = chat,
): OpenCompletion | undefined {
  const at = mentionQuery(chat.draft);
  if (!at || chat.completion?.dismissedAt === at.start) return undefined;
  const candidates = mentionCandidates(state, scope, at.query);
  if (candidates.length === 0) return undefined;
  const index = Math.min(Math.max(0, chat.completion?.index ?? 0), candidates.length - 1);
  return { ...at, candidates, index };
}

/** What a candidate puts after the `@`. */
export const candidateText = (c: MentionCandidate): string =>
  c.kind === 'user' ? c.name : c.token;

/**
 * The ids of the picked people the text still names, each `@Name` counted once, longest names
 * first (so `@Ann Lee` is Ann Lee's, not Ann's as well).
 */
export function mentionedIds(text: string, mentions: DraftMention[] | undefined): number[] {
  if (!mentions?.length) return [];
  let rest = text;
  const ids: number[] = [];
  const longestFirst = [...mentions].sort((a, b) => b.name.length - a.name.length);
  for (const m of longestFirst) {
    const pattern = tokenPattern(m.name);
    if (!pattern.test(rest)) continue;
    if (!ids.includes(m.userId)) ids.push(m.userId);
    // Taken: the same words cannot name a second person too.
    rest = rest.replace(pattern, '$1');
  }
  return ids;
}

/** The picked people the text still names (the others were edited away). */
export function keptMentions(
  text: string,
  mentions: DraftMention[] | undefined,
): DraftMention[] | undefined {
  if (!mentions?.length) return mentions;
  const ids = mentionedIds(text, mentions);
  const kept = mentions.filter((m) => ids.includes(m.userId));
  return kept.length === mentions.length ? mentions : kept;
}

/** `@all` or `@everyone` as a word of the text (any case). */
export function namesEveryone(text: string): boolean {
  return new RegExp(`${BEFORE}@(${ALL_TOKENS.join('|')})${AFTER}`, 'iu').test(text);
}

/** What a send of `text` from `chat`'s composer carries: the people it names, and everyone. */
export function mentionsToSend(
  chat: Pick<ChatState, 'kind' | 'mentions'>,
  text: string,
): { mentions: DraftMention[]; mentionAll: boolean } {
  const ids = mentionedIds(text, chat.mentions);
  const mentions: DraftMention[] = [];
  for (const m of chat.mentions ?? []) {
    if (ids.includes(m.userId) && !mentions.some((k) => k.userId === m.userId)) mentions.push(m);
  }
  return { mentions, mentionAll: chat.kind === 'group' && namesEveryone(text) };
}

/**
 * The draft after choosing `candidate` for the `@word` at the cursor: `@Name ` in its place, the
 * person recorded.
 */
export function insertMention(
  draft: Field,
  mentions: DraftMention[] | undefined,
  candidate: MentionCandidate,
): { draft: Field; mentions: DraftMention[] | undefined } {
  const at = mentionQuery(draft);
  if (!at) return { draft, mentions };
  const inserted = `@${candidateText(candidate)} `;
  const text = draft.text.slice(0, at.start) + inserted + draft.text.slice(draft.cursor);
  const next = { text, cursor: at.start + inserted.length };
  if (candidate.kind !== 'user') return { draft: next, mentions };
  const known = (mentions ?? []).filter((m) => m.userId !== candidate.userId);
  return { draft: next, mentions: [...known, { userId: candidate.userId, name: candidate.name }] };
}

/**
 * Does `message` name me: my id among its `mentions`, or everyone (`mention_all`) by someone
 * else? Tombstones name nobody.
 */
export function namesMe(message: Message, meId: number | undefined): boolean {
  if (meId === undefined || message.deleted) return false;
  if ((message.mentions ?? []).includes(meId)) return true;
  return message.mention_all === true && message.sender_id !== meId;
}

/** The mentions of a message being edited, as the draft records them (names as known now). */
export function mentionsOf(state: State, message: Message): DraftMention[] | undefined {
  const ids = message.mentions ?? [];
  if (ids.length === 0) return undefined;
  return ids.map((userId) => ({ userId, name: safeLine(userName(state, userId)) }));
}
