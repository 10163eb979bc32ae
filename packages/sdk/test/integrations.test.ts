/**
 * v1.5 bots and integrations in the SDK, against real server processes (2 instances on one
 * database): a client made with an API token, tokens, bots, incoming hooks, `idempotencyKey` on
 * sends and groups (raced over both hosts), outgoing webhooks checked with `verifyWebhook`.
 */
import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { startServerProcesses, type ServerProcesses } from '../../server/test/support/processes.js';
import { until } from '../../server/test/support/fault-cluster.js';
import { MessengerClient, verifyWebhook, type User } from '../src/index.js';
import { refusal } from './support/refusal.js';

describe('@msgr/sdk v1.5 (bots and integrations) against real servers', function () {
  this.timeout(60_000);
  let servers: ServerProcesses;
  let stamp = 0;

  before(async () => {
    servers = await startServerProcesses(2, { WEBHOOK_ALLOW_PRIVATE: 'true' });
  });
  after(() => servers.close());

  async function person(name: string): Promise<{ user: User; client: MessengerClient }> {
    const email = `${name}-${Date.now()}-${++stamp}@example.com`;
    const client = new MessengerClient({ hosts: servers.urls, strategy: 'race' });
    const user = await client.register({ email, name, password: 'password123' });
    await client.login({ email, password: 'password123' });
    return { user, client };
  }

  it('when a client is made with an API token then it calls without a login, within its scopes, and a revoked one rejects with invalid_token', async () => {
    const ann = await person('Ann');
    const bob = await person('Bob');
    const made = await ann.client.createToken({ name: 'CI', scopes: ['read', 'write'] });
    expect(made.token).to.match(/^msgr_pat_/);
    const ci = new MessengerClient({ hosts: servers.urls, token: made.token });
    expect((await ci.me()).id).to.equal(ann.user.id);
    const sent = await ci.sendToUser(bob.user.id, 'from CI');
    expect(sent.sender_id).to.equal(ann.user.id);
    expect((await ann.client.tokens()).map((t) => t.id)).to.deep.equal([made.id]);
    const reader = await ann.client.createToken({ name: 'ro', scopes: ['read'] });
    const ro = new MessengerClient({ hosts: servers.urls, token: reader.token });
    expect((await refusal(ro.sendToUser(bob.user.id, 'no'))).code).to.equal('insufficient_scope');
    expect((await refusal(ci.createToken({ name: 'x', scopes: ['read'] }))).code).to.equal(
      'insufficient_scope',
    );
    await ann.client.revokeToken(made.id);
    const revoked = await refusal(ci.me());
    expect(revoked.status).to.equal(401);
    expect(revoked.code).to.equal('invalid_token');
  });

  it('when a subscription runs on an API token that is revoked then it ends with invalid_token', async () => {
    const ann = await person('Ann');
    const made = await ann.client.createToken({ name: 'live', scopes: ['read'] });
    const live = new MessengerClient({ hosts: servers.urls, token: made.token });
    const subscription = live.subscribe();
    const iterator = subscription[Symbol.asyncIterator]();
    for (;;) {
      const { value } = await iterator.next();
      if (value?.type === 'State' && value.state === 'open') break;
    }
    await ann.client.revokeToken(made.id);
    const err = await (async () => {
      try {
        for (;;) if ((await iterator.next()).done) return undefined;
      } catch (e) {
        return e;
      }
    })();
    expect(err, 'the subscription ends with an error').to.have.property('code', 'invalid_token');
  });

  it('when sends and group creations carry an idempotencyKey then racing both hosts makes one of each, and a retry is a replay', async () => {
    const ann = await person('Ann');
    const bob = await person('Bob');
    const first = await ann.client.send({ userId: bob.user.id }, 'deployed', {
      idempotencyKey: 'run-1',
    });
    expect(first).to.include({ isReplay: false, operationId: undefined });
    const again = await ann.client.send({ userId: bob.user.id }, 'deployed', {
      idempotencyKey: 'run-1',
    });
    expect(again.isReplay).to.equal(true);
    expect(again.message.id).to.equal(first.message.id);
    const conflict = await refusal(
      ann.client.send({ userId: bob.user.id }, 'other', { idempotencyKey: 'run-1' }),
    );
    expect(conflict.code).to.equal('idempotency_key_conflict');
    const groups = await Promise.all(
      [1, 2, 3].map(() =>
        ann.client.createGroup({
          name: 'ops',
          participantUserIds: [bob.user.id],
          idempotencyKey: 'ops-group',
        }),
      ),
    );
    expect(new Set(groups.map((g) => g.group_id)).size).to.equal(1);
    expect((await ann.client.chats()).filter((c) => c.kind === 'group')).to.have.length(1);
  });

  it('when a bot is made then its own client sends as it, hooks post as theirs, and deleting the bot ends its token', async () => {
    const ann = await person('Ann');
    const made = await ann.client.createBot({ name: 'Echo' });
    expect(made.user).to.deep.include({ is_bot: true, email: null });
    const bot = new MessengerClient({ hosts: servers.urls, token: made.token });
    const group = await ann.client.createGroup({ name: 'g', participantUserIds: [made.user.id] });
    const said = await bot.sendToGroup(group.group_id, 'beep');
    expect(said.sender_id).to.equal(made.user.id);
    expect((await ann.client.bots()).map((b) => b.user.id)).to.deep.equal([made.user.id]);

    const hook = await ann.client.createHook(group.chat_id, { name: 'CI' });
    const anonymous = new MessengerClient({ hosts: servers.urls });
    const posted = await anonymous.postToHook(servers.urls[1]! + hook.url, {
      text: 'build passed',
      idempotencyKey: 'build-9',
    });
    expect(posted.message.sender_id).to.equal(hook.bot_id);
    const replay = await anonymous.postToHook(hook.url, {
      text: 'build passed',
      idempotencyKey: 'build-9',
    });
    expect(replay.isReplay).to.equal(true);
    expect((await ann.client.hooks(group.chat_id)).map((h) => h.id)).to.deep.equal([hook.id]);
    await ann.client.deleteHook(hook.id);
    expect((await refusal(anonymous.postToHook(hook.url, { text: 'x' }))).code).to.equal(
      'hook_not_found',
    );
    // A hook URL on another host is refused before anything is sent.
    expect(
      (await refusal(anonymous.postToHook(`http://evil.example${hook.url}`, { text: 'x' }))).code,
    ).to.equal('invalid_options');

    await ann.client.deleteBot(made.user.id);
    expect((await refusal(bot.me())).code).to.equal('invalid_token');
    expect(await ann.client.bots()).to.deep.equal([]);
  });

  it('when an outgoing webhook delivers then verifyWebhook accepts the delivery and refuses a forged, altered or stale one', async () => {
    const ann = await person('Ann');
    const bob = await person('Bob');
    const received: { headers: http.IncomingHttpHeaders; body: Buffer }[] = [];
    const receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(204).end();
      });
    });
    receiver.listen(0, '127.0.0.1');
    await new Promise((r) => receiver.once('listening', r));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/in`;
      const webhook = await ann.client.createWebhook({ url, events: ['Message'] });
      expect(webhook.secret).to.match(/^whsec_/);
      await bob.client.sendToUser(ann.user.id, 'hello hook');
      await until('the delivery', () => received.length > 0, 20_000);
      const [delivery] = received;
      const event = await verifyWebhook(webhook.secret, delivery!.headers, delivery!.body);
      expect(event.type).to.equal('Message');
      if (event.type === 'Message') expect(event.message.text).to.equal('hello hook');
      expect(event.seq).to.be.a('number');
      // With fetch's Headers too.
      const headers = new Headers(delivery!.headers as Record<string, string>);
      expect(
        (await verifyWebhook(webhook.secret, headers, delivery!.body.toString())).type,
      ).to.equal('Message');
      const altered = Buffer.from(delivery!.body.toString().replace('hello', 'HELLO'));
      expect(
        (await refusal(verifyWebhook(webhook.secret, delivery!.headers, altered))).code,
      ).to.equal('webhook_invalid');
      const other = new Webhook('whsec_' + Buffer.alloc(32, 7).toString('base64'));
      const id = 'msgr_forged';
      const stale = new Date(Date.now() - 10 * 60_000);
      for (const forged of [
        { id, at: new Date(), signer: other },
        { id, at: stale, signer: new Webhook(webhook.secret) },
      ]) {
        const forgedHeaders = {
          'webhook-id': forged.id,
          'webhook-timestamp': String(Math.floor(forged.at.getTime() / 1000)),
          'webhook-signature': forged.signer.sign(forged.id, forged.at, delivery!.body.toString()),
        };
        expect(
          (await refusal(verifyWebhook(webhook.secret, forgedHeaders, delivery!.body))).code,
        ).to.equal('webhook_invalid');
      }
      expect((await refusal(verifyWebhook(webhook.secret, {}, delivery!.body))).detail).to.match(
        /webhook-id/,
      );
      expect((await ann.client.webhooks()).map((w) => w.id)).to.deep.equal([webhook.id]);
      await until(
        'the delivery recorded',
        async () => (await ann.client.webhookDeliveries(webhook.id)).length > 0,
      );
      await ann.client.deleteWebhook(webhook.id);
      expect(await ann.client.webhooks()).to.deep.equal([]);
    } finally {
      receiver.closeAllConnections();
      await new Promise((r) => receiver.close(r));
    }
  });
});
