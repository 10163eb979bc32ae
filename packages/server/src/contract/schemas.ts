/**
 * The wire shapes, in zod: the single source of truth for request validation and for the
 * OpenAPI document (openapi/openapi.json is generated from these).
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ERROR_CODES, type ErrorCode as ErrorCodeName } from './codes.js';
import { Limits } from './limits.js';

// Before any schema exists: registering components no route refers to (the socket frames, see
// openapi.ts) needs the `.openapi()` this adds.
extendZodWithOpenApi(z);

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Text that PostgreSQL can store exactly as sent: no NUL, no lone UTF-16 surrogate. */
const storable = (s: z.ZodString) =>
  s
    .refine((v) => !v.includes('\u0000'), 'must not contain NUL characters')
    .refine((v) => v.isWellFormed(), 'must be well-formed Unicode');

/** Counts Unicode code points, not UTF-16 units: an emoji is one character. */
const codePoints = (v: string) => [...v].length;

/** A path or query integer: decimal digits only ("1e3", "0x10", " 7" are refused). */
export function intParam(min: number, max: number) {
  return z.preprocess(
    (v) => (typeof v === 'string' && /^\d{1,16}$/.test(v) ? Number(v) : v),
    z.number().int().min(min).max(max),
  );
}

export const Id = z.number().int().min(1).max(MAX_SAFE);
export const IdParam = intParam(1, MAX_SAFE);

export const ErrorCode = z
  .enum(Object.keys(ERROR_CODES) as [ErrorCodeName, ...ErrorCodeName[]])
  .meta({
    id: 'ErrorCode',
    description:
      'Every machine `code` of a problem answer or a socket `Error` frame:\n\n' +
      Object.entries(ERROR_CODES)
        .map(([code, what]) => `- \`${code}\`: ${what}`)
        .join('\n'),
    'x-enum-descriptions': Object.values(ERROR_CODES),
  });

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: ErrorCode,
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .meta({ description: 'Per-field problems, for validation errors.' }),
  })
  .meta({ id: 'Problem', description: 'An RFC 9457 problem document.' });

export const User = z
  .object({
    id: Id,
    email: z.string().nullable().meta({ description: 'Null for bots.' }),
    name: z.string(),
    is_bot: z.boolean().meta({
      description: 'A bot (contract v1.5): made by a person, it signs in with API tokens only.',
    }),
  })
  .meta({ id: 'User' });

export const TokenPair = z
  .object({
    access_token: z.string(),
    token_type: z.literal('bearer'),
    expires_in: z.number().int().meta({ description: 'Seconds until the access token expires.' }),
    refresh_token: z.string(),
  })
  .meta({ id: 'TokenPair' });

const Email = storable(z.string().trim().toLowerCase().max(254)).pipe(z.email());
const Password = z
  .string()
  .min(1)
  .refine((v) => Buffer.byteLength(v) <= 72, 'must be at most 72 bytes (bcrypt reads no further)');
export const ClientId = storable(z.string().min(1).max(128)).meta({
  description: 'The device; one user may be logged in on several at once.',
});

export const LoginJson = z
  .object({
    email: storable(z.string().min(1).max(254)),
    password: Password,
    client_id: ClientId.optional(),
  })
  .meta({ id: 'LoginJson' });

export const LoginForm = z
  .object({
    username: storable(z.string().min(1).max(254)).meta({ description: 'The email.' }),
    password: Password,
    client_id: ClientId.optional(),
    grant_type: z.literal('password').optional(),
    scope: z.string().optional(),
    client_secret: z.string().optional(),
  })
  .meta({ id: 'LoginForm' });

export const RefreshRequest = z
  .object({ refresh_token: z.string().min(1).max(512) })
  .meta({ id: 'RefreshRequest' });

export const RegisterRequest = z
  .object({
    email: Email,
    name: storable(z.string().trim().min(1).max(100)),
    password: Password.refine((v) => v.length >= 8, 'must be at least 8 characters'),
  })
  .meta({ id: 'RegisterRequest' });

export const UsersQuery = z.object({
  query: storable(z.string().max(254)).optional(),
  ids: z
    .string()
    .regex(/^\d{1,16}(,\d{1,16}){0,99}$/, 'a comma-separated list of at most 100 user ids')
    .transform((v) => [...new Set(v.split(',').map(Number))])
    .optional()
    .meta({ description: 'Look users up by id instead: `ids=1,2,3` (at most 100).' }),
  limit: intParam(1, 100).optional(),
});

