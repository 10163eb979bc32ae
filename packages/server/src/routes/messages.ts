import { z } from 'zod';
import * as messages from '../domain/messages.js';
import { UnprocessableError } from '../domain/errors.js';
import { route, type Reply } from '../http/route.js';
import {
  HistoryQuery,
  IdParam,
  Message,
  ReadPointer,
  SendMessageRequest,
} from '../http/schemas.js';

const SEND_DESCRIPTION =
  'Idempotent on (sender, `operation_id`) for IDEMPOTENCY_WINDOW_SECONDS (default 300) from ' +
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

function sendReply(result: messages.SendResult): Reply {
  return result.isReplay
    ? { status: 200, body: result.message, headers: { 'Idempotent-Replayed': 'true' } }
    : { status: 201, body: result.message };
}

export const messageRoutes = [
  route({
    method: 'post',
    path: '/messages/user/{user_id}',
    tag: 'messages',
    summary: 'Write to a user (the direct chat is created on first message)',
    description: `${SEND_DESCRIPTION} Writing to yourself is allowed: a one-member "saved messages" chat.`,
    params: z.object({ user_id: IdParam }),
    body: SendMessageRequest,
    responses: sendResponses,
    errors: {
      404: '`user_not_found`.',
      422: 'Invalid input, or `operation_id_conflict`.',
      429: "`rate_limited`: over the sender's message budget (`Retry-After`).",
    },
    handler: async ({ params, body, user, services }) =>
      sendReply(
        await messages.send(
          services,
          user,
          { kind: 'user', id: params.user_id },
          { text: body.text, operationId: body.operation_id },
        ),
      ),
  }),
  route({
    method: 'post',
    path: '/messages/group/{group_id}',
    tag: 'messages',
    summary: 'Write to a group',
    description: SEND_DESCRIPTION,
    params: z.object({ group_id: IdParam }),
    body: SendMessageRequest,
    responses: sendResponses,
    errors: {
      403: '`chat_forbidden`: not a member.',
      404: '`group_not_found`.',
      422: 'Invalid input, or `operation_id_conflict`.',
      429: "`rate_limited`: over the sender's message budget (`Retry-After`).",
    },
    handler: async ({ params, body, user, services }) =>
      sendReply(
        await messages.send(
          services,
          user,
          { kind: 'group', id: params.group_id },
          { text: body.text, operationId: body.operation_id },
        ),
      ),
  }),
  route({
    method: 'post',
    path: '/messages/read/{message_id}',
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
    path: '/history/{chat_id}',
    tag: 'messages',
    summary: 'One page of a chat, ascending by id',
    description:
      '`after=X`: the next `limit` messages after X; `before=X`: the `limit` messages just ' +
      'before X; neither: the latest `limit`. Both: 422. Keyset pagination: a page costs the ' +
      'same in a chat of any size.',
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
      return {
        status: 200,
        body: await messages.history(services, user, params.chat_id, cursor, query.limit ?? 50),
      };
    },
  }),
];
