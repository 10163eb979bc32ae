import type { Request } from 'express';
import { z } from 'zod';
import { idempotencyKeyOf } from '../http/idempotency-key.js';
import { HttpError } from '../http/problem.js';
import * as messages from '../domain/messages.js';
import { UnprocessableError } from '../domain/errors.js';
import { route, type Reply } from '../http/route.js';
import * as changes from '../domain/message-changes.js';
import { Limits } from '../contract/limits.js';
import { Readers } from '../contract/sync.js';
import { searchMessages } from '../domain/search.js';
import {
  EditMessageRequest,
  Emoji,
  HistoryQuery,
  IdParam,
  MentionsQuery,
  Message,
  ReadPointer,
  Reactions,
  SearchQuery,
  SendMessageRequest,
} from '../contract/schemas.js';

const SEND_DESCRIPTION =
  'Idempotent on (sender, `operation_id`), or on (sender, `Idempotency-Key`) when the request ' +
  'has that header (then `operation_id` may be left out, and a different request under the key ' +
  'answers 422 `idempotency_key_conflict`), for IDEMPOTENCY_WINDOW_SECONDS (default 300) from ' +
  'the creation of the message: a repeat with the same target and text answers the original ' +
  'with 200 and `Idempotent-Replayed: true`, even when the repeats arrive at the same moment ' +
  'on different instances; the same id with another target or text answers 422 ' +
  '`operation_id_conflict`. A failed send uses up nothing. Each new message takes one of the ' +
  "sender's RATE_LIMIT_SENDS_PER_MINUTE (default 600, a bucket that may be spent at once); " +
  'past it 429 `rate_limited` with `Retry-After`. Replays cost nothing.';

const sendResponses = {
  201: { description: 'Created by this request.', schema: Message },
  200: {
    description: 'An earlier request with this operation id created it: the original message.',
    schema: Message,
    headers: { 'Idempotent-Replayed': 'Always `true` on this answer.' },
  },
};

/** The send's input; its key is the `Idempotency-Key` header or, without one, `operation_id`. */
function sendInput(req: Request, body: z.output<typeof SendMessageRequest>): messages.SendInput {
  const idempotencyKey = idempotencyKeyOf(req);
  if (idempotencyKey === undefined && body.operation_id === undefined) {
    throw new HttpError(
      422,
      'validation_failed',
      'invalid body: body.operation_id: send an operation_id or an Idempotency-Key header',
      [{ path: 'body.operation_id', message: 'required without an Idempotency-Key header' }],
    );
  }
  return {
    text: body.text,
    operationId: body.operation_id,
    idempotencyKey,
    replyTo: body.reply_to,
    attachments: body.attachments,
    mentions: body.mentions,
    mentionAll: body.mention_all,
    threadId: body.thread_id,
  };
}

function sendReply(result: messages.SendResult): Reply {
  return result.isReplay
    ? { status: 200, body: result.message, headers: { 'Idempotent-Replayed': 'true' } }
    : { status: 201, body: result.message };
}