export const ReactionCount = z
  .object({
    emoji: z.string(),
    count: z.number().int().min(1),
    me: z.boolean().meta({ description: 'True when the caller is one of them.' }),
  })
  .meta({ id: 'ReactionCount' });

const IsoTime = z.string().meta({ format: 'date-time', description: 'ISO 8601, UTC.' });

/** A file id: opaque, unguessable (contract v1.3). */
export const FileId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{16,64}$/, 'must be a file id ([A-Za-z0-9_-], 16..64 characters)')
  .meta({ description: 'An opaque file id (`[A-Za-z0-9_-]`, 16..64 characters).' });

export const FileObject = z
  .object({
    id: FileId,
    name: z.string().meta({ description: 'A file name: no path, no control characters.' }),
    size: z.number().int().min(0).meta({ description: 'Bytes.' }),
    content_type: z.string().meta({
      description:
        'What the bytes are, detected from their content (never only what the client said); ' +
        '`application/octet-stream` when unknown.',
    }),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .meta({ description: 'Of the bytes, hex.' }),
    created_at: IsoTime,
    uploader_id: Id,
    image: z
      .object({ width: z.number().int().min(1), height: z.number().int().min(1) })
      .nullable()
      .meta({ description: 'PNG, JPEG, GIF and WebP images: their size; otherwise null.' }),
  })
  .meta({ id: 'File' });
export type FileObject = z.infer<typeof FileObject>;

export const FilesConfig = z
  .object({
    upload_max_bytes: z.number().int().min(0),
    attachments_per_message: z.number().int().min(0),
    quota_bytes: z.number().int().min(0).meta({ description: 'Per user; 0: no quota.' }),
    used_bytes: z
      .number()
      .int()
      .min(0)
      .meta({ description: 'What your files take of it (each file counted whole).' }),
  })
  .meta({ id: 'FilesConfig' });

/** Up to this many people a message names. */
const MAX_MENTIONS = Limits.maxMentions;

export const ThreadSummary = z
  .object({
    reply_count: z.number().int().min(0).meta({ description: 'Its non-deleted replies.' }),
    last_reply_at: IsoTime.nullable().meta({ description: 'Null when every reply was deleted.' }),
    last_reply_id: Id.nullable(),
    participant_ids: z.array(Id).meta({
      description: "The root's sender, then every replier in order of first reply.",
    }),
  })
  .meta({ id: 'ThreadSummary' });
export type ThreadSummary = z.infer<typeof ThreadSummary>;

export const Message = z
  .object({
    id: Id,
    chat_id: Id,
    sender_id: Id,
    text: z.string().meta({ description: 'Empty for a deleted message (a tombstone).' }),
    timestamp: IsoTime,
    is_read: z
      .boolean()
      .meta({ description: 'True when every member other than the sender has read it.' }),
    edited_at: IsoTime.nullable().meta({ description: 'When the text was last edited.' }),
    deleted: z.boolean().meta({ description: 'A tombstone: text empty, no reactions.' }),
    reply_to: Id.nullable().meta({ description: 'The message of the same chat it answers.' }),
    reactions: z.array(ReactionCount).meta({
      description:
        'Most used first. Always `[]` in live `Message` events, which every receiver shares.',
    }),
    attachments: z.array(FileObject).meta({
      description: 'Its files, in the order sent; `[]` when none and on a tombstone.',
    }),
    mentions: z.array(Id).meta({
      description: 'The people it names, as sent (members of the chat); `[]` on a tombstone.',
    }),
    mention_all: z.boolean().meta({ description: 'It names everyone in the chat.' }),
    thread_id: Id.nullable().meta({ description: 'The root of its thread; null at top level.' }),
    thread: ThreadSummary.nullable().meta({
      description:
        'On a message that has ever had a reply: its thread. Null elsewhere, and in live ' +
        '`Message` events (a reply moves its root: clients follow from the replies).',
    }),
  })
  .meta({ id: 'Message' });
export type Message = z.infer<typeof Message>;

const MAX_TEXT_CODE_POINTS = Limits.maxTextCodePoints;

