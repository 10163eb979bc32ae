import { z } from 'zod';
import {
  CreateWebhookRequest,
  IdParam,
  NewWebhook,
  Webhook,
  WebhookDelivery,
} from '../contract/schemas.js';
import * as webhooks from '../domain/webhooks.js';
import { route } from '../http/route.js';

const UNKNOWN = { 404: '`webhook_not_found`: no webhook of yours has this id.' };
const params = z.object({ webhook_id: IdParam });

/**
 * Outgoing webhooks (contract v1.5): the log, POSTed to a URL of yours. Only their owner sees
 * and manages them; to anyone else they do not exist.
 */
export const webhookRoutes = [
  route({
    method: 'post',
    path: '/webhooks',
    operationId: 'createWebhook',
    tag: 'integrations',
    summary: 'Have events POSTed to a URL',
    description:
      'From now on, the logged events you would get from `/sync` whose kind is in `events` ' +
      "(and, with `chat_ids`, of those chats) are POSTed to `url` as the frame's JSON (as " +
      '/sync gives it, without `mark`), in log order, one at a time: the next one waits for ' +
      'a 2xx. Signed per Standard Webhooks (`webhook-id`, the same on every retry of an ' +
      'event; `webhook-timestamp`; `webhook-signature`, `v1,<base64 HMAC-SHA256 of ' +
      'id.timestamp.body>` under the secret). An attempt has 10 s; redirects are not ' +
      'followed. Failures are retried with backoff for WEBHOOK_RETRY_HOURS, then the webhook ' +
      'is `failing` until resumed. `chat_ids` must be chats you are a member of. At most ' +
      '`Limits.maxWebhooks` per user.',
    body: CreateWebhookRequest,
    responses: {
      201: { description: 'Made; its secret is shown this once.', schema: NewWebhook },
    },
    errors: {
      404: '`chat_not_found`: one of `chat_ids` is not a chat of yours.',
      422:
        'Invalid input; `webhook_url_forbidden` (not http(s), or a loopback, private, ' +
        'link-local or metadata address, or a host that does not resolve); ' +
        '`webhook_event_invalid`; `limit_reached`.',
    },
    handler: async ({ body, user, services }) => ({
      status: 201,
      body: await webhooks.createWebhook(services, user, {
        url: body.url,
        events: body.events,
        chatIds: body.chat_ids,
      }),
    }),
  }),
  route({
    method: 'get',
    path: '/webhooks',
    operationId: 'listWebhooks',
    tag: 'integrations',
    summary: 'Your outgoing webhooks',
    description: 'Oldest first, without their secrets.',
    responses: { 200: { description: 'Your webhooks.', schema: z.array(Webhook) } },
    handler: async ({ user, services }) => ({
      status: 200,
      body: await webhooks.listWebhooks(services, user),
    }),
  }),
  route({
    method: 'get',
    path: '/webhooks/{webhook_id}',
    operationId: 'getWebhook',
    tag: 'integrations',
    summary: 'One of your outgoing webhooks',
    params,
    responses: { 200: { description: 'The webhook.', schema: Webhook } },
    errors: UNKNOWN,
    handler: async ({ params, user, services }) => ({
      status: 200,
      body: await webhooks.getWebhook(services, user, params.webhook_id),
    }),
  }),
  route({
    method: 'delete',
    path: '/webhooks/{webhook_id}',
    operationId: 'deleteWebhook',
    tag: 'integrations',
    summary: 'Delete an outgoing webhook',
    description: 'An attempt already in flight may still arrive; nothing after it.',
    params,
    responses: { 204: { description: 'Deleted.' } },
    errors: UNKNOWN,
    handler: async ({ params, user, services }) => {
      await webhooks.deleteWebhook(services, user, params.webhook_id);
      return { status: 204 };
    },
  }),
  route({
    method: 'post',
    path: '/webhooks/{webhook_id}/resume',
    operationId: 'resumeWebhook',
    tag: 'integrations',
    summary: 'Deliver again, from where it stopped',
    description:
      'A `failing` webhook becomes `active` and retries the event it stopped at, at once, ' +
      'in a new retry window; an active one waiting for a retry retries now. When the log ' +
      'no longer holds the events from where it stopped (EVENT_RETENTION_DAYS), it goes on ' +
      'from now and `last_error` says so.',
    params,
    responses: { 200: { description: 'The webhook, active.', schema: Webhook } },
    errors: UNKNOWN,
    handler: async ({ params, user, services }) => ({
      status: 200,
      body: await webhooks.resumeWebhook(services, user, params.webhook_id),
    }),
  }),
  route({
    method: 'get',
    path: '/webhooks/{webhook_id}/deliveries',
    operationId: 'getWebhookDeliveries',
    tag: 'integrations',
    summary: "An outgoing webhook's last attempts",
    description: `Newest first, the last ${webhooks.DELIVERIES_KEPT} at most.`,
    params,
    responses: {
      200: { description: 'Its attempts.', schema: z.array(WebhookDelivery) },
    },
    errors: UNKNOWN,
    handler: async ({ params, user, services }) => ({
      status: 200,
      body: await webhooks.webhookDeliveries(services, user, params.webhook_id),
    }),
  }),
];
