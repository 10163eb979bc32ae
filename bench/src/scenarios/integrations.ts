/**
 * Bots and integrations (v1.5). Three parts, each against a baseline of the same run:
 *
 * - A post through an incoming webhook against a send with an API token, to the same group
 *   (interleaved rounds): what the hook's lookup, its constant-time check and its own key cost.
 * - Outgoing delivery latency, from the moment a send is answered (its commit is before) to the
 *   receiver, against a `/sync` long-poll of the same user waiting for the same messages.
 * - 100 webhooks, one of them dead (a receiver that accepts connections and never answers): the
 *   99 others' delivery latency against the same 99 when all 100 are healthy (two databases,
 *   one after the other: the dead one must not have left anything behind in the healthy run).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expectStatus, newAgent, request, type Answer } from '../lib/http.js';
import { startInstances } from '../lib/processes.js';
import { onCleanup } from '../lib/run.js';
import { aim, type Context, type Scenario } from '../lib/scenario.js';
import { interleaved, summarise, wallNow } from '../lib/stats.js';
import { createGroup, devices, nextOperationId, type Device } from '../lib/users.js';

const ENV = { WEBHOOK_ALLOW_PRIVATE: 'true', RATE_LIMIT_HOOK_POSTS_PER_MINUTE: '0' };
const WEBHOOKS = 100;
/** The server lets one user hold 20 webhooks (Limits.maxWebhooks). */
const PER_OWNER = 20;
const WAIT_MS = 30_000;

/** A receiver on 127.0.0.1 that notes when each message id reached each path, and answers 204. */
async function startReceiver(): Promise<{
  url: string;
  arrived: Map<string, number>;
  close(): Promise<void>;
}> {
  const arrived = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = wallNow();
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        message?: { id: number };
      };
      if (event.message) arrived.set(`${req.url}#${event.message.id}`, at);
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrived,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A receiver that takes connections and never answers: every attempt waits out its timeout. */
async function startDeadReceiver(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(() => undefined);
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/dead`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

function created(res: Answer, what: string): any {
  return expectStatus(res, 201, what).body;
}

/** Part 3 on a database of its own: per-delivery latency of webhooks 1…99 over `messages` sends. */
async function fanOut(
  ctx: Context,
  label: string,
  hasDead: boolean,
  messages: number,
): Promise<number[]> {
  const databaseUrl = await ctx.pg.database(`integrations_${label}`);
  const [server] = await startInstances(1, databaseUrl, { env: ENV, label });
  const port = server!.port;
  const agent = newAgent(8);
  const receiver = await startReceiver();
  const dead = await startDeadReceiver();
  try {
    const owners = await devices(agent, port, `wh${label}`, WEBHOOKS / PER_OWNER + 1);
    const sender = owners.pop()!;
    const group = await createGroup(
      agent,
      port,
      sender,
      owners.map((o) => o.userId),
    );
    for (let i = 0; i < WEBHOOKS; i++) {
      const url = hasDead && i === 0 ? dead.url : `${receiver.url}/w${i}`;
      created(
        await request(
          agent,
          port,
          '/webhooks',
          { url, events: ['Message'], chat_ids: [group.chatId] },
          owners[Math.floor(i / PER_OWNER)]!.token,
        ),
        'create webhook',
      );
    }
    const latencies: number[] = [];
    for (let n = 0; n < messages; n++) {
      const res = await request(
        agent,
        port,
        `/messages/group/${group.groupId}`,
        { text: `fan-out ${n}`, operation_id: nextOperationId(sender) },
        sender.token,
      );
      const at = wallNow();
      const id = created(res, 'send').id as number;
      const keys = Array.from({ length: WEBHOOKS - 1 }, (_, i) => `/w${i + 1}#${id}`);
      await until(`message ${id} at 99 webhooks`, () => keys.every((k) => receiver.arrived.has(k)));
      for (const k of keys) latencies.push(receiver.arrived.get(k)! - at);
    }
    return latencies;
  } finally {
    await agent.destroy();
    await receiver.close();
    await dead.close();
    await server!.stop();
  }
}

