import { z } from 'zod';
import { Limits } from '../contract/limits.js';
import {
  ApiToken,
  Bot,
  CreateBotRequest,
  CreateHookRequest,
  CreateTokenRequest,
  Hook,
  HookPost,
  IdParam,
  Message,
  NewApiToken,
  NewBot,
  NewHook,
} from '../contract/schemas.js';
import * as tokens from '../domain/api-tokens.js';
import * as bots from '../domain/bots.js';
import * as hooks from '../domain/hooks.js';
import { idempotencyKeyOf } from '../http/idempotency-key.js';
import { HttpError } from '../http/problem.js';
import { parse, route } from '../http/route.js';

const LOGIN_ONLY = '`insufficient_scope`: made with an API token (this needs a login session).';

/** A hook post is JSON, or Slack's form: a field `payload` holding that JSON. */
const HookBody = z.union([HookPost, z.object({ payload: z.string() })]);

function hookPost(body: z.output<typeof HookBody>): z.output<typeof HookPost> {
  if (!('payload' in body)) return body;
  let json: unknown;
  try {
    json = JSON.parse(body.payload);
  } catch {
    throw new HttpError(422, 'malformed_json', 'the form field payload is not valid JSON');
  }
  return parse(HookPost, json, 'body.payload')!;
}

