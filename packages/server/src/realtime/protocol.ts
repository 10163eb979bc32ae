/** The WebSocket protocol's frames and close codes (contract: "WebSocket"). */
import { z } from 'zod';
import type { Message } from '../domain/messages.js';

export type ServerFrame =
  | { type: 'Message'; message: Message }
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
