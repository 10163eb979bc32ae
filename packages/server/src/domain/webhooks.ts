/**
 * Outgoing webhooks (contract v1.5, "Outgoing webhooks"): making, reading, resuming and deleting
 * them, and the rules their URLs must follow. Delivering them is realtime/webhook-dispatcher.ts's.
 *
 * A webhook reads the log as its owner on a device of its own, `webhook:<id>`: it gets every
 * event the owner gets, the owner's own included (no device of the owner's is it).
 */
import { randomBytes } from 'node:crypto';
import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import type { AuthUser } from '../auth/tokens.js';
import { LoggedFrame } from '../contract/frames.js';
import { Limits } from '../contract/limits.js';
import { formatPosition } from '../contract/position.js';
import type { Webhook, WebhookDelivery } from '../contract/schemas.js';
import * as W from '../db/webhooks-queries.js';
import type { Services } from '../services.js';
import { NotFoundError, UnprocessableError } from './errors.js';
import { checkPosition, logBounds } from './log.js';

/** Every kind of logged event, which a webhook may ask for. */
export const EVENT_KINDS: readonly string[] = LoggedFrame.options.map((o) => o.shape.type.value);

/** Attempts kept per webhook for `GET /webhooks/{id}/deliveries`. */
export const DELIVERIES_KEPT = 100;

/**
 * Addresses of cloud metadata services that are ordinary unicast addresses (the link-local and
 * unique-local ones, 169.254.169.254 and fd00:ec2::254, fall under those rules already). They
 * are refused even with WEBHOOK_ALLOW_PRIVATE: a private network is a reason to reach one's own
 * receivers, never the host's credentials.
 */
export const METADATA_ADDRESSES: readonly string[] = [
  '169.254.169.254', // AWS, GCP, Azure, OpenStack, DigitalOcean…
  '169.254.170.2', // AWS ECS task credentials
  'fd00:ec2::254', // AWS over IPv6
  '100.100.100.200', // Alibaba Cloud
  '168.63.129.16', // Azure's host endpoint
  '192.0.0.192', // Oracle Cloud
];

/** The `webhook-id` of webhook `webhookId`'s event `seq`: the same on every retry of it. */
export function webhookMessageId(webhookId: number, seq: number): string {
  return `msgr_${webhookId}_${seq}`;
}

/** The device a webhook reads the log as (never one of its owner's, so it gets their events). */
export function webhookReader(
  webhookId: number,
  ownerId: number,
): Pick<AuthUser, 'userId' | 'clientId'> {
  return { userId: ownerId, clientId: `webhook:${webhookId}` };
}

const forbidden = (why: string) => new UnprocessableError('webhook_url_forbidden', why);

/**
 * Why `address` (an IP literal) may not receive webhooks, or undefined when it may. Anything
 * but public unicast is refused without `allowPrivate` (ipaddr.js's `range()`, the rule
 * request-filtering-agent applies at connect time too: loopback, private, link-local, CGNAT,
 * unique-local, IPv4-mapped, unspecified…); metadata addresses always.
 */
export function forbiddenAddress(address: string, allowPrivate: boolean): string | undefined {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address);
  } catch {
    return 'not an IP address';
  }
  // ::ffff:169.254.169.254 is 169.254.169.254 (process() unmaps it).
  const normalized = ipaddr.process(address).toNormalizedString();
  if (METADATA_ADDRESSES.some((m) => ipaddr.parse(m).toNormalizedString() === normalized)) {
    return 'a cloud metadata address';
  }
  const range = parsed.range();
  if (range === 'unspecified') return 'the unspecified address';
  if (!allowPrivate && range !== 'unicast') return `a ${range} address`;
  return undefined;
}

/** Each lookup's own bound (the attempt's deadline bounds it too). */
const RESOLVE_TIMEOUT_MS = 3000;

/**
 * The addresses of `host` from DNS, IPv4 first. Through c-ares (`dns.Resolver`), not
 * `dns.lookup`: getaddrinfo runs on libuv's small thread pool, which bcrypt and the file system
 * share, so a receiver's dead name server would slow the server's own requests. `localhost`
 * names are loopback without asking anyone (RFC 6761), as /etc/hosts would answer.
 */
