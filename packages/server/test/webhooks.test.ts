/**
 * Outgoing webhooks (contract v1.5): managing them, and delivery to real receivers on
 * 127.0.0.1 (WEBHOOK_ALLOW_PRIVATE on) — order, signatures, filters, retries, `failing` and
 * resume, isolation from a dead receiver, several instances, leases.
 */
import { expect } from 'chai';
import { Limits } from '../src/contract/limits.js';
import { EVENT_KINDS } from '../src/domain/webhooks.js';
import { withPg, until, waitFor } from './support/fault-cluster.js';
import { startCluster, type Api, type Cluster, type Session } from './support/harness.js';
import { answerWith, Receiver } from './support/webhook-receiver.js';

let operation = 1;
const nextOp = () => operation++;

async function createWebhook(
  api: Api,
  owner: Session,
  body: Record<string, unknown>,
): Promise<{ id: number; secret: string; [k: string]: unknown }> {
  const res = await api.post('/webhooks', body, owner.token);
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  return res.body;
}

async function sendText(api: Api, from: Session, to: Session, text: string): Promise<any> {
  const res = await api.send({ user: to.userId }, text, nextOp(), from.token);
  expect(res.status, JSON.stringify(res.body)).to.be.oneOf([200, 201]);
  return res.body;
}

async function deliveries(api: Api, owner: Session, id: number): Promise<any[]> {
  const res = await api.get(`/webhooks/${id}/deliveries`, owner.token);
  expect(res.status).to.equal(200);
  return res.body;
}

