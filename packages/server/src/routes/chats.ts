import { z } from 'zod';
import * as chats from '../domain/chats.js';
import { route } from '../http/route.js';
import { ChatSummary, CreateGroupRequest, Group, IdParam } from '../http/schemas.js';

export const chatRoutes = [
  route({
    method: 'get',
    path: '/chats',
    tag: 'chats',
    summary: "The caller's chats, most recent activity first",
    description:
      'Direct chats are titled by the peer, groups by name. A chat without messages counts ' +
      'from its creation. `unread_count`: messages after your read pointer not sent by you.',
    responses: { 200: { description: 'Your chats.', schema: z.array(ChatSummary) } },
    handler: async ({ user, services }) => ({
      status: 200,
      body: await chats.listChats(services, user),
    }),
  }),
  route({
    method: 'get',
    path: '/groups/{group_id}',
    tag: 'chats',
    summary: 'A group (members only)',
    params: z.object({ group_id: IdParam }),
    responses: { 200: { description: 'The group.', schema: Group } },
    errors: { 403: 'Not a member.', 404: 'No such group.' },
    handler: async ({ params, user, services }) => ({
      status: 200,
      body: await chats.getGroup(services, user, params.group_id),
    }),
  }),
  route({
    method: 'post',
    path: '/group',
    tag: 'chats',
    summary: 'Create a group',
    description:
      'The author is always a member; duplicate ids are ignored. At most MAX_GROUP_MEMBERS ' +
      '(default 1000) members.',
    body: CreateGroupRequest,
    responses: { 201: { description: 'The new group.', schema: Group } },
    errors: {
      404: 'A listed user does not exist.',
      429: '`rate_limited`: over RATE_LIMIT_GROUPS_PER_MINUTE (default 30) new groups (`Retry-After`).',
    },
    handler: async ({ body, user, services }) => ({
      status: 201,
      body: await chats.createGroup(services, user, {
        name: body.name,
        participantUserIds: body.participant_user_ids,
      }),
    }),
  }),
];