export async function resolveHost(
  host: string,
  signal?: AbortSignal,
): Promise<dns.LookupAddress[]> {
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) {
    return [
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ];
  }
  const resolver = new dns.promises.Resolver({ timeout: RESOLVE_TIMEOUT_MS, tries: 2 });
  const cancel = () => resolver.cancel();
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]);
    const found = [
      ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 })) : []),
      ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 })) : []),
    ];
    if (found.length > 0) return found;
    throw v4.status === 'rejected' ? v4.reason : new Error(`${host} has no address`);
  } finally {
    signal?.removeEventListener('abort', cancel);
  }
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

/** The `lookup` of {@link checkedLookup}: what `net.connect` (so http.request) takes. */
export type WebhookLookup = (
  hostname: string,
  options: dns.LookupOptions,
  callback: LookupCallback,
) => void;

/**
 * A `lookup` for `net.connect` (and so for http.request) built on {@link resolveHost}, in both
 * of its shapes: one address, or all of them (`all: true`, which Node asks for when it races
 * IPv4 and IPv6). It refuses what {@link forbiddenAddress} refuses, the metadata addresses
 * included; request-filtering-agent checks its answer again before connecting.
 */
export function checkedLookup(allowPrivate: boolean): WebhookLookup {
  return (hostname, options, callback) => {
    const fail = (message: string, code?: string) =>
      callback(Object.assign(new Error(message), code ? { code } : {}), '');
    resolveHost(hostname).then(
      (found) => {
        const family = options.family === 4 || options.family === 6 ? options.family : 0;
        const addresses = family === 0 ? found : found.filter((a) => a.family === family);
        for (const { address } of addresses) {
          const why = forbiddenAddress(address, allowPrivate);
          if (why) return fail(`forbidden address: ${hostname} resolves to ${address}, ${why}`);
        }
        if (addresses.length === 0) return fail(`${hostname} has no address`, 'ENOTFOUND');
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };
}

/**
 * `text` as a URL webhooks may be sent to (its normalized form), or 422 webhook_url_forbidden:
 * http(s) only, and, without `allowPrivate`, a host that is (or resolves only to) public
 * addresses. A host that does not resolve is refused too: no address can be checked, and it is
 * most often a typo. Delivery checks the addresses again on every connection, since what a name
 * resolves to may change (DNS rebinding).
 */
export async function checkWebhookUrl(text: string, allowPrivate: boolean): Promise<string> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw forbidden('not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw forbidden(`only http and https URLs are allowed (not ${url.protocol})`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw forbidden('the URL has no host');
  let addresses: string[];
  if (net.isIP(host) !== 0) addresses = [host];
  else {
    try {
      addresses = (await resolveHost(host, AbortSignal.timeout(2 * RESOLVE_TIMEOUT_MS))).map(
        (a) => a.address,
      );
    } catch (err) {
      if (allowPrivate) return url.href;
      throw forbidden(`${host} does not resolve (${(err as Error).message})`);
    }
  }
  for (const address of addresses) {
    const why = forbiddenAddress(address, allowPrivate);
    if (why) {
      throw forbidden(
        host === address ? `${host} is ${why}` : `${host} resolves to ${address}, ${why}`,
      );
    }
  }
  return url.href;
}

export function toWebhook(row: W.WebhookRow): Webhook {
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    chat_ids: row.chat_ids,
    state: row.state,
    position: row.position,
    next_attempt_at:
      row.state === 'active' && row.attempts > 0 ? row.next_attempt_at.toISOString() : null,
    last_error: row.last_error,
    created_at: row.created_at.toISOString(),
  };
}

function toDelivery(row: W.DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    event_seq: row.event_seq,
    event_type: row.event_type,
    webhook_message_id: webhookMessageId(row.webhook_id, row.event_seq),
    attempt: row.attempt,
    status: row.status,
    duration_ms: row.duration_ms,
    error: row.error,
    at: row.at.toISOString(),
  };
}

export interface WebhookInput {
  url: string;
  events: readonly string[];
  /** Only these chats; undefined: every chat of the owner. */
  chatIds?: readonly number[] | undefined;
}

/**
 * A webhook's position for "from now on": the last seq drawn. Every event that commits after
 * this has a seq above it; one that drew its seq before and is still committing is as old as
 * the request that made or resumed the webhook, and is not delivered. Delivery never goes past
 * the published mark, so a position above it only waits for it.
 */
async function positionOfNow(s: Services): Promise<string> {
  const { lastSeq } = await logBounds(s.db);
  return formatPosition({ mark: lastSeq, seen: [] });
}

const unknownWebhook = () =>
  new NotFoundError('webhook_not_found', 'no outgoing webhook of yours has this id');

