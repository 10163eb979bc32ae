/** The WebSocket protocol's frames and close codes (contract: "WebSocket"). */
import { z } from 'zod';
import type { Message } from '../domain/messages.js';

export type ServerFrame =
  /**
   * `mark`: every message with an id ≤ mark that this socket should get has been sent on it
   * before this frame (absent until the instance has heard a mark). With the ids above it
   * that the client received, it is the client's resume position: see {@link Position}.
   */
  | { type: 'Message'; message: Message; mark?: number }
  /** On /ws: the socket is live; `mark` is where its position starts (or, after a replay, is). */
  | { type: 'Subscribed'; mark: number }
  | { type: 'Read'; chat_id: number; message_id: number; reader_ids: number[] }
  | { type: 'Typing'; chat_id: number; user_id: number }
  | { type: 'Resync' }
  | { type: 'Pong' }
  | { type: 'Error'; code: string; detail: string };

export const ClientFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('Ping') }),
  z.object({
    type: z.literal('Typing'),
    chat_id: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

export const CloseCode = {
  /** Server shutting down: reconnect elsewhere. */
  GoingAway: 1001,
  /** The client sent frames faster than allowed. */
  PolicyViolation: 1008,
  /** The server restarts its stream (its listener reconnected): resume from your position. */
  ServiceRestart: 1012,
  /** A frame over the size limit. */
  TooBig: 1009,
  /** The client reads too slowly; resume with ?after=. */
  TryAgainLater: 1013,
  /** The access token expired: refresh it and reconnect. */
  TokenExpired: 4401,
  /** Too many open sockets for this user. */
  TooManyConnections: 4429,
} as const;

/** Largest frame a client may send (bytes). */
export const MAX_FRAME_BYTES = 64 * 1024;

/**
 * Where a `/ws` client resumes: `?position=<mark>` or `<mark>.<id>.<id>…` — the highest `mark`
 * it received, and the ids above it it received. The server replays every message of the
 * user's chats with an id above the mark that is not listed, in id order, then goes live.
 */
export interface Position {
  mark: number;
  seen: number[];
}

/** Most ids a position may list (a client receives that many above its mark only in a flood). */
export const MAX_POSITION_IDS = 500;

/** Parses a position; undefined when it is not one. */
export function parsePosition(text: string): Position | undefined {
  if (text.length > 17 * (MAX_POSITION_IDS + 1)) return undefined;
  const parts = text.split('.');
  if (parts.length > MAX_POSITION_IDS + 1) return undefined;
  const numbers: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,16}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > Number.MAX_SAFE_INTEGER) return undefined;
    numbers.push(n);
  }
  const [mark, ...seen] = numbers as [number, ...number[]];
  return { mark, seen: seen.filter((id) => id > mark) };
}