export const messageRoutes = [
  route({
    method: 'post',
    path: '/messages/user/{user_id}',
    operationId: 'sendToUser',
    tag: 'messages',
    summary: 'Write to a user (the direct chat is created on first message)',
    description: `${SEND_DESCRIPTION} Writing to yourself is allowed: a one-member "saved messages" chat.`,
    params: z.object({ user_id: IdParam }),
    body: SendMessageRequest,
    responses: sendResponses,
    errors: {
      404: '`user_not_found`.',
      422:
        'Invalid input, `reply_to_invalid`, `attachment_invalid`, `mention_invalid`, ' +
        '`thread_invalid`, `operation_id_conflict`, `idempotency_key_conflict` or ' +
        '`idempotency_key_invalid`.',
      429: "`rate_limited`: over the sender's message budget (`Retry-After`).",
    },
    handler: async ({ params, body, user, services, req }) =>
      sendReply(
        await messages.send(
          services,
          user,
          { kind: 'user', id: params.user_id },
          sendInput(req, body),
        ),
      ),
  }),
  route({
    method: 'post',
    path: '/messages/group/{group_id}',
    operationId: 'sendToGroup',
    tag: 'messages',
    summary: 'Write to a group',
    description: SEND_DESCRIPTION,
    params: z.object({ group_id: IdParam }),
    body: SendMessageRequest,
    responses: sendResponses,
    errors: {
      403: '`chat_forbidden`: not a member.',
      404: '`group_not_found`.',
      422:
        'Invalid input, `reply_to_invalid`, `attachment_invalid`, `mention_invalid`, ' +
        '`thread_invalid`, `operation_id_conflict`, `idempotency_key_conflict` or ' +
        '`idempotency_key_invalid`.',
      429: "`rate_limited`: over the sender's message budget (`Retry-After`).",
    },
    handler: async ({ params, body, user, services, req }) =>
      sendReply(
        await messages.send(
          services,
          user,
          { kind: 'group', id: params.group_id },
          sendInput(req, body),
        ),
      ),
  }),
  route({
    method: 'post',
    path: '/messages/read/{message_id}',
    operationId: 'markRead',
    tag: 'messages',
    summary: 'Mark a message and every earlier one of its chat read',
    description:
      'A read pointer ("read up to"); it never moves back. Messages that this makes read by ' +
      'every member but their sender are announced to the sender once (a `Read` event).',
    params: z.object({ message_id: IdParam }),
    responses: { 200: { description: 'Your pointer in that chat.', schema: ReadPointer } },
    errors: { 403: 'Not a member of its chat.', 404: '`message_not_found`.' },
    handler: async ({ params, user, services }) => ({
      status: 200,
      body: await messages.markRead(services, user, params.message_id),
    }),
  }),
  route({
    method: 'get',
    path: '/messages/{message_id}/readers',
    operationId: 'getReaders',
    tag: 'messages',
    summary: 'Who read a message',
    description:
      'The members other than its sender whose read pointer is at or past it (members of its ' +
      'chat only).',
    params: z.object({ message_id: IdParam }),
    responses: { 200: { description: 'Its readers.', schema: Readers } },
    errors: { 403: '`chat_forbidden`: not a member of its chat.', 404: '`message_not_found`.' },
    handler: async ({ params, user, services }) => ({
      status: 200,
      body: await messages.readers(services, user, params.message_id),
    }),
  }),
  route({
    method: 'get',
    path: '/history/{chat_id}',
    operationId: 'getHistory',
    tag: 'messages',
    summary: 'One page of a chat, ascending by id',
    description:
      '`after=X`: the next `limit` messages after X; `before=X`: the `limit` messages just ' +
      'before X; neither: the latest `limit`. Both: 422. Keyset pagination: a page costs the ' +
      'same in a chat of any size. `thread_id=R`: only the root R and its replies; ' +
      '`top_level=true`: without thread replies (not both).',
    params: z.object({ chat_id: IdParam }),
    query: HistoryQuery,
    responses: { 200: { description: 'The page.', schema: z.array(Message) } },
    errors: { 403: 'Not a member.', 404: '`chat_not_found`.' },
    handler: async ({ params, query, user, services }) => {
      const afters = [query.after, query.later_than_message_id, query.later_that_message_id];
      const given = afters.filter((v) => v !== undefined);
      if (new Set(given).size > 1) {
        throw new UnprocessableError('validation_failed', 'after and its aliases disagree');
      }
      const after = given[0];
      if (after !== undefined && query.before !== undefined) {
        throw new UnprocessableError('validation_failed', 'give after or before, not both');
      }
      const cursor =
        after !== undefined
          ? { after }
          : query.before !== undefined
            ? { before: query.before }
            : { latest: true as const };
      const isTopLevel = query.top_level === 'true';
      if (isTopLevel && query.thread_id !== undefined) {
        throw new UnprocessableError('validation_failed', 'give thread_id or top_level, not both');
      }
      const filter =
        query.thread_id !== undefined
          ? { threadId: query.thread_id }
          : isTopLevel
            ? { topLevel: true as const }
            : undefined;
      const limit = query.limit ?? 50;
      return {
        status: 200,
        body: await messages.history(services, user, params.chat_id, cursor, limit, filter),
      };
    },
  }),
  route({
    method: 'get',
    path: '/messages/{message_id}',
    operationId: 'getMessage',
    tag: 'messages',
    summary: 'One message',
    description:
      'As history shows it: for a message quoted by `reply_to`, or the root of a thread ' +
      '(its `chat_id` leads to the rest).',
    params: z.object({ message_id: IdParam }),
    responses: { 200: { description: 'The message.', schema: Message } },
    errors: { 403: '`chat_forbidden`: not a member of its chat.', 404: '`message_not_found`.' },
    handler: async ({ params, user, services }) => ({
      status: 200,
      body: await messages.message(services, user, params.message_id),
    }),
  }),
  route({
    method: 'get',
    path: '/mentions',
    operationId: 'getMentions',
    tag: 'messages',
    summary: 'The messages that name you, newest first',
    description:
      'Messages whose `mentions` hold you, and `mention_all` messages of your chats by others; ' +
      'never tombstones, only chats you are a member of. `before=X` (a message id) for the ' +
      'next page.',
    query: MentionsQuery,
    responses: { 200: { description: 'The page.', schema: z.array(Message) } },
    handler: async ({ query, user, services }) => ({
      status: 200,
      body: await messages.mentions(services, user, query.before, query.limit ?? 50),
    }),
  }),
  route({
    method: 'patch',
    path: '/messages/{message_id}',
    operationId: 'editMessage',
    tag: 'messages',
    summary: 'Edit your message',
    description:
      'Only its sender; the text follows the rules of a send, `mentions` and `mention_all` ' +
      '(left out: unchanged) those of a send too. The same message again (the same people named, ' +
      'in any order: the order stored stays) answers 200 and announces nothing; otherwise ' +
      '`edited_at` is set and the chat gets `MessageEdited`.',
    params: z.object({ message_id: IdParam }),
    body: EditMessageRequest,
    responses: { 200: { description: 'The message as it is now.', schema: Message } },
    errors: {
      403: '`chat_forbidden` (not a member) or `not_message_sender`.',
      404: '`message_not_found`.',
      409: '`message_deleted`.',
      422: '`mention_invalid`: someone named is not a member of the chat.',
    },
    handler: async ({ params, body, user, services }) => ({
      status: 200,
      body: await changes.editMessage(services, user, params.message_id, {
        text: body.text,
        mentions: body.mentions,
        mentionAll: body.mention_all,
      }),
    }),
  }),
  route({
    method: 'delete',
    path: '/messages/{message_id}',
    operationId: 'deleteMessage',
    tag: 'messages',
    summary: 'Delete a message (it stays as a tombstone)',
    description:
      "Its sender or the group's owner. The message keeps its place with `deleted: true`, " +
      '`text: ""` and no reactions; deleting it again answers 204 too. The chat gets ' +
      '`MessageDeleted`.',
    params: z.object({ message_id: IdParam }),
    responses: { 204: { description: 'Deleted (or already).' } },
    errors: {
      403: '`chat_forbidden` (not a member) or `not_message_sender`.',
      404: '`message_not_found`.',
    },
    handler: async ({ params, user, services }) => {
      await changes.deleteMessage(services, user, params.message_id);
      return { status: 204 };
    },
  }),
  ...(['put', 'delete'] as const).map((method) =>
    route({
      method,
      path: '/messages/{message_id}/reactions/{emoji}',
      operationId: method === 'put' ? 'addReaction' : 'removeReaction',
      tag: 'messages',
      summary: method === 'put' ? 'React to a message' : 'Take your reaction back',
      description:
        'Idempotent: a second ' +
        method.toUpperCase() +
        ' changes nothing and announces nothing; a change sends `Reaction` to the chat. At most ' +
        `${Limits.maxDistinctReactions} different emoji per message.`,
      params: z.object({ message_id: IdParam, emoji: Emoji }),
      responses: {
        200: { description: "The message's reactions as you see them.", schema: Reactions },
      },
      errors: {
        403: '`chat_forbidden`: not a member of its chat.',
        404: '`message_not_found`.',
        ...((method === 'put'
          ? {
              409: '`message_deleted`.',
              422: 'An invalid emoji, or `too_many_reactions`.',
            }
          : {}) as Record<number, string>),
      },
      handler: async ({ params, user, services }) => ({
        status: 200,
        body: await changes.react(
          services,
          user,
          params.message_id,
          params.emoji,
          method === 'put',
        ),
      }),
    }),
  ),
  route({
    method: 'get',
    path: '/search',
    operationId: 'searchMessages',
    tag: 'messages',
    summary: 'Find messages by words',
    description:
      'Messages of your chats (or of `chat_id`) where every word of `q` starts a word of the ' +
      'text, case-insensitive in any language; newest first, never deleted ones. Page with ' +
      '`before` = the last id of the previous page. Index-backed: the cost follows the matches.',
    query: SearchQuery,
    responses: { 200: { description: 'The matches, newest first.', schema: z.array(Message) } },
    errors: { 403: '`chat_forbidden`: `chat_id` is not one of yours.', 404: '`chat_not_found`.' },
    handler: async ({ query, user, services }) => ({
      status: 200,
      body: await searchMessages(services, user, {
        q: query.q,
        chatId: query.chat_id,
        before: query.before,
        limit: query.limit,
      }),
    }),
  }),
];
