/**
 * GET /metrics: the Prometheus text of each instance, counters that move with the traffic, and
 * route labels that stay bounded.
 */
import { expect } from 'chai';
import { startCluster, type Api, type Cluster } from './support/harness.js';
import { openSocket } from './support/sockets.js';

/** The value of one sample, `name{labels}`, in a Prometheus text exposition; 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/i.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return 0;
}

async function scrape(api: Api): Promise<string> {
  const res = await fetch(`${api.baseUrl}/metrics`);
  expect(res.status).to.equal(200);
  expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

describe('GET /metrics', () => {
  let c: Cluster;
  let a: Api, b: Api;
  before(async () => {
    c = await startCluster({ instances: 2 });
    [a, b] = c.apis as [Api, Api];
  });
  after(() => c.close());

  it('when messages are sent and replayed then created and replayed counters move on the instance that answered', async () => {
    const [beforeA, beforeB] = await Promise.all([scrape(a), scrape(b)]);
    const alice = await a.newUser('alice');
    const bob = await a.newUser('bob');
    expect((await a.send({ user: bob.userId }, 'one', 1, alice.token)).status).to.equal(201);
    expect((await a.send({ user: bob.userId }, 'two', 2, alice.token)).status).to.equal(201);
    expect((await b.send({ user: bob.userId }, 'one', 1, alice.token)).status).to.equal(200);
    const [afterA, afterB] = await Promise.all([scrape(a), scrape(b)]);
    const delta = (name: string, after: string, before: string) =>
      sample(after, name) - sample(before, name);
    expect(delta('msgr_messages_created_total', afterA, beforeA)).to.equal(2);
    expect(delta('msgr_idempotent_replays_total', afterA, beforeA)).to.equal(0);
    expect(delta('msgr_messages_created_total', afterB, beforeB)).to.equal(0);
    expect(delta('msgr_idempotent_replays_total', afterB, beforeB)).to.equal(1);
    expect(sample(afterB, 'msgr_listener_reconnects_total')).to.equal(0);
    // Every instance hears every commit's notification, whoever wrote it (soon after the commit).
    const deadline = Date.now() + 3000;
    while (delta('msgr_notifications_received_total', await scrape(b), beforeB) < 2) {
      if (Date.now() > deadline) throw new Error('B never heard of the two messages');
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  it('when requests are answered then they are counted and timed by route template and status, never by raw URL', async () => {
    const alice = await a.newUser('alice');
    const route = { route: '/messages/user/{user_id}', status: '201' };
    const before = await scrape(a);
    await a.send({ user: alice.userId }, 'to self', 1, alice.token);
    await a.get('/no/such/path/12345');
    await a.get('/another/unknown/path');
    const after = await scrape(a);
    expect(sample(after, 'msgr_http_requests_total', route)).to.equal(
      sample(before, 'msgr_http_requests_total', route) + 1,
    );
    expect(sample(after, 'msgr_http_request_duration_seconds_count', route)).to.equal(
      sample(after, 'msgr_http_requests_total', route),
    );
    expect(
      sample(after, 'msgr_http_request_duration_seconds_bucket', { ...route, le: '+Inf' }),
    ).to.equal(sample(after, 'msgr_http_requests_total', route));
    expect(
      sample(after, 'msgr_http_requests_total', { route: 'unmatched', status: '404' }) -
        sample(before, 'msgr_http_requests_total', { route: 'unmatched', status: '404' }),
    ).to.equal(2);
    expect(after).not.to.contain('12345');
    expect(after).not.to.match(/route="\/messages\/user\/\d/);
  });

  it('when a socket is open then msgr_ws_open_sockets counts it, and the upgrade is a request of /ws', async () => {
    const bob = await b.newUser('bob');
    const socket = await openSocket(b.baseUrl, '/ws', bob.token);
    try {
      const text = await scrape(b);
      expect(sample(text, 'msgr_ws_open_sockets')).to.equal(1);
      expect(sample(text, 'msgr_http_requests_total', { route: '/ws', status: '101' })).to.equal(1);
    } finally {
      await socket.close();
    }
    const deadline = Date.now() + 3000;
    while (sample(await scrape(b), 'msgr_ws_open_sockets') !== 0) {
      if (Date.now() > deadline) throw new Error('the closed socket is still counted');
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  it('when scraped without credentials then it answers, with the process metrics once', async () => {
    const text = await scrape(a);
    expect(sample(text, 'process_cpu_user_seconds_total')).to.be.greaterThan(0);
    expect(text).to.contain('nodejs_eventloop_lag_seconds');
    expect(text.match(/^# TYPE process_resident_memory_bytes /gm)).to.have.length(1);
    expect(text.match(/^# TYPE msgr_messages_created_total counter$/gm)).to.have.length(1);
  });
});
