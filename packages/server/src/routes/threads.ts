import { z } from 'zod';
import {
  FollowedThread,
  FollowedThreadsQuery,
  IdParam,
  Message,
  ThreadPointer,
  ThreadReadRequest,
  ThreadsQuery,
} from '../contract/schemas.js';
import * as threads from '../domain/threads.js';
import { route } from '../http/route.js';

const ROOT_ERRORS = {
  403: '`chat_forbidden`: not a member of its chat.',
  404: '`message_not_found`.',
  422: '`thread_invalid`: the message is a reply, not a thread.',
};

/** Threads (contract v1.4): replies are sends with `thread_id`; these read and follow them. */
export const threadRoutes = [
  route({
    method: 'get',
    path: '/chats/{chat_id}/threads',
    operationId: 'getChatThreads',
    tag: 'threads',
    summary: "A chat's threads, latest reply first",
    description:
      'Roots with at least one reply left, by `thread.last_reply_id` descending; `before` is ' +
      'a `last_reply_id` (keyset).',
    params: z.object({ chat_id: IdParam }),
    query: ThreadsQuery,
    responses: { 200: { description: 'The roots.', schema: z.array(Message) } },
    errors: { 403: 'Not a member.', 404: '`chat_not_found`.' },
    handler: async ({ params, query, user, services }) => ({
      status: 200,
      body: await threads.chatThreads(
        services,
        user,
        params.chat_id,
        query.before,
        query.limit ?? 50,
      ),
    }),
  }),
  route({
    method: 'put',
    path: '/threads/{root_id}/follow',
    operationId: 'followThread',
    tag: 'threads',
    summary: 'Follow a thread',
    description:
      'You follow threads you started, replied in or were named in; this follows any other ' +
      '(idempotent).',
    params: z.object({ root_id: IdParam }),
    responses: { 204: { description: 'Followed.' } },
    errors: ROOT_ERRORS,
    handler: async ({ params, user, services }) => {
      await threads.follow(services, user, params.root_id, true);
      return { status: 204 };
    },
  }),
  route({
    method: 'delete',
    path: '/threads/{root_id}/follow',
    operationId: 'unfollowThread',
    tag: 'threads',
    summary: 'Stop following a thread',
    description:
      'Idempotent. A later reply does not make you follow again; naming you in one does not ' +
      'either.',
    params: z.object({ root_id: IdParam }),
    responses: { 204: { description: 'Not followed.' } },
    errors: ROOT_ERRORS,
    handler: async ({ params, user, services }) => {
      await threads.follow(services, user, params.root_id, false);
      return { status: 204 };
    },
  }),
  route({
    method: 'post',
    path: '/threads/{root_id}/read',
    operationId: 'markThreadRead',
    tag: 'threads',
    summary: 'Move your read pointer inside a thread',
    description: 'Never moves back: an older `message_id` answers the pointer as it is.',
    params: z.object({ root_id: IdParam }),
    body: ThreadReadRequest,
    responses: { 200: { description: 'Your pointer in the thread.', schema: ThreadPointer } },
    errors: { ...ROOT_ERRORS, 422: '`thread_invalid`, or `message_id` is not of this thread.' },
    handler: async ({ params, body, user, services }) => ({
      status: 200,
      body: await threads.markThreadRead(services, user, params.root_id, body.message_id),
    }),
  }),
  route({
    method: 'get',
    path: '/threads',
    operationId: 'getFollowedThreads',
    tag: 'threads',
    summary: 'The threads you follow, latest reply first',
    description:
      '`unread=true`: only those with replies by others past your pointer. `before` is a ' +
      '`last_reply_id` (keyset).',
    query: FollowedThreadsQuery,
    responses: { 200: { description: 'The threads.', schema: z.array(FollowedThread) } },
    handler: async ({ query, user, services }) => ({
      status: 200,
      body: await threads.followedThreads(services, user, {
        isUnreadOnly: query.unread === 'true',
        before: query.before,
        limit: query.limit ?? 50,
      }),
    }),
  }),
];
