import { z } from 'zod';
import * as accounts from '../domain/accounts.js';
import { route } from '../http/route.js';
import { User, UsersQuery } from '../contract/schemas.js';

export const userRoutes = [
  route({
    method: 'get',
    path: '/me',
    operationId: 'getMe',
    tag: 'users',
    summary: 'The calling user',
    responses: { 200: { description: 'You.', schema: User } },
    handler: async ({ user, services }) => ({
      status: 200,
      body: await accounts.me(services, user),
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