/** A message text: 1..4000 code points after trimming, stored as sent. */
const MessageText = storable(z.string()).refine((v) => {
  const n = codePoints(v.trim());
  return n >= 1 && n <= MAX_TEXT_CODE_POINTS;
}, `must hold 1..${MAX_TEXT_CODE_POINTS} characters after trimming`);

/** The people a message names: distinct user ids, members of the chat. */
const Mentions = z
  .array(Id)
  .max(MAX_MENTIONS)
  .refine((ids) => new Set(ids).size === ids.length, 'must not repeat a person')
  .meta({
    description:
      `Up to ${MAX_MENTIONS} user ids, members of the chat (else 422 \`mention_invalid\`); ` +
      'never read out of the text. Part of what the operation id is bound to.',
  });

export const SendMessageRequest = z
  .object({
    text: storable(z.string())
      .refine((v) => codePoints(v.trim()) <= MAX_TEXT_CODE_POINTS, {
        message: `must hold at most ${MAX_TEXT_CODE_POINTS} characters after trimming`,
      })
      .default('')
      .meta({
        description: `1..${MAX_TEXT_CODE_POINTS} characters after trimming; may be empty or left out when \`attachments\` are sent.`,
      }),
    attachments: z
      .array(FileId)
      .max(Limits.maxAttachments)
      .refine((ids) => new Set(ids).size === ids.length, 'must not repeat a file')
      .optional()
      .meta({
        description:
          `Up to ${Limits.maxAttachments} of your own uploads (else 422 \`attachment_invalid\`), ` +
          'in the order shown; part of what the operation id is bound to.',
      }),
    reply_to: Id.optional().meta({
      description:
        'A message of the same chat this one answers (else 422 `reply_to_invalid`); part of ' +
        'what the operation id is bound to.',
    }),
    mentions: Mentions.optional(),
    mention_all: z.boolean().optional().meta({
      description: 'Names everyone in the chat; part of what the operation id is bound to.',
    }),
    thread_id: Id.optional().meta({
      description:
        'A top-level, non-deleted message of the same chat: this is a reply in its thread ' +
        '(else 422 `thread_invalid`); part of what the operation id is bound to.',
    }),
    operation_id: z
      .number()
      .int()
      .min(-32768)
      .max(32767)
      .optional()
      .meta({
        description:
          'Idempotency key (int16), unique per sender within the window. Required unless the ' +
          'request has an `Idempotency-Key` header, which then is the key instead.',
      }),
  })
  .refine((v) => codePoints(v.text.trim()) > 0 || (v.attachments?.length ?? 0) > 0, {
    path: ['text'],
    message: `must hold 1..${MAX_TEXT_CODE_POINTS} characters after trimming (or send attachments)`,
  })
  .meta({ id: 'SendMessageRequest' });

export const ReadPointer = z
  .object({ chat_id: Id, last_read_message_id: z.number().int().min(0) })
  .meta({ id: 'ReadPointer' });

export const HistoryQuery = z.object({
  after: intParam(0, MAX_SAFE).optional(),
  before: intParam(0, MAX_SAFE).optional(),
  later_than_message_id: intParam(0, MAX_SAFE)
    .optional()
    .meta({ description: 'Alias of `after`.' }),
  later_that_message_id: intParam(0, MAX_SAFE)
    .optional()
    .meta({ description: "Alias of `after` (the original API's spelling)." }),
  limit: intParam(1, 100).optional().meta({ description: 'Page size, 1..100 (default 50).' }),
  thread_id: intParam(1, MAX_SAFE)
    .optional()
    .meta({ description: 'Only the thread of this root: the root and its replies.' }),
  top_level: z
    .enum(['true', 'false'])
    .optional()
    .meta({ description: '`true`: without thread replies.' }),
});

export const MentionsQuery = z.object({
  before: intParam(0, MAX_SAFE).optional().meta({ description: 'A message id (keyset).' }),
  limit: intParam(1, 100).optional().meta({ description: 'Page size, 1..100 (default 50).' }),
});

export const ThreadsQuery = z.object({
  before: intParam(0, MAX_SAFE)
    .optional()
    .meta({ description: "A thread's `last_reply_id` (keyset): the threads before it." }),
  limit: intParam(1, 100).optional().meta({ description: 'Page size, 1..100 (default 50).' }),
});

