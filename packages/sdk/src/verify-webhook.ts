/**
 * Checking a delivery of a msgr outgoing webhook in the app that receives it (contract v1.5:
 * Standard Webhooks signatures). The `standardwebhooks` package does the HMAC, the constant-time
 * comparison and the timestamp tolerance (5 minutes either way, against replays); this only
 * adapts the headers of any server framework and speaks the SDK's error. The package is loaded
 * on first use, like `ws` and `tus-js-client`: the SDK's ESM files load in a browser as they are,
 * where a bare import would not resolve (and no browser receives webhooks).
 */
import { MessengerError } from './errors.js';
import type { LoggedEvent } from './types.js';

/** What a delivery carries: a logged event, with its place in the log (`seq`). */
export type WebhookEvent = LoggedEvent & { seq: number };

/** Request headers as Node (`req.headers`), fetch (`Headers`) or a plain object give them. */
export type WebhookHeaders = Headers | Record<string, string | readonly string[] | undefined>;

const NAMES = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

function headerValues(headers: WebhookHeaders): Record<string, string> {
  const values: Record<string, string> = {};
  const lower =
    headers instanceof Headers
      ? undefined
      : Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  for (const name of NAMES) {
    const value = lower ? lower[name] : (headers as Headers).get(name);
    const text = Array.isArray(value) ? value.join(' ') : value;
    if (typeof text !== 'string' || text === '') {
      throw new MessengerError(0, 'webhook_invalid', `the delivery has no ${name} header`);
    }
    values[name] = text;
  }
  return values;
}

/**
 * Checks that `body` came from the msgr server that holds `secret` (the `whsec_…` that
 * `createWebhook()` answered) and is recent, and resolves to the event it carries: a logged frame
 * with its `seq`. Pass the body exactly as received (a string or bytes, not parsed and
 * re-serialised). Deliveries are at least once: the same `webhook-id` header may come again,
 * so an app that must act once keeps the ids it handled (or the events' `seq`).
 *
 * Rejects with a {@link MessengerError}, code `webhook_invalid`, when a header is missing, the
 * signature does not match, or the timestamp is more than 5 minutes away from now.
 *
 * @example
 * http.createServer(async (req, res) => {
 *   const chunks: Buffer[] = [];
 *   for await (const chunk of req) chunks.push(chunk as Buffer);
 *   const body = Buffer.concat(chunks);
 *   try {
 *     const event = await verifyWebhook(process.env.WEBHOOK_SECRET!, req.headers, body);
 *     if (event.type === 'Message') console.log(event.message.text);
 *     res.writeHead(204).end();
 *   } catch {
 *     res.writeHead(400).end();
 *   }
 * });
 */
export async function verifyWebhook(
  secret: string,
  headers: WebhookHeaders,
  body: string | Uint8Array,
): Promise<WebhookEvent> {
  const values = headerValues(headers);
  const { Webhook } = await import('standardwebhooks');
  try {
    return new Webhook(secret).verify(body, values) as WebhookEvent;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new MessengerError(0, 'webhook_invalid', `not a valid delivery: ${reason}`, {
      cause: err,
    });
  }
}
