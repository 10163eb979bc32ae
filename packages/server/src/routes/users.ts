import { z } from 'zod';
import * as accounts from '../domain/accounts.js';
import * as messages from '../domain/messages.js';
import { route } from '../http/route.js';
import { UnreadTotals, User, UsersQuery } from '../contract/schemas.js';

export const userRoutes = [
  route({
    method: 'get',
    path: '/me',
    operationId: 'getMe',
    tag: 'users',
    summary: 'The calling user',
    description: 'Any API token may ask, whatever its scopes: a write-only token too.',
    need: 'any',
    responses: { 200: { description: 'You.', schema: User } },
    handler: async ({ user, services }) => ({
      status: 200,
      body: await accounts.me(services, user),
    }),
  }),
  route({
    method: 'get',
    path: '/me/unread',
    operationId: 'getUnread',
    tag: 'users',
    summary: 'What a badge shows: your unread chats, messages and mentions',
    description:
      'Each chat at its notification level: `all` counts its unread messages (and mentions), ' +
      '`mentions` only its unread mentions (in `messages` too), `none` nothing. A temporary ' +
      'level past its `muted_until` is `all` again.',
    responses: { 200: { description: 'The counts.', schema: UnreadTotals } },
    handler: async ({ user, services }) => ({
      status: 200,
      body: await messages.unread(services, user),
    }),
  }),
  route({
    method: 'get',
    path: '/users',
    operationId: 'listUsers',
    tag: 'users',
    summary: 'Find users by email or name prefix, or by id',
    description:
      'Case-insensitive prefix match; `limit` 1..100, default 20; ordered by id. With `ids` ' +
      '(up to 100), those users (unknown ids are left out); `query` and `limit` then do not apply.',
    query: UsersQuery,
    responses: { 200: { description: 'Matching users.', schema: z.array(User) } },
    handler: async ({ query, services }) => ({
      status: 200,
      body: await accounts.searchUsers(services, query),
    }),
  }),
];