/**
 * A new webhook of `user`'s, delivering from now on; answers it with its secret, shown this
 * once. `chatIds` must be chats `user` is a member of now: any other answers 404
 * chat_not_found, whether it exists or not (a webhook cannot learn which chats exist). Leaving
 * one later is fine: its events stop at the leave, as they do on /sync.
 */
export async function createWebhook(
  s: Services,
  user: AuthUser,
  input: WebhookInput,
): Promise<Webhook & { secret: string }> {
  const unknown = input.events.filter((e) => !EVENT_KINDS.includes(e));
  if (unknown.length > 0) {
    throw new UnprocessableError(
      'webhook_event_invalid',
      `not kinds of logged event: ${unknown.join(', ')} (known: ${EVENT_KINDS.join(', ')})`,
    );
  }
  const url = await checkWebhookUrl(input.url, s.config.webhookAllowPrivate);
  const chatIds = input.chatIds === undefined ? null : [...new Set(input.chatIds)];
  if (chatIds) {
    const rows = await s.db.query<{ chat_id: number }>(W.memberChats, [user.userId, chatIds]);
    const mine = new Set(rows.map((r) => r.chat_id));
    const others = chatIds.filter((id) => !mine.has(id));
    if (others.length > 0) {
      throw new NotFoundError('chat_not_found', `not chats of yours: ${others.join(', ')}`);
    }
  }
  const [count] = await s.db.query<{ n: number }>(W.countWebhooks, [user.userId]);
  if ((count?.n ?? 0) >= Limits.maxWebhooks) {
    throw new UnprocessableError(
      'limit_reached',
      `you hold the most outgoing webhooks you may (${Limits.maxWebhooks})`,
    );
  }
  const from = await positionOfNow(s);
  // Standard Webhooks: whsec_ and 24 to 64 random bytes in base64.
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const [row] = await s.db.query<W.WebhookRow>(W.insertWebhook, [
    user.userId,
    url,
    [...new Set(input.events)],
    chatIds,
    secret,
    from,
  ]);
  return { ...toWebhook(row!), secret };
}

export async function listWebhooks(s: Services, user: AuthUser): Promise<Webhook[]> {
  return (await s.db.query<W.WebhookRow>(W.webhooksOf, [user.userId])).map(toWebhook);
}

async function ownWebhook(s: Services, user: AuthUser, id: number): Promise<W.WebhookRow> {
  const [row] = await s.db.query<W.WebhookRow>(W.webhookOf, [id, user.userId]);
  if (!row) throw unknownWebhook();
  return row;
}

export async function getWebhook(s: Services, user: AuthUser, id: number): Promise<Webhook> {
  return toWebhook(await ownWebhook(s, user, id));
}

/** Deletes it: an attempt in flight may still arrive, and nothing after it. */
export async function deleteWebhook(s: Services, user: AuthUser, id: number): Promise<void> {
  const rows = await s.db.query(W.deleteWebhook, [id, user.userId]);
  if (rows.length === 0) throw unknownWebhook();
}

/**
 * Makes it deliver again at once, from where it stopped: the same event, in a new retry window.
 * When the log no longer holds that place (trimmed past it while it was failing, see
 * EVENT_RETENTION_DAYS), it goes on from now, and `last_error` says events were lost.
 */
export async function resumeWebhook(s: Services, user: AuthUser, id: number): Promise<Webhook> {
  const row = await ownWebhook(s, user, id);
  const mark = Number(row.position.split('.')[0]);
  const isLost = checkPosition({ mark, seen: [] }, await logBounds(s.db)) !== 'ok';
  const [resumed] = await s.db.query<W.WebhookRow>(W.resumeWebhook, [
    id,
    user.userId,
    isLost ? await positionOfNow(s) : null,
    isLost
      ? `resumed from now: the log no longer held the events after ${row.position}, where it ` +
        'stopped (EVENT_RETENTION_DAYS); they were not delivered'
      : null,
  ]);
  if (!resumed) throw unknownWebhook();
  return toWebhook(resumed);
}

/** Its last attempts ({@link DELIVERIES_KEPT} at most), newest first. */
export async function webhookDeliveries(
  s: Services,
  user: AuthUser,
  id: number,
): Promise<WebhookDelivery[]> {
  await ownWebhook(s, user, id);
  return (await s.db.query<W.DeliveryRow>(W.deliveriesOf, [id, DELIVERIES_KEPT])).map(toDelivery);
}
