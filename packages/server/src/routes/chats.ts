import { z } from 'zod';
import * as chats from '../domain/chats.js';
import * as notifications from '../domain/notifications.js';
import { idempotencyKeyOf } from '../http/idempotency-key.js';
import { route } from '../http/route.js';
import {
  AddMembersRequest,
  ChatNotifications,
  ChatSummary,
  CreateGroupRequest,
  Group,
  IdParam,
  RenameGroupRequest,
  SetNotificationsRequest,
} from '../contract/schemas.js';

export const chatRoutes = [
  route({
    method: 'get',
    path: '/chats',
    operationId: 'listChats',
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
    method: 'put',
    path: '/chats/{chat_id}/notifications',
    operationId: 'setNotifications',
    tag: 'chats',
    summary: 'Set your notification level in a chat',
    description:
      '`all`, `mentions` (only messages that mention you or everyone) or `none`, kept on the ' +
      'server so that every device of yours agrees. With `until` the level holds until then ' +
      'and is `all` again after, by itself (no event). Answers the level as it is now; your ' +
      'other devices get `NotificationsChanged` — unless nothing changed (the same level ' +
      'again), which answers 200 and sends nothing.',
    params: z.object({ chat_id: IdParam }),
    body: SetNotificationsRequest,
    responses: { 200: { description: 'Your level now.', schema: ChatNotifications } },
    errors: {
      403: '`chat_forbidden`: not a member.',
      404: '`chat_not_found`.',
      422:
        'Invalid input: an unknown level; `until` not a time, not ahead, more than a year ' +
        'ahead, or given with `all`.',
    },
    handler: async ({ params, body, user, services }) => ({
      status: 200,
      body: await notifications.setNotifications(services, user, params.chat_id, {
        level: body.level,
        until: body.until === undefined ? undefined : new Date(body.until),
      }),
    }),
  }),
  route({
    method: 'get',
    path: '/groups/{group_id}',
    operationId: 'getGroup',
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
    operationId: 'createGroup',
    tag: 'chats',
    summary: 'Create a group',
    description:
      'The author is always a member; duplicate ids are ignored. At most MAX_GROUP_MEMBERS ' +
      '(default 1000) members. With an `Idempotency-Key` header the same request again within ' +
      'IDEMPOTENCY_WINDOW_SECONDS makes no second group, even racing on several instances.',
    body: CreateGroupRequest,
    responses: {
      201: { description: 'The new group.', schema: Group },
      200: {
        description:
          'An earlier request with this `Idempotency-Key` created it: that group, as it is now.',
        schema: Group,
        headers: { 'Idempotent-Replayed': 'Always `true` on this answer.' },
      },
    },
    errors: {
      404: 'A listed user does not exist.',
      422:
        'Invalid input, `idempotency_key_conflict` (the key was used for another request ' +
        'within IDEMPOTENCY_WINDOW_SECONDS) or `idempotency_key_invalid`.',
      429: '`rate_limited`: over RATE_LIMIT_GROUPS_PER_MINUTE (default 30) new groups (`Retry-After`).',
    },
    handler: async ({ body, user, services, req }) => {
      const { group, isReplay } = await chats.createGroup(services, user, {
        name: body.name,
        participantUserIds: body.participant_user_ids,
        idempotencyKey: idempotencyKeyOf(req),
      });
      return isReplay
        ? { status: 200, body: group, headers: { 'Idempotent-Replayed': 'true' } }
        : { status: 201, body: group };
    },
  }),
  route({
    method: 'post',
    path: '/groups/{group_id}/members',
    operationId: 'addMembers',
    tag: 'chats',
    summary: 'Add people to a group (owner only)',
    description:
      'Ids already in the group are ignored; an unknown id adds nobody. Newcomers read the ' +
      'whole history, with nothing unread. The chat (and the newcomers) get `MembersChanged`.',
    params: z.object({ group_id: IdParam }),
    body: AddMembersRequest,
    responses: { 200: { description: 'The group now.', schema: Group } },
    errors: {
      403: '`chat_forbidden` (not a member) or `not_group_owner`.',
      404: '`group_not_found` or `user_not_found`.',
      422: 'Invalid input, or `group_too_large` (past MAX_GROUP_MEMBERS).',
    },
    handler: async ({ params, body, user, services }) => ({
      status: 200,
      body: await chats.addMembers(services, user, params.group_id, body.user_ids),
    }),
  }),
  route({
    method: 'delete',
    path: '/groups/{group_id}/members/{user_id}',
    operationId: 'removeMember',
    tag: 'chats',
    summary: 'Remove someone from a group, or leave it (your own id)',
    description:
      'The owner removes anyone; a member removes themselves. When the owner leaves, the ' +
      'member who joined earliest becomes owner. From then on, on every instance, the chat is ' +
      'gone from their `/chats` and their `/ws/{chat_id}` sockets close with 4403.',
    params: z.object({ group_id: IdParam, user_id: IdParam }),
    responses: { 204: { description: 'Removed.' } },
    errors: {
      403: '`chat_forbidden` (not a member) or `not_group_owner`.',
      404: '`group_not_found` or `member_not_found`.',
    },
    handler: async ({ params, user, services }) => {
      await chats.removeMember(services, user, params.group_id, params.user_id);
      return { status: 204 };
    },
  }),
  route({
    method: 'patch',
    path: '/groups/{group_id}',
    operationId: 'renameGroup',
    tag: 'chats',
    summary: 'Rename a group (owner only)',
    description: 'The chat gets `ChatUpdated`.',
    params: z.object({ group_id: IdParam }),
    body: RenameGroupRequest,
    responses: { 200: { description: 'The group now.', schema: Group } },
    errors: {
      403: '`chat_forbidden` (not a member) or `not_group_owner`.',
      404: '`group_not_found`.',
    },
    handler: async ({ params, body, user, services }) => ({
      status: 200,
      body: await chats.renameGroup(services, user, params.group_id, body.name),
    }),
  }),
];