export const FollowedThreadsQuery = ThreadsQuery.extend({
  unread: z
    .enum(['true', 'false'])
    .optional()
    .meta({ description: '`true`: only threads with replies past your pointer.' }),
});

export const ThreadReadRequest = z
  .object({
    message_id: Id.meta({ description: 'The root or one of its replies.' }),
  })
  .meta({ id: 'ThreadReadRequest' });

export const ThreadPointer = z
  .object({ root_id: Id, last_read_message_id: z.number().int().min(0) })
  .meta({ id: 'ThreadPointer' });

export const FollowedThread = z
  .object({
    root: Message,
    unread_count: z
      .number()
      .int()
      .min(0)
      .meta({ description: "Others' replies past your pointer in the thread." }),
  })
  .meta({ id: 'FollowedThread' });

export const UnreadTotals = z
  .object({
    chats: z.number().int().min(0).meta({ description: 'Chats with something to count.' }),
    messages: z.number().int().min(0).meta({ description: 'Unread messages counted.' }),
    mentions: z.number().int().min(0).meta({ description: 'Unread mentions of you.' }),
  })
  .meta({ id: 'UnreadTotals' });

export const EditMessageRequest = z
  .object({
    text: MessageText,
    mentions: Mentions.optional().meta({
      description: 'The people it names now (left out: unchanged).',
    }),
    mention_all: z.boolean().optional().meta({ description: 'Left out: unchanged.' }),
  })
  .meta({ id: 'EditMessageRequest' });

