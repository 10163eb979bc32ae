/**
 * The WebSocket protocol's frames and close codes (contract: "WebSocket" and v1.1), in zod: the
 * one description of each frame. The server's types come from it, and the OpenAPI document
 * carries it as components (`ServerFrame`, `ClientFrame`), from which the SDK's event types are
 * generated like its REST types.
 */
import { z } from 'zod';
import { Id, Message } from '../http/schemas.js';

const frame = <T extends string, S extends z.ZodRawShape>(type: T, shape: S, description: string) =>
  z.object({ type: z.literal(type), ...shape }).meta({ id: `${type}Frame`, description });

export const MessageFrame = frame(
  'Message',
  {
    message: Message,
    mark: z
      .number()
      .int()
      .min(0)
      .optional()
      .meta({
        description:
          'On /ws: every message with an id ≤ mark that this socket should get was sent before ' +
          'this frame (absent until the instance has heard a mark). Your position is your ' +
          'highest mark and the ids above it you received.',
      }),
  },
  'A new message in a subscribed chat (never one sent by the receiving device).',
);

export const ServerFrame = z
  .discriminatedUnion('type', [
    MessageFrame,
    frame(
      'Subscribed',
      { mark: z.number().int().min(0) },
      'On /ws: the socket is live, and where its position starts (or, after a replay, is).',
    ),
    frame(
      'Read',
      { chat_id: Id, message_id: Id, reader_ids: z.array(Id) },
      "To the sender's sockets: message_id (and your earlier ones) became read by every member.",
    ),
    frame(
      'Typing',
      { chat_id: Id, user_id: Id },
      'Another member is typing (ephemeral, never stored).',
    ),
    frame('Resync', {}, 'Events may have been missed: resume from your position.'),
    frame('Pong', {}, 'The answer to a Ping.'),
    frame(
      'Error',
      { code: z.string(), detail: z.string() },
      'A client frame was refused (malformed, unknown, or not allowed).',
    ),
    frame(
      'MembersChanged',
      {
        chat_id: Id,
        group_id: Id,
        added: z.array(Id),
        removed: z.array(Id),
        owner_id: Id,
      },
      "A group's members changed. A removed user's sockets get it last of the chat's events.",
    ),
    frame('ChatUpdated', { chat_id: Id, group_id: Id, name: z.string() }, 'A group was renamed.'),
    frame('MessageEdited', { message: Message }, 'A message was edited: its current state.'),
    frame('MessageDeleted', { chat_id: Id, message_id: Id }, 'A message became a tombstone.'),
    frame(
      'Reaction',
      { chat_id: Id, message_id: Id, emoji: z.string(), user_id: Id, added: z.boolean() },
      'A reaction was added or removed.',
    ),
  ])
  .meta({ id: 'ServerFrame', description: 'Every frame the server sends (JSON text).' });
export type ServerFrame = z.infer<typeof ServerFrame>;

export const ClientFrame = z
  .discriminatedUnion('type', [
    z
      .object({ type: z.literal('Ping') })
      .meta({ id: 'PingFrame', description: 'Answered with Pong.' }),
    z
      .object({
        type: z.literal('Typing'),
        chat_id: Id.optional().meta({ description: 'Optional on /ws/{chat_id}.' }),
      })
      .meta({ id: 'TypingRequestFrame', description: 'Tell the chat you are typing.' }),
  ])
  .meta({ id: 'ClientFrame', description: 'Every frame a client may send (JSON text).' });
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
  /** No longer a member of the chat of this /ws/{chat_id} socket. */
  Forbidden: 4403,
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
