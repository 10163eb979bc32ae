/**
 * The WebSocket protocol's frames and close codes (contract: "WebSocket", v1.1 and v1.2), in
 * zod: the one description of each frame. The server's types come from it, the AsyncAPI
 * document carries it as components (`ServerFrame`, `ClientFrame`, `CloseCode`), and the SDK's
 * event types and close codes are generated from that.
 */
import { z } from 'zod';
import { ChatNotifications, Id, Message } from './schemas.js';

const frame = <T extends string, S extends z.ZodRawShape>(type: T, shape: S, description: string) =>
  z.object({ type: z.literal(type), ...shape }).meta({ id: `${type}Frame`, description });

/** What every logged frame carries besides its own fields: where it is in the log. */
const place = {
  seq: Id.meta({
    description:
      "This event's place in the log (for a `Message`, its id). Seqs ascend in log order; " +
      'inside one chat they follow commit order.',
  }),
  mark: z
    .number()
    .int()
    .min(0)
    .optional()
    .meta({
      description:
        'Every event with a seq ≤ mark that this socket (or /sync call) should get was sent ' +
        'before this frame (absent until the instance has heard a mark). Your position is ' +
        'your highest mark and the seqs above it you received.',
    }),
};

/** A frame of a logged kind: its fields, then its place in the log. */
const logged = <T extends string, S extends z.ZodRawShape>(
  type: T,
  shape: S,
  description: string,
) => frame(type, { ...shape, ...place }, `${description} Logged: replayed on resume and by /sync.`);

export const MessageFrame = logged(
  'Message',
  { message: Message },
  'A new message in a chat of yours (never one sent by the receiving device).',
);
export const ReadFrame = logged(
  'Read',
  { chat_id: Id, message_id: Id, reader_ids: z.array(Id) },
  'To the sender only: message_id (and your earlier ones) became read by every member; ' +
    'reader_ids are the members whose read completed it (empty when a member left).',
);
export const ReadMarkerFrame = logged(
  'ReadMarker',
  { chat_id: Id, message_id: Id },
  'To your other devices: your own read pointer in the chat moved up to message_id.',
);
export const NotificationsChangedFrame = logged(
  'NotificationsChanged',
  ChatNotifications.shape,
  'To your other devices: your notification level in the chat changed (as it is now; it ' +
    'lapses back to `all` at muted_until by itself, with no event).',
);
export const MembersChangedFrame = logged(
  'MembersChanged',
  { chat_id: Id, group_id: Id, added: z.array(Id), removed: z.array(Id), owner_id: Id },
  "A group's members changed (also when it is created: everyone added). The one that adds " +
    'you is your first event of the chat, the one that removes you your last.',
);
export const ChatUpdatedFrame = logged(
  'ChatUpdated',
  { chat_id: Id, group_id: Id, name: z.string() },
  'A group was renamed.',
);
export const MessageEditedFrame = logged(
  'MessageEdited',
  { message: Message },
  'A message was edited: the message as it was after this edit.',
);
export const MessageDeletedFrame = logged(
  'MessageDeleted',
  { chat_id: Id, message_id: Id },
  'A message became a tombstone (the text of its earlier events in the log is redacted too).',
);
export const ReactionFrame = logged(
  'Reaction',
  { chat_id: Id, message_id: Id, emoji: z.string(), user_id: Id, added: z.boolean() },
  'A reaction was added or removed.',
);

/** Every logged kind's frame. */
export const LoggedFrame = z.discriminatedUnion('type', [
  MessageFrame,
  ReadFrame,
  ReadMarkerFrame,
  NotificationsChangedFrame,
  MembersChangedFrame,
  ChatUpdatedFrame,
  MessageEditedFrame,
  MessageDeletedFrame,
  ReactionFrame,
]);
export type LoggedFrame = z.infer<typeof LoggedFrame>;
/** A logged frame as the log keeps it: without its place, which is added on the way out. */
export type LogFrame = LoggedFrame extends infer F
  ? F extends LoggedFrame
    ? Omit<F, 'seq' | 'mark'>
    : never
  : never;
export type EventType = LoggedFrame['type'];

export const ServerFrame = z
  .discriminatedUnion('type', [
    ...LoggedFrame.options,
    frame(
      'Subscribed',
      { mark: z.number().int().min(0) },
      'The socket is live, and where its position starts (or, after a replay, is). Sent on ' +
        '/ws, and on /ws/{chat_id} when it was opened with ?position=.',
    ),
    frame(
      'PositionExpired',
      {},
      'The position asked for is older than the log keeps (EVENT_RETENTION_DAYS): nothing ' +
        'was replayed, the socket goes live from now (a Subscribed follows). Reload what you show.',
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

/** The close codes the server uses, by name, with what each asks of the client. */
export const CLOSE_CODES = {
  GoingAway: [1001, 'The server is shutting down: reconnect (elsewhere) and resume.'],
  PolicyViolation: [1008, 'The client sent frames faster than allowed.'],
  TooBig: [1009, 'A client frame was over the size limit.'],
  ServiceRestart: [1012, 'The server restarted its stream (Resync): resume from your position.'],
  TryAgainLater: [1013, 'The client read too slowly: resume from your position.'],
  TokenExpired: [4401, 'The access token expired: refresh it and reconnect.'],
  TokenRevoked: [4410, 'The API token was revoked, or its bot deleted: it works no more.'],
  Forbidden: [4403, 'No longer a member of the chat of this /ws/{chat_id} socket.'],
  TooManyConnections: [4429, 'Too many open sockets for this user.'],
} as const satisfies Record<string, readonly [number, string]>;

type CloseCodes = { readonly [K in keyof typeof CLOSE_CODES]: (typeof CLOSE_CODES)[K][0] };

/** `CloseCode.GoingAway` … : the codes alone. */
export const CloseCode = Object.fromEntries(
  Object.entries(CLOSE_CODES).map(([name, [code]]) => [name, code]),
) as CloseCodes;