describe('outgoing webhooks', () => {
  let c: Cluster;
  let api: Api;
  const receivers: Receiver[] = [];
  const receiver = async () => {
    const r = await Receiver.start();
    receivers.push(r);
    return r;
  };

  before(async () => {
    c = await startCluster({ webhookAllowPrivate: true });
    api = c.api;
  });
  after(async () => {
    await c.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  describe('managing', () => {
    it('when created then 201 with a whsec_ secret once; list, get and deliveries show it without', async () => {
      const owner = await api.newUser('wh-owner');
      const r = await receiver();
      const made = await createWebhook(api, owner, { url: r.url, events: ['Message', 'Read'] });
      expect(made.secret).to.match(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(made).to.include({
        url: r.url,
        state: 'active',
        next_attempt_at: null,
        last_error: null,
      });
      expect(made.events).to.deep.equal(['Message', 'Read']);
      expect(made.chat_ids).to.equal(null);
      expect(made.position).to.match(/^\d+$/);
      expect(Date.parse(String(made.created_at))).to.be.closeTo(Date.now(), 60_000);

      const { secret, ...shown } = made;
      expect(secret).to.be.a('string');
      const list = await api.get('/webhooks', owner.token);
      expect(list.status).to.equal(200);
      expect(list.body).to.deep.equal([shown]);
      const one = await api.get(`/webhooks/${made.id}`, owner.token);
      expect(one.body).to.deep.equal(shown);
      expect(one.body).to.not.have.property('secret');
      expect(await deliveries(api, owner, made.id)).to.deep.equal([]);
    });

    it('when someone else asks for, deletes, resumes or reads a webhook then 404 webhook_not_found', async () => {
      const owner = await api.newUser('wh-owner');
      const other = await api.newUser('wh-other');
      const r = await receiver();
      const { id } = await createWebhook(api, owner, { url: r.url, events: ['Message'] });
      for (const res of [
        await api.get(`/webhooks/${id}`, other.token),
        await api.get(`/webhooks/${id}/deliveries`, other.token),
        await api.post(`/webhooks/${id}/resume`, undefined, other.token),
        await api.request('DELETE', `/webhooks/${id}`, { token: other.token }),
      ]) {
        expect(res.status).to.equal(404);
        expect(res.body.code).to.equal('webhook_not_found');
      }
      expect((await api.get('/webhooks', other.token)).body).to.deep.equal([]);
      // Still there for its owner.
      expect((await api.get(`/webhooks/${id}`, owner.token)).status).to.equal(200);
    });

    it('when deleted then 204, then 404, and it is gone from the list', async () => {
      const owner = await api.newUser('wh-owner');
      const r = await receiver();
      const { id } = await createWebhook(api, owner, { url: r.url, events: ['Message'] });
      const del = await api.request('DELETE', `/webhooks/${id}`, { token: owner.token });
      expect(del.status).to.equal(204);
      const again = await api.request('DELETE', `/webhooks/${id}`, { token: owner.token });
      expect(again.status).to.equal(404);
      expect(again.body.code).to.equal('webhook_not_found');
      expect((await api.get('/webhooks', owner.token)).body).to.deep.equal([]);
    });

    it('when an event kind is unknown then 422 webhook_event_invalid', async () => {
      const owner = await api.newUser('wh-owner');
      const r = await receiver();
      for (const events of [['Message', 'Typing'], ['message'], ['Subscribed']]) {
        const res = await api.post('/webhooks', { url: r.url, events }, owner.token);
        expect(res.status).to.equal(422);
        expect(res.body.code).to.equal('webhook_event_invalid');
      }
      const none = await api.post('/webhooks', { url: r.url, events: [] }, owner.token);
      expect(none.status).to.equal(422);
      expect(none.body.code).to.equal('validation_failed');
      // The document names every kind there is (and the error says which are known).
      const doc = await api.get('/openapi.json');
      const described: string =
        doc.body.components.schemas.CreateWebhookRequest.properties.events.description;
      for (const kind of EVENT_KINDS) expect(described).to.include(`\`${kind}\``);
    });

    it('when chat_ids name a chat the owner is not in (or none) then 404 chat_not_found', async () => {
      const owner = await api.newUser('wh-owner');
      const a = await api.newUser('wh-a');
      const b = await api.newUser('wh-b');
      const theirs = await sendText(api, a, b, 'not yours');
      const mine = await sendText(api, owner, a, 'yours');
      const r = await receiver();
      for (const chatIds of [[theirs.chat_id], [mine.chat_id, 9_999_999]]) {
        const res = await api.post(
          '/webhooks',
          { url: r.url, events: ['Message'], chat_ids: chatIds },
          owner.token,
        );
        expect(res.status).to.equal(404);
        expect(res.body.code).to.equal('chat_not_found');
      }
      const ok = await createWebhook(api, owner, {
        url: r.url,
        events: ['Message'],
        chat_ids: [mine.chat_id, mine.chat_id],
      });
      expect(ok.chat_ids).to.deep.equal([mine.chat_id]);
    });

    it(`when the owner has ${Limits.maxWebhooks} then the next is 422 limit_reached`, async () => {
      const owner = await api.newUser('wh-owner');
      const r = await receiver();
      for (let i = 0; i < Limits.maxWebhooks; i++) {
        await createWebhook(api, owner, { url: `${r.url}?n=${i}`, events: ['Message'] });
      }
      const res = await api.post('/webhooks', { url: r.url, events: ['Message'] }, owner.token);
      expect(res.status).to.equal(422);
      expect(res.body.code).to.equal('limit_reached');
    });
  });

  describe('delivering', () => {
    it('when events happen then they arrive in log order, signed per Standard Webhooks, once each', async () => {
      const owner = await api.newUser('wh-owner');
      const peer = await api.newUser('wh-peer');
      const r = await receiver();
      const hook = await createWebhook(api, owner, { url: r.url, events: ['Message'] });
      const sent: any[] = [];
      for (let i = 0; i < 6; i++) {
        // Both ways: the owner's own messages are theirs to get too.
        sent.push(await sendText(api, i % 2 ? peer : owner, i % 2 ? owner : peer, `m${i}`));
      }
      await r.untilCount(6);
      const frames = r.verifyAll(hook.secret) as any[];
      expect(frames.map((f) => f.type)).to.deep.equal(Array(6).fill('Message'));
      expect(frames.map((f) => f.message.text)).to.deep.equal(sent.map((m) => m.text));
      expect(frames.map((f) => f.seq)).to.deep.equal(sent.map((m) => m.id));
      for (const [i, got] of r.received.entries()) {
        expect(got.id).to.equal(`msgr_${hook.id}_${sent[i].id}`);
        expect(got.headers['content-type']).to.equal('application/json');
        expect(got.headers['webhook-signature']).to.match(/^v1,[A-Za-z0-9+/]+=*$/);
        expect(Number(got.headers['webhook-timestamp'])).to.be.closeTo(Date.now() / 1000, 60);
        expect(frames[i]).to.not.have.property('mark');
      }
      // The body is the frame as /sync gives it (its mark aside), on a device of the owner's
      // that sent none of them.
      const elsewhere = await api.login(owner.email, 'password123', 'another-device');
      const sync = await api.get('/sync?position=0&limit=1000', elsewhere.token);
      const syncFrames = sync.body.events.filter((e: any) => e.type === 'Message');
      expect(frames).to.deep.equal(syncFrames.map(({ mark: _, ...f }: any) => f));
      const log = await deliveries(api, owner, hook.id);
      expect(log.map((d) => d.event_seq)).to.deep.equal(sent.map((m) => m.id).reverse());
      for (const d of log) {
        expect(d).to.include({ event_type: 'Message', attempt: 1, status: 200, error: null });
        expect(d.webhook_message_id).to.equal(`msgr_${hook.id}_${d.event_seq}`);
        expect(d.duration_ms).to.be.a('number').at.least(0);
      }
      // Nothing more comes (no duplicates in normal operation).
      await sendText(api, owner, peer, 'last');
      await r.untilCount(7);
      expect(new Set(r.received.map((x) => x.id)).size).to.equal(7);
    });

    it('when filtered by kind and chat then only those events arrive, the rest are skipped', async () => {
      const owner = await api.newUser('wh-owner');
      const a = await api.newUser('wh-a');
      const b = await api.newUser('wh-b');
      const inA = await sendText(api, owner, a, 'chat a, before');
      const inB = await sendText(api, owner, b, 'chat b, before');
      const onlyA = await receiver();
      const reactions = await receiver();
      const hookA = await createWebhook(api, owner, {
        url: onlyA.url,
        events: ['Message', 'MessageEdited'],
        chat_ids: [inA.chat_id],
      });
      await createWebhook(api, owner, { url: reactions.url, events: ['Reaction'] });
      const m1 = await sendText(api, b, owner, 'chat b 1');
      const m2 = await sendText(api, a, owner, 'chat a 1');
      const react = await api.request(
        'PUT',
        `/messages/${m1.id}/reactions/${encodeURIComponent('👍')}`,
        {
          token: owner.token,
        },
      );
      expect(react.status).to.equal(200);
      const edit = await api.request('PATCH', `/messages/${inA.id}`, {
        token: owner.token,
        body: { text: 'chat a, edited' },
      });
      expect(edit.status).to.equal(200);
      await sendText(api, owner, b, 'chat b 2');
      const m3 = await sendText(api, owner, a, 'chat a 2');
      await onlyA.untilCount(3);
      await reactions.untilCount(1);
      expect(onlyA.frames().map((f) => [f.type, f.message.text])).to.deep.equal([
        ['Message', m2.text],
        ['MessageEdited', 'chat a, edited'],
        ['Message', m3.text],
      ]);
      expect(reactions.frames().map((f) => [f.type, f.message_id, f.emoji])).to.deep.equal([
        ['Reaction', m1.id, '👍'],
      ]);
      expect(inB.chat_id).to.not.equal(inA.chat_id);
      // Everything before m3 was delivered or skipped: the position is at least m3.
      await until('the position to pass m3', async () => {
        const res = await api.get(`/webhooks/${hookA.id}`, owner.token);
        return Number(res.body.position) >= m3.id;
      });
      expect(onlyA.received).to.have.length(3);
    });

    it('when the receiver answers 500 and then 200 then the event is retried with the same webhook-id', async () => {
      const owner = await api.newUser('wh-owner');
      const peer = await api.newUser('wh-peer');
      const r = await receiver();
      let calls = 0;
      r.answer = (res) => res.writeHead(++calls === 1 ? 500 : 200).end();
      const hook = await createWebhook(api, owner, { url: r.url, events: ['Message'] });
      const m1 = await sendText(api, peer, owner, 'one');
      const m2 = await sendText(api, peer, owner, 'two');
      await r.untilCount(3, 15_000);
      expect(r.received.map((x) => x.id)).to.deep.equal([
        `msgr_${hook.id}_${m1.id}`,
        `msgr_${hook.id}_${m1.id}`,
        `msgr_${hook.id}_${m2.id}`,
      ]);
      // The retry waited for its backoff (1 s and up).
      expect(r.received[1]!.at - r.received[0]!.at).to.be.at.least(900);
      const log = await waitFor('three recorded attempts', async () => {
        const d = await deliveries(api, owner, hook.id);
        return d.length === 3 ? d : undefined;
      });
      expect(log.map((d) => [d.event_seq, d.attempt, d.status])).to.deep.equal([
        [m2.id, 1, 200],
        [m1.id, 2, 200],
        [m1.id, 1, 500],
      ]);
      expect(log[2].error).to.equal('answered 500');
      expect(log[2].webhook_message_id).to.equal(log[1].webhook_message_id);
      const now = (await api.get(`/webhooks/${hook.id}`, owner.token)).body;
      expect(now).to.include({ state: 'active', last_error: null, next_attempt_at: null });
      // One instance here: its counters saw both outcomes.
      const metrics = (await api.get('/metrics')).body as string;
      const value = (name: string) =>
        Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
      expect(value('msgr_webhook_deliveries_total')).to.be.at.least(2);
      expect(value('msgr_webhook_delivery_failures_total')).to.be.at.least(1);
    });

    it('when a dead receiver holds one webhook then another webhook is delivered promptly meanwhile', async () => {
      const owner = await api.newUser('wh-owner');
      const peer = await api.newUser('wh-peer');
      const black = await receiver();
      black.answer = () => undefined; // takes the request, never answers
      const refused = await receiver();
      const refusedUrl = refused.url;
      await refused.close(); // its port now refuses connections
      const healthy = await receiver();
      await createWebhook(api, owner, { url: black.url, events: ['Message'] });
      await createWebhook(api, owner, { url: refusedUrl, events: ['Message'] });
      await createWebhook(api, owner, { url: healthy.url, events: ['Message'] });
      const first = await sendText(api, peer, owner, 'first');
      await black.untilCount(1);
      expect(black.open).to.equal(1);
      // While the black hole holds its attempt open (up to 10 s), the healthy one goes on.
      const started = Date.now();
      for (let i = 0; i < 5; i++) await sendText(api, peer, owner, `more ${i}`);
      await healthy.untilCount(6, 3000);
      expect(Date.now() - started).to.be.below(3000);
      expect(healthy.frames()[0].message.id).to.equal(first.id);
      // The black hole still holds the first attempt; it got nothing else.
      expect(black.received).to.have.length(1);
      expect(black.open).to.equal(1);
      // The server's own requests do not wait either.
      const t0 = Date.now();
      expect((await api.get('/me', owner.token)).status).to.equal(200);
      expect(Date.now() - t0).to.be.below(1000);
      for (const { id } of (await api.get('/webhooks', owner.token)).body) {
        await api.request('DELETE', `/webhooks/${id}`, { token: owner.token });
      }
    });

    it('when a receiver keeps failing past the retry window then failing, and resume continues with the same event', async () => {
      const short = await startCluster({ webhookAllowPrivate: true, webhookRetrySeconds: 2 });
      try {
        const a = short.api;
        const owner = await a.newUser('wh-owner');
        const peer = await a.newUser('wh-peer');
        const r = await receiver();
        r.answer = answerWith(503);
        const hook = await createWebhook(a, owner, { url: r.url, events: ['Message'] });
        const m1 = await sendText(a, peer, owner, 'one');
        const m2 = await sendText(a, peer, owner, 'two');
        const failing = await waitFor(
          'the webhook to be failing',
          async () => {
            const res = await a.get(`/webhooks/${hook.id}`, owner.token);
            return res.body.state === 'failing' ? res.body : undefined;
          },
          { timeoutMs: 15_000 },
        );
        expect(failing.last_error).to.equal('answered 503');
        expect(failing.next_attempt_at).to.equal(null);
        const tries = r.received.length;
        expect(tries).to.be.at.least(2);
        expect(new Set(r.received.map((x) => x.id))).to.deep.equal(
          new Set([`msgr_${hook.id}_${m1.id}`]),
        );
        const log = await deliveries(a, owner, hook.id);
        expect(log.map((d) => d.attempt)).to.deep.equal(
          Array.from({ length: tries }, (_, i) => tries - i),
        );
        // Failing delivers nothing: a new event does not wake it.
        const m3 = await sendText(a, peer, owner, 'three');
        const unchanged = await a.get(`/webhooks/${hook.id}`, owner.token);
        expect(unchanged.body.state).to.equal('failing');

        r.answer = answerWith(204);
        const resumed = await a.post(`/webhooks/${hook.id}/resume`, undefined, owner.token);
        expect(resumed.status).to.equal(200);
        expect(resumed.body).to.include({ state: 'active', last_error: null });
        await r.untilCount(tries + 3);
        expect(r.received.slice(tries).map((x) => x.id)).to.deep.equal([
          `msgr_${hook.id}_${m1.id}`,
          `msgr_${hook.id}_${m2.id}`,
          `msgr_${hook.id}_${m3.id}`,
        ]);
        expect(r.received.length).to.equal(tries + 3);
        const after = await deliveries(a, owner, hook.id);
        expect(after[2]).to.include({ event_seq: m1.id, attempt: 1, status: 204 });
      } finally {
        await short.close();
      }
    });
  });

  describe('several instances', () => {
    it('when two instances run then each event is delivered once, in order', async () => {
      const two = await startCluster({ instances: 2, webhookAllowPrivate: true });
      try {
        const [a, b] = two.apis as [Api, Api];
        const owner = await a.newUser('wh-owner');
        const peer = await a.newUser('wh-peer');
        const receiversHere = await Promise.all([receiver(), receiver(), receiver()]);
        const hooks = [];
        for (const r of receiversHere) {
          hooks.push(await createWebhook(a, owner, { url: r.url, events: ['Message'] }));
        }
        const sent: number[] = [];
        for (let i = 0; i < 30; i++) {
          const via = i % 2 ? b : a;
          sent.push((await sendText(via, i % 3 ? peer : owner, i % 3 ? owner : peer, `n${i}`)).id);
        }
        for (const [i, r] of receiversHere.entries()) {
          await r.untilCount(30);
          const frames = r.verifyAll(hooks[i]!.secret) as any[];
          expect(frames.map((f) => f.seq)).to.deep.equal(sent);
        }
        // Settled: no late duplicates either.
        await sendText(a, peer, owner, 'settled');
        for (const r of receiversHere) await r.untilCount(31);
        for (const r of receiversHere) {
          expect(r.received).to.have.length(31);
          expect(new Set(r.received.map((x) => x.id)).size).to.equal(31);
        }
      } finally {
        await two.close();
      }
    });

    it('when another holder has the lease then nothing is delivered until it lapses, then it is', async () => {
      const owner = await api.newUser('wh-owner');
      const peer = await api.newUser('wh-peer');
      const r = await receiver();
      const hook = await createWebhook(api, owner, { url: r.url, events: ['Message'] });
      // A holder that died holding it (another instance, killed).
      const lapsesAt = await withPg(c.databaseUrl, async (pg) => {
        const res = await pg.query<{ until: Date }>(
          `UPDATE webhooks SET lease_holder = 'ghost:1', lease_until = now() + interval '2 seconds'
           WHERE id = $1 RETURNING lease_until AS until`,
          [hook.id],
        );
        return res.rows[0]!.until.getTime();
      });
      const m = await sendText(api, peer, owner, 'held');
      await r.untilCount(1, 8000);
      expect(r.received[0]!.at).to.be.at.least(lapsesAt - 50);
      expect(r.received[0]!.id).to.equal(`msgr_${hook.id}_${m.id}`);
    });
  });
});