export const integrationsScenario: Scenario = {
  name: 'integrations',
  title:
    'Bots and integrations: a hook post vs a token send; webhook delivery vs /sync; 100 webhooks with one dead',
  async run(ctx) {
    const databaseUrl = await ctx.pg.database('integrations');
    const [server] = await startInstances(1, databaseUrl, { env: ENV });
    const port = server!.port;
    const agent = newAgent(4);
    onCleanup(() => agent.destroy());
    const [ann, bob] = (await devices(agent, port, 'int', 2)) as [Device, Device];
    const group = await createGroup(agent, port, ann, [bob.userId]);

    // 1. A hook post against a token send.
    const pat = created(
      await request(agent, port, '/tokens', { name: 'bench', scopes: ['write'] }, ann.token),
      'create token',
    ).token as string;
    const hook = created(
      await request(agent, port, `/chats/${group.chatId}/hooks`, { name: 'bench' }, ann.token),
      'create hook',
    ) as { url: string };
    const cases = {
      token: async () => {
        const res = await request(
          agent,
          port,
          `/messages/group/${group.groupId}`,
          { text: 'a message for the bench', operation_id: nextOperationId(ann) },
          pat,
        );
        expectStatus(res, 201, 'token send');
      },
      hook: async () => {
        const res = await request(agent, port, hook.url, { text: 'a message for the bench' });
        expectStatus(res, 201, 'hook post');
      },
    };
    ctx.log('integrations: hook posts and token sends, in turns');
    await interleaved(1, cases, 600, 2);
    const sends = await interleaved(1, cases, ctx.quick ? 1500 : 6000, ctx.quick ? 4 : 8);
    ctx.row({
      case: 'post through an incoming webhook',
      metric: 'p50 latency',
      value: sends.hook.p50,
      unit: 'ms',
      baseline: sends.token.p50,
      baselineLabel: 'send with an API token, same group, same run',
      aim: aim('ratio', '<=', 1.5),
    });

    // 2. Delivery against a /sync long-poll, for the same messages.
    const receiver = await startReceiver();
    onCleanup(() => receiver.close());
    created(
      await request(
        agent,
        port,
        '/webhooks',
        { url: `${receiver.url}/in`, events: ['Message'], chat_ids: [group.chatId] },
        bob.token,
      ),
      'create webhook',
    );
    const synced = new Map<number, number>();
    let position = (await request(agent, port, '/sync', undefined, bob.token)).body
      .position as string;
    let isPolling = true;
    const pollAgent = newAgent(1);
    const poller = (async () => {
      while (isPolling) {
        const res = await request(
          pollAgent,
          port,
          `/sync?position=${position}&timeout=30`,
          undefined,
          bob.token,
        );
        const at = wallNow();
        for (const e of res.body.events as { type: string; message?: { id: number } }[]) {
          if (e.type === 'Message' && e.message) synced.set(e.message.id, at);
        }
        position = res.body.position as string;
      }
    })();
    const hookLatency: number[] = [];
    const syncLatency: number[] = [];
    const count = ctx.quick ? 40 : 200;
    ctx.log(`integrations: ${count} sends, each waited for at the webhook and on /sync`);
    try {
      for (let n = 0; n < count; n++) {
        const res = await request(
          agent,
          port,
          `/messages/group/${group.groupId}`,
          { text: `latency ${n}`, operation_id: nextOperationId(ann) },
          ann.token,
        );
        const at = wallNow();
        const id = created(res, 'send').id as number;
        await until(`message ${id} delivered`, () => receiver.arrived.has(`/in#${id}`));
        await until(`message ${id} synced`, () => synced.has(id));
        hookLatency.push(receiver.arrived.get(`/in#${id}`)! - at);
        syncLatency.push(synced.get(id)! - at);
      }
    } finally {
      isPolling = false;
      // The last long-poll ends with the next message or its timeout: a last send wakes it.
      await request(
        agent,
        port,
        `/messages/group/${group.groupId}`,
        { text: 'the end', operation_id: nextOperationId(ann) },
        ann.token,
      );
      await poller;
      await pollAgent.destroy();
    }
    const hookStats = summarise(hookLatency);
    const syncStats = summarise(syncLatency);
    for (const q of ['p50', 'p99'] as const) {
      ctx.row({
        case: 'outgoing webhook delivery, from the send answered',
        metric: `${q} latency`,
        value: hookStats[q],
        unit: 'ms',
        baseline: syncStats[q],
        baselineLabel: '/sync long-poll of the same user, same messages',
      });
    }
    await server!.stop();

    // 3. 100 webhooks, one dead.
    const messages = ctx.quick ? 5 : 30;
    ctx.log(`integrations: ${WEBHOOKS} healthy webhooks, ${messages} messages`);
    const healthy = summarise(await fanOut(ctx, 'healthy', false, messages));
    ctx.log(`integrations: ${WEBHOOKS - 1} healthy webhooks and a dead one, ${messages} messages`);
    const withDead = summarise(await fanOut(ctx, 'dead', true, messages));
    for (const q of ['p50', 'p99'] as const) {
      ctx.row({
        case: `${WEBHOOKS - 1} webhooks beside a dead one`,
        metric: `${q} delivery latency`,
        value: withDead[q],
        unit: 'ms',
        baseline: healthy[q],
        baselineLabel: `the same ${WEBHOOKS - 1} when all ${WEBHOOKS} are healthy`,
        ...(q === 'p99' ? { aim: aim('ratio', '<=', 2) } : {}),
      });
    }
    ctx.note(
      `integrations: ${count} messages for webhook vs /sync; ${messages} messages × ` +
        `${WEBHOOKS - 1} deliveries per fan-out run (WEBHOOK_CONCURRENCY default).`,
    );
  },
};