/** A reaction: 1..16 code points, no whitespace and no control or format character. */
export const Emoji = z
  .string()
  .refine((v) => v.isWellFormed(), 'must be well-formed Unicode')
  .refine((v) => {
    const n = codePoints(v);
    return n >= 1 && n <= 16;
  }, 'must hold 1..16 characters')
  .refine((v) => !/[\s\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(v.replace(/\u200d|\ufe0f/g, '')), {
    message: 'must hold no whitespace or control character',
  })
  .meta({ description: 'The reaction, URL-encoded: 1..16 characters, e.g. `%F0%9F%91%8D` (👍).' });

export const Reactions = z
  .object({ message_id: Id, reactions: z.array(ReactionCount) })
  .meta({ id: 'Reactions' });

export const Group = z
  .object({
    group_id: Id,
    chat_id: Id,
    name: z.string(),
    creator_id: Id,
    owner_id: Id.meta({
      description: 'May add, remove and rename; the earliest member when the owner leaves.',
    }),
    member_ids: z.array(Id),
  })
  .meta({ id: 'Group' });
export type Group = z.infer<typeof Group>;

export const AddMembersRequest = z
  .object({ user_ids: z.array(Id).min(1).max(100_000) })
  .meta({ id: 'AddMembersRequest' });

export const RenameGroupRequest = z
  .object({ name: storable(z.string().trim().min(1).max(100)) })
  .meta({ id: 'RenameGroupRequest' });

export const SearchQuery = z.object({
  q: storable(z.string().min(1).max(200)).meta({
    description: 'Every word must start a word of the text; case-insensitive, any language.',
  }),
  chat_id: IdParam.optional().meta({ description: 'Only this chat (one of yours).' }),
  before: intParam(0, MAX_SAFE).optional().meta({ description: 'Keyset: ids below this.' }),
  limit: intParam(1, 100).optional().meta({ description: 'Page size, 1..100 (default 20).' }),
});

export const CreateGroupRequest = z
  .object({
    name: storable(z.string().trim().min(1).max(100)),
    participant_user_ids: z.array(Id).max(100_000),
  })
  .meta({ id: 'CreateGroupRequest' });

/** How much of a chat its member wants to hear of (contract v1.4, notification levels). */
export const NotifyLevel = z.enum(['all', 'mentions', 'none']).meta({
  id: 'NotifyLevel',
  description:
    'How much of a chat you want to hear of: `all`, `mentions` (only messages that mention ' +
    'you or everyone) or `none`.',
});
export type NotifyLevel = z.infer<typeof NotifyLevel>;

export const Notifications = z
  .object({
    level: NotifyLevel,
    muted_until: IsoTime.nullable().meta({
      description: 'When `level` lapses back to `all` by itself; null: it holds until changed.',
    }),
  })
  .meta({
    id: 'Notifications',
    description:
      'Your notification level in a chat as it is now: a level whose time has passed is `all`.',
  });
export type Notifications = z.infer<typeof Notifications>;

export const ChatNotifications = z
  .object({ chat_id: Id, ...Notifications.shape })
  .meta({ id: 'ChatNotifications' });
export type ChatNotifications = z.infer<typeof ChatNotifications>;

const MAX_MUTE_MS = Limits.maxMuteSeconds * 1000;

export const SetNotificationsRequest = z
  .object({
    level: NotifyLevel,
    until: z.iso
      .datetime({ offset: true })
      .optional()
      .meta({
        description:
          'An RFC 3339 time, in the future and at most a year ahead (kept to the millisecond): ' +
          'the level holds until then, then is `all` again. Left out: until changed. Not with ' +
          '`all`, which has nothing to lapse.',
      }),
  })
  .refine(({ level, until }) => until === undefined || level !== 'all', {
    path: ['until'],
    message: 'must be left out with level "all" (nothing lapses)',
  })
  .refine(({ until }) => until === undefined || Date.parse(until) > Date.now(), {
    path: ['until'],
    message: 'must be in the future',
  })
  .refine(({ until }) => until === undefined || Date.parse(until) - Date.now() <= MAX_MUTE_MS, {
    path: ['until'],
    message: `must be at most ${Limits.maxMuteSeconds / 86_400} days ahead`,
  })
  .meta({ id: 'SetNotificationsRequest' });

export const ChatSummary = z
  .object({
    chat_id: Id,
    kind: z.enum(['direct', 'group']),
    title: z.string(),
    group_id: Id.optional(),
    owner_id: Id.optional().meta({ description: "Groups only: the group's owner." }),
    peer_user_id: Id.optional(),
    member_ids: z.array(Id),
    last_message: Message.optional(),
    unread_count: z
      .number()
      .int()
      .min(0)
      .meta({ description: 'Messages after your read pointer, not yours, not deleted.' }),
    unread_mentions: z.number().int().min(0).meta({
      description:
        'Messages after your read pointer that name you, or everyone (not yours, not deleted).',
    }),
    notifications: Notifications,
  })
  .meta({ id: 'ChatSummary' });
export type ChatSummary = z.infer<typeof ChatSummary>;

export const Health = z.object({ status: z.enum(['ok', 'unavailable']) }).meta({ id: 'Health' });

// ---- v1.5: bots and integrations --------------------------------------------------------------

const Name100 = storable(z.string().trim().min(1).max(100));

export const Scope = z.enum(['read', 'write']).meta({
  id: 'Scope',
  description: '`read`: GET requests, sockets and /sync; `write`: every change.',
});

export const CreateTokenRequest = z
  .object({
    name: Name100,
    scopes: z
      .array(Scope)
      .min(1)
      .max(2)
      .refine((s) => new Set(s).size === s.length, 'must not repeat a scope'),
    expires_in: z
      .number()
      .int()
      .min(60)
      .max(10 * 366 * 86_400)
      .optional()
      .meta({ description: 'Seconds until it stops working; left out: never.' }),
  })
  .meta({ id: 'CreateTokenRequest' });

export const ApiToken = z
  .object({
    id: Id,
    name: z.string(),
    scopes: z.array(Scope),
    created_at: IsoTime,
    expires_at: IsoTime.nullable(),
    last_used_at: IsoTime.nullable().meta({
      description: 'The last request made with it, to the minute; null: never used.',
    }),
  })
  .meta({ id: 'ApiToken' });
export type ApiToken = z.infer<typeof ApiToken>;

export const NewApiToken = ApiToken.extend({
  token: z.string().meta({
    description:
      '`msgr_pat_…`: shown this once (only its hash is kept). Send it as a bearer token.',
  }),
}).meta({ id: 'NewApiToken' });

export const CreateBotRequest = z.object({ name: Name100 }).meta({ id: 'CreateBotRequest' });

export const Bot = z.object({ user: User, owner_id: Id, created_at: IsoTime }).meta({ id: 'Bot' });
export type Bot = z.infer<typeof Bot>;

export const NewBot = Bot.extend({
  token: z.string().meta({
    description: "The bot's first API token (`read` and `write`, never expiring): shown this once.",
  }),
}).meta({ id: 'NewBot' });

export const CreateHookRequest = z.object({ name: Name100 }).meta({ id: 'CreateHookRequest' });

export const Hook = z
  .object({
    id: Id,
    chat_id: Id,
    name: z.string(),
    bot_id: Id.meta({ description: "The hook's own bot user: its posts are this user's." }),
    creator_id: Id,
    created_at: IsoTime,
  })
  .meta({ id: 'Hook' });
export type Hook = z.infer<typeof Hook>;

export const NewHook = Hook.extend({
  url: z.string().meta({
    description:
      '`/hooks/{id}/{secret}`, relative to the server: POST to it. Shown this once (only a ' +
      'hash of the secret is kept).',
  }),
}).meta({ id: 'NewHook' });

export const HookPost = z
  .object({
    text: storable(z.string())
      .refine((v) => codePoints(v.trim()) <= MAX_TEXT_CODE_POINTS, {
        message: `must hold at most ${MAX_TEXT_CODE_POINTS} characters after trimming`,
      })
      .default(''),
    attachments: z
      .array(FileId)
      .max(Limits.maxAttachments)
      .refine((ids) => new Set(ids).size === ids.length, 'must not repeat a file')
      .optional()
      .meta({
        description:
          "Files the hook's maker uploaded (the hook's bot has no token to upload with).",
      }),
  })
  .refine((v) => codePoints(v.text.trim()) > 0 || (v.attachments?.length ?? 0) > 0, {
    path: ['text'],
    message: `must hold 1..${MAX_TEXT_CODE_POINTS} characters after trimming (or send attachments)`,
  })
  .meta({ id: 'HookPost' });

export const WebhookState = z.enum(['active', 'failing']).meta({
  id: 'WebhookState',
  description:
    '`failing`: its receiver refused an event for WEBHOOK_RETRY_HOURS, or the log no longer ' +
    'holds the events from where it stood (`last_error` says which); it delivers nothing ' +
    'until resumed.',
});

export const CreateWebhookRequest = z
  .object({
    url: z
      .string()
      .max(2000)
      .meta({ description: 'http(s) only; private and loopback addresses are refused.' }),
    events: z
      .array(z.string())
      .min(1)
      .max(20)
      .meta({
        description:
          'Kinds of logged event to deliver: the `type`s of logged frames (`Message`, `Read`, ' +
          '`ReadMarker`, `NotificationsChanged`, `MembersChanged`, `ChatUpdated`, ' +
          '`MessageEdited`, `MessageDeleted`, `Reaction`).',
      }),
    chat_ids: z.array(Id).min(1).max(1000).optional().meta({
      description:
        'Only these chats (each one you are a member of); left out: every chat of yours.',
    }),
  })
  .meta({ id: 'CreateWebhookRequest' });

export const Webhook = z
  .object({
    id: Id,
    url: z.string(),
    events: z.array(z.string()),
    chat_ids: z.array(Id).nullable(),
    state: WebhookState,
    position: z.string().meta({
      description:
        'A seq: every event up to it was delivered or skipped; the next delivery is the first ' +
        'wanted event after it.',
    }),
    next_attempt_at: IsoTime.nullable().meta({
      description: 'When the next retry is due, while one waits; null otherwise.',
    }),
    last_error: z.string().nullable(),
    created_at: IsoTime,
  })
  .meta({ id: 'Webhook' });
export type Webhook = z.infer<typeof Webhook>;

export const NewWebhook = Webhook.extend({
  secret: z.string().meta({
    description: '`whsec_…`, the Standard Webhooks signing secret: shown this once.',
  }),
}).meta({ id: 'NewWebhook' });

export const WebhookDelivery = z
  .object({
    id: Id,
    event_seq: Id,
    event_type: z.string(),
    webhook_message_id: z.string().meta({ description: 'The `webhook-id` header it carried.' }),
    attempt: z.number().int().min(1),
    status: z.number().int().nullable().meta({ description: "The receiver's HTTP status." }),
    duration_ms: z.number().int().min(0),
    error: z.string().nullable(),
    at: IsoTime,
  })
  .meta({ id: 'WebhookDelivery' });
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;
