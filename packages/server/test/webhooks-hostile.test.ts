/**
 * Outgoing webhooks against hostile URLs and receivers: addresses a server must not reach
 * (SSRF), at creation and again at delivery (DNS rebinding), redirects, and answers meant to
 * tie the server up (a trickle, a flood, none at all).
 */
import { expect } from 'chai';
import { startServer } from '../src/server.js';
import { until, waitFor, withPg } from './support/fault-cluster.js';
import { Api, startCluster, testConfig, type Cluster, type Session } from './support/harness.js';
import { answerWith, Receiver } from './support/webhook-receiver.js';

let operation = 1;

async function sendText(api: Api, from: Session, to: Session, text: string): Promise<any> {
  const res = await api.send({ user: to.userId }, text, operation++, from.token);
  expect(res.status, JSON.stringify(res.body)).to.be.oneOf([200, 201]);
  return res.body;
}

async function lastDeliveries(api: Api, owner: Session, id: number, n: number): Promise<any[]> {
  return waitFor(`${n} recorded attempts`, async () => {
    const res = await api.get(`/webhooks/${id}/deliveries`, owner.token);
    return res.body.length >= n ? res.body : undefined;
  });
}

describe('outgoing webhooks: hostile URLs and receivers', () => {
  const receivers: Receiver[] = [];
  const receiver = async () => {
    const r = await Receiver.start();
    receivers.push(r);
    return r;
  };
  after(() => Promise.all(receivers.map((r) => r.close())));

  describe('creation, without WEBHOOK_ALLOW_PRIVATE', () => {
    let c: Cluster;
    before(async () => {
      c = await startCluster({ webhookAllowPrivate: false });
    });
    after(() => c.close());

    const forbidden = [
      'http://127.0.0.1:8080/hook',
      'http://127.1/',
      'http://2130706433/', // 127.0.0.1 as one number
      'http://0x7f000001/',
      'http://localhost:8080/hook', // a name that resolves to loopback
      'http://LOCALHOST./',
      'http://api.localhost/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::]/',
      'http://0.0.0.0/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/',
      'http://100.100.100.200/',
      'http://10.0.0.1/',
      'http://172.16.5.4/',
      'http://192.168.1.1/',
      'http://[fe80::1]/',
      'http://[fc00::1]/',
      'https://224.0.0.1/',
      'ftp://example.com/file',
      'file:///etc/passwd',
      'gopher://127.0.0.1:6379/_INFO',
      'javascript:alert(1)',
      'data:text/plain,hi',
      'not a url',
      '//example.com/relative',
      'http://',
    ];
    for (const url of forbidden) {
      it(`when the url is ${url} then 422 webhook_url_forbidden`, async () => {
        const owner = await c.api.newUser('hostile');
        const res = await c.api.post('/webhooks', { url, events: ['Message'] }, owner.token);
        expect(res.status, JSON.stringify(res.body)).to.equal(422);
        expect(res.body.code).to.equal('webhook_url_forbidden');
      });
    }

    it('when the url is not a string or too long then 422 validation_failed', async () => {
      const owner = await c.api.newUser('hostile');
      for (const url of [42, null, `http://example.com/${'a'.repeat(2000)}`]) {
        const res = await c.api.post('/webhooks', { url, events: ['Message'] }, owner.token);
        expect(res.status).to.equal(422);
        expect(res.body.code).to.equal('validation_failed');
      }
    });
  });

  describe('creation, with WEBHOOK_ALLOW_PRIVATE', () => {
    it('when the url is a cloud metadata address then it is refused all the same', async () => {
      const c = await startCluster({ webhookAllowPrivate: true });
      try {
        const owner = await c.api.newUser('hostile');
        for (const url of [
          'http://169.254.169.254/',
          'http://[::ffff:169.254.169.254]/',
          'ftp://10.0.0.1/',
        ]) {
          const res = await c.api.post('/webhooks', { url, events: ['Message'] }, owner.token);
          expect(res.status, url).to.equal(422);
          expect(res.body.code).to.equal('webhook_url_forbidden');
        }
        const ok = await c.api.post(
          '/webhooks',
          { url: 'http://10.0.0.1/', events: ['Message'] },
          owner.token,
        );
        expect(ok.status).to.equal(201);
      } finally {
        await c.close();
      }
    });
  });

  describe('delivery after the address changed (DNS rebinding)', () => {
    it('when the URL now names loopback then an instance without allow-private refuses to deliver it', async () => {
      // Made where private addresses are allowed (so their URLs pass creation)…
      const c = await startCluster({ webhookAllowPrivate: true });
      const r = await receiver();
      const owner = await c.api.newUser('rebind');
      const peer = await c.api.newUser('rebind-peer');
      const ids: number[] = [];
      for (let i = 0; i < 2; i++) {
        const made = await c.api.post(
          '/webhooks',
          { url: r.url, events: ['Message'] },
          owner.token,
        );
        expect(made.status).to.equal(201);
        ids.push(made.body.id);
      }
      // …one by literal address, one by a name that resolved to a public address when it was
      // made and resolves to loopback now (what a rebinding name server does).
      await withPg(c.databaseUrl, (pg) =>
        pg.query(`UPDATE webhooks SET url = $1 WHERE id = $2`, [
          `http://localhost:${r.port}/hook`,
          ids[1],
        ]),
      );
      await c.close();
      // …and delivered by an instance that does not allow them, on the same database.
      const strict = await startServer(testConfig(c.databaseUrl, { webhookAllowPrivate: false }));
      try {
        const api = new Api(strict.url);
        await sendText(api, peer, owner, 'to be refused');
        for (const id of ids) {
          const [attempt] = await lastDeliveries(api, owner, id, 1);
          expect(attempt.status).to.equal(null);
          expect(attempt.error).to.match(/^forbidden address: /);
          expect(attempt.error).to.match(/loopback/);
          const now = await api.get(`/webhooks/${id}`, owner.token);
          expect(now.body.state).to.equal('active');
          expect(now.body.next_attempt_at).to.be.a('string');
          expect(now.body.last_error).to.equal(attempt.error);
        }
        expect(r.received).to.have.length(0);
      } finally {
        await strict.close();
      }
    });
  });

  describe('delivery', () => {
    let c: Cluster;
    let api: Api;
    before(async () => {
      c = await startCluster({ webhookAllowPrivate: true });
      api = c.api;
    });
    after(() => c.close());

    it('when the receiver redirects then the redirect is not followed and the attempt fails with its status', async () => {
      const owner = await api.newUser('redirect');
      const peer = await api.newUser('redirect-peer');
      const target = await receiver();
      const r = await receiver();
      let calls = 0;
      r.answer = (res) =>
        res
          .writeHead(++calls === 1 ? 302 : 307, {
            location: calls === 1 ? 'http://169.254.169.254/latest/meta-data/' : target.url,
          })
          .end();
      const hook = await api.post('/webhooks', { url: r.url, events: ['Message'] }, owner.token);
      await sendText(api, peer, owner, 'go elsewhere');
      const log = await lastDeliveries(api, owner, hook.body.id, 2);
      expect(log.map((d) => d.status)).to.deep.equal([307, 302]);
      expect(log[1].error).to.match(
        /^answered 302: redirects are not followed \(to http:\/\/169\.254/,
      );
      expect(target.received).to.have.length(0);
      await api.request('DELETE', `/webhooks/${hook.body.id}`, { token: owner.token });
    });

    it('when a receiver answers one byte a second or 50 MiB then the status decides, at once, and the server stays well', async () => {
      const owner = await api.newUser('flood');
      const peer = await api.newUser('flood-peer');
      const trickle = await receiver();
      const trickleTimers: NodeJS.Timeout[] = [];
      trickle.answer = (res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('x'); // the status line goes now, the rest a byte a second
        const t = setInterval(() => res.write('x'), 1000);
        trickleTimers.push(t);
        res.on('close', () => clearInterval(t));
      };
      const flood = await receiver();
      let floodBytes = 0;
      flood.answer = (res) => {
        res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) });
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        const pump = () => {
          while (floodBytes < 50 * 1024 * 1024) {
            floodBytes += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('error', () => undefined);
        pump();
      };
      const hooks = [];
      for (const r of [trickle, flood]) {
        const made = await api.post('/webhooks', { url: r.url, events: ['Message'] }, owner.token);
        hooks.push(made.body.id as number);
      }
      const rssBefore = process.memoryUsage().rss;
      const started = Date.now();
      for (let i = 0; i < 3; i++) await sendText(api, peer, owner, `m${i}`);
      await trickle.untilCount(3, 5000);
      await flood.untilCount(3, 5000);
      expect(Date.now() - started).to.be.below(5000);
      for (const id of hooks) {
        const log = await lastDeliveries(api, owner, id, 3);
        for (const d of log) {
          expect(d.status).to.equal(200);
          expect(d.error).to.equal(null);
          expect(d.duration_ms).to.be.below(1000);
        }
      }
      // The flood was cut off far short of 50 MiB per answer, and the server holds none of it.
      await until('the flood to be cut off', () => flood.open === 0, 5000);
      // What the receiver wrote is what loopback's socket buffers took (a few MiB each).
      expect(floodBytes).to.be.below(30 * 1024 * 1024);
      expect(process.memoryUsage().rss - rssBefore).to.be.below(100 * 1024 * 1024);
      await until('the trickles to be cut off', () => trickle.open === 0, 5000);
      const t0 = Date.now();
      expect((await api.get('/readyz')).status).to.equal(200);
      expect(Date.now() - t0).to.be.below(1000);
      trickleTimers.forEach(clearInterval);
      for (const id of hooks)
        await api.request('DELETE', `/webhooks/${id}`, { token: owner.token });
    });

    it('when a receiver never answers then the attempt ends after 10 s and is recorded so', async function () {
      this.timeout(30_000);
      const owner = await api.newUser('silent');
      const peer = await api.newUser('silent-peer');
      const r = await receiver();
      r.answer = () => undefined;
      const hook = await api.post('/webhooks', { url: r.url, events: ['Message'] }, owner.token);
      await sendText(api, peer, owner, 'anyone there?');
      await r.untilCount(1);
      const [attempt] = await waitFor(
        'the attempt to time out',
        async () => {
          const res = await api.get(`/webhooks/${hook.body.id}/deliveries`, owner.token);
          return res.body.length > 0 ? res.body : undefined;
        },
        { timeoutMs: 15_000 },
      );
      expect(attempt.status).to.equal(null);
      expect(attempt.error).to.equal('no answer within 10 s');
      expect(attempt.duration_ms).to.be.within(9_900, 11_000);
      await until('the receiver to see the request dropped', () => r.open === 0, 2000);
      await api.request('DELETE', `/webhooks/${hook.body.id}`, { token: owner.token });
    });

    it('when the log was trimmed past its position then failing with position_expired, and resume goes on from now', async () => {
      const owner = await api.newUser('expired');
      const peer = await api.newUser('expired-peer');
      const r = await receiver();
      r.answer = answerWith(503);
      const hook = await api.post('/webhooks', { url: r.url, events: ['Message'] }, owner.token);
      const lost = await sendText(api, peer, owner, 'lost');
      await r.untilCount(1);
      // The trimmer went past it while it was retrying (its retention, shrunk to nothing).
      await withPg(c.databaseUrl, (pg) =>
        pg.query(`UPDATE stream_marks SET trimmed_to = greatest(trimmed_to, $1)`, [lost.id]),
      );
      const failing = await waitFor('failing', async () => {
        const res = await api.get(`/webhooks/${hook.body.id}`, owner.token);
        return res.body.state === 'failing' ? res.body : undefined;
      });
      expect(failing.last_error).to.match(/^position_expired: /);
      r.answer = answerWith(200);
      const resumed = await api.post(`/webhooks/${hook.body.id}/resume`, undefined, owner.token);
      expect(resumed.body.state).to.equal('active');
      expect(resumed.body.last_error).to.match(/^resumed from now/);
      expect(Number(resumed.body.position)).to.be.at.least(lost.id);
      const next = await sendText(api, peer, owner, 'after');
      await until('the next event', () => r.received.some((x) => x.id.endsWith(`_${next.id}`)));
      const ids = r.received.map((x) => x.id);
      const prefix = `msgr_${hook.body.id}_`;
      expect(new Set(ids)).to.deep.equal(new Set([prefix + lost.id, prefix + next.id]));
      expect(ids.at(-1)).to.equal(prefix + next.id);
      await api.request('DELETE', `/webhooks/${hook.body.id}`, { token: owner.token });
    });

    it('when listed or read then the secret is never shown again', async () => {
      const owner = await api.newUser('secret');
      const r = await receiver();
      const made = await api.post('/webhooks', { url: r.url, events: ['Message'] }, owner.token);
      const all = JSON.stringify((await api.get('/webhooks', owner.token)).body);
      const one = JSON.stringify((await api.get(`/webhooks/${made.body.id}`, owner.token)).body);
      expect(all).to.not.include(made.body.secret);
      expect(one).to.not.include(made.body.secret);
    });
  });
});