/** API tokens, bots and incoming webhooks (contract v1.5); outgoing ones are routes/webhooks.ts. */
export const integrationRoutes = [
  route({
    method: 'post',
    path: '/tokens',
    operationId: 'createToken',
    tag: 'integrations',
    summary: 'Make an API token (shown once)',
    description:
      '`Authorization: Bearer msgr_pat_…` then works wherever an access token does (REST, ' +
      '`/ws`, `/sync`), within its scopes; its device is `token:<id>`. Only its hash is kept. ' +
      `At most ${Limits.maxApiTokens} per user.`,
    need: 'login',
    body: CreateTokenRequest,
    responses: { 201: { description: 'The token, with its text.', schema: NewApiToken } },
    errors: { 403: LOGIN_ONLY, 422: 'Invalid input, or `limit_reached`.' },
    handler: async ({ body, user, services }) => ({
      status: 201,
      body: await tokens.createToken(services, user, {
        name: body.name,
        scopes: body.scopes,
        expiresIn: body.expires_in,
      }),
    }),
  }),
  route({
    method: 'get',
    path: '/tokens',
    operationId: 'listTokens',
    tag: 'integrations',
    summary: 'Your API tokens (never their text)',
    need: 'login',
    responses: { 200: { description: 'Newest first.', schema: z.array(ApiToken) } },
    errors: { 403: LOGIN_ONLY },
    handler: async ({ user, services }) => ({
      status: 200,
      body: await tokens.listTokens(services, user),
    }),
  }),
  route({
    method: 'delete',
    path: '/tokens/{token_id}',
    operationId: 'revokeToken',
    tag: 'integrations',
    summary: 'Revoke an API token',
    description:
      'It stops working on every instance at once: requests made with it answer 401, and its ' +
      'open sockets close with 4410.',
    need: 'login',
    params: z.object({ token_id: IdParam }),
    responses: { 204: { description: 'Revoked.' } },
    errors: { 403: LOGIN_ONLY, 404: '`token_not_found`.' },
    handler: async ({ params, user, services }) => {
      await tokens.revokeToken(services, user, params.token_id);
      return { status: 204 };
    },
  }),
  route({
    method: 'post',
    path: '/bots',
    operationId: 'createBot',
    tag: 'integrations',
    summary: 'Make a bot (its first token is shown once)',
    description:
      'A user with `is_bot: true` and no email or password, owned by you; add it to groups as ' +
      'anyone. It signs in with the token answered here (`read` and `write`, never expiring).',
    need: 'login',
    body: CreateBotRequest,
    responses: { 201: { description: 'The bot, with its token.', schema: NewBot } },
    errors: { 403: LOGIN_ONLY, 422: 'Invalid input, or `limit_reached`.' },
    handler: async ({ body, user, services }) => ({
      status: 201,
      body: await bots.createBot(services, user, { name: body.name }),
    }),
  }),
  route({
    method: 'get',
    path: '/bots',
    operationId: 'listBots',
    tag: 'integrations',
    summary: 'Your bots',
    need: 'login',
    responses: { 200: { description: 'Oldest first.', schema: z.array(Bot) } },
    errors: { 403: LOGIN_ONLY },
    handler: async ({ user, services }) => ({
      status: 200,
      body: await bots.listBots(services, user),
    }),
  }),
  route({
    method: 'delete',
    path: '/bots/{bot_id}',
    operationId: 'deleteBot',
    tag: 'integrations',
    summary: 'Delete a bot',
    description:
      'Its tokens stop working on every instance at once and it leaves its groups; its ' +
      'messages stay. Deleting it again answers 204 too.',
    need: 'login',
    params: z.object({ bot_id: IdParam }),
    responses: { 204: { description: 'Deleted.' } },
    errors: { 403: LOGIN_ONLY, 404: '`bot_not_found`.' },
    handler: async ({ params, user, services }) => {
      await bots.deleteBot(services, user, params.bot_id);
      return { status: 204 };
    },
  }),
  route({
    method: 'post',
    path: '/chats/{chat_id}/hooks',
    operationId: 'createHook',
    tag: 'integrations',
    summary: 'Make an incoming webhook (its URL is shown once)',
    description:
      'A member may, in a group only its owner. The hook posts as its own bot user, which is ' +
      'not a member of the chat. Only a hash of the secret in its URL is kept.',
    params: z.object({ chat_id: IdParam }),
    body: CreateHookRequest,
    responses: { 201: { description: 'The hook, with its URL.', schema: NewHook } },
    errors: {
      403: '`chat_forbidden` (not a member) or `not_group_owner`.',
      404: '`chat_not_found`.',
      422: 'Invalid input, or `limit_reached`.',
    },
    handler: async ({ params, body, user, services }) => ({
      status: 201,
      body: await hooks.createHook(services, user, params.chat_id, { name: body.name }),
    }),
  }),
  route({
    method: 'get',
    path: '/chats/{chat_id}/hooks',
    operationId: 'listHooks',
    tag: 'integrations',
    summary: "A chat's incoming webhooks (never their URLs)",
    params: z.object({ chat_id: IdParam }),
    responses: { 200: { description: 'Oldest first.', schema: z.array(Hook) } },
    errors: { 403: '`chat_forbidden`.', 404: '`chat_not_found`.' },
    handler: async ({ params, user, services }) => ({
      status: 200,
      body: await hooks.listHooks(services, user, params.chat_id),
    }),
  }),
  route({
    method: 'delete',
    path: '/hooks/{hook_id}',
    operationId: 'deleteHook',
    tag: 'integrations',
    summary: 'Delete an incoming webhook',
    description:
      "Its maker may, and the group's owner (in a direct chat, either member). Its URL stops " +
      "working at once; its bot's messages stay.",
    params: z.object({ hook_id: IdParam }),
    responses: { 204: { description: 'Deleted.' } },
    errors: { 403: '`not_group_owner`.', 404: '`hook_not_found`.' },
    handler: async ({ params, user, services }) => {
      await hooks.deleteHook(services, user, params.hook_id);
      return { status: 204 };
    },
  }),
  route({
    method: 'post',
    path: '/hooks/{hook_id}/{secret}',
    operationId: 'postToHook',
    tag: 'integrations',
    summary: 'Post through an incoming webhook (no token: the URL is the secret)',
    description:
      '`{"text", "attachments"?}` as JSON, or Slack\'s form: a field `payload` holding that ' +
      "JSON. The message is sent by the hook's bot into its chat. With an `Idempotency-Key` " +
      'the same post again within IDEMPOTENCY_WINDOW_SECONDS answers the first message (200, ' +
      '`Idempotent-Replayed: true`). At most RATE_LIMIT_HOOK_POSTS_PER_MINUTE (default 60) ' +
      'per hook.',
    isPublic: true,
    acceptsForm: true,
    params: z.object({ hook_id: IdParam, secret: z.string().max(200) }),
    body: HookBody,
    responses: {
      201: { description: 'The message.', schema: Message },
      200: {
        description: 'An earlier post with this Idempotency-Key made it: the original message.',
        schema: Message,
        headers: { 'Idempotent-Replayed': 'Always `true` on this answer.' },
      },
    },
    errors: {
      404: '`hook_not_found`: no such hook, or a wrong secret.',
      422: 'Invalid input, `attachment_invalid`, `idempotency_key_conflict`.',
      429: "`rate_limited`: over the hook's budget (`Retry-After`).",
    },
    handler: async ({ params, body, services, req }) => {
      const post = hookPost(body);
      const result = await hooks.postToHook(services, params.hook_id, params.secret, {
        text: post.text,
        attachments: post.attachments,
        idempotencyKey: idempotencyKeyOf(req),
      });
      return result.isReplay
        ? { status: 200, body: result.message, headers: { 'Idempotent-Replayed': 'true' } }
        : { status: 201, body: result.message };
    },
  }),
];
