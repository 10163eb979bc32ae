/**
 * `strategy: 'hedge'` against real server processes (3 instances on one database), with TCP
 * proxies playing a stalled or a slow instance: every send still lands exactly once, answered by
 * a healthy host long before the request timeout, and a healthy cluster sees few extra requests.
 */
import { expect } from 'chai';
import pg from 'pg';
import { listen, type NetProxy } from '../../server/test/support/net-proxy.js';
import { startServerProcesses, type ServerProcesses } from '../../server/test/support/processes.js';
import { MemoryTokenStore, MessengerClient, type SendResult } from '../src/index.js';
import { HEDGE_COLD_DELAY_MS } from '../src/transport.js';
import { freePort } from './support/http-fixtures.js';
import { refusal } from './support/refusal.js';

const PEER = 3;

/** What became of one request the client sent to a watched host. */
type Seen = { at: number; status: number; isReplay: boolean } | { at: number; error: unknown };

/**
 * The platform's `fetch`, noting every request that goes to `host`: when its answer's headers
 * came (the server had done the work by then) and whether it was a replay.
 */
function watchedFetch(host: string): { fetch: typeof fetch; seen: Promise<Seen>[] } {
  const seen: Promise<Seen>[] = [];
  const watched: typeof fetch = (input, init) => {
    const answer = globalThis.fetch(input, init);
    const url = input instanceof Request ? input.url : String(input);
    if (url.startsWith(`${host}/`)) {
      seen.push(
        answer.then(
          (res) => ({
            at: performance.now(),
            status: res.status,
            isReplay: res.headers.get('idempotent-replayed') === 'true',
          }),
          (error: unknown) => ({ at: performance.now(), error }),
        ),
      );
    }
    return answer;
  };
  return { fetch: watched, seen };
}

/** `count` sends at once; each with its time in ms and when it resolved. */
async function sendAtOnce(
  client: MessengerClient,
  prefix: string,
  count: number,
): Promise<{ result: SendResult; ms: number; at: number }[]> {
  return await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const started = performance.now();
      const result = await client.send({ userId: PEER }, `${prefix} ${i}`);
      const at = performance.now();
      return { result, ms: at - started, at };
    }),
  );
}

describe('@msgr/sdk: strategy hedge against real servers', function () {
  this.timeout(60_000);
  let servers: ServerProcesses;
  let db: pg.Client;
  /** test2's tokens, shared by every client below (a login never hedges: it would wait out a stall). */
  const tokens = new MemoryTokenStore();
  const proxies: NetProxy[] = [];
  let run = 0;
  /** A prefix of message texts no other test of the run uses. */
  const prefix = (what: string) => `hedge ${process.pid}.${++run} ${what}`;

  /** Messages whose text starts with `textPrefix`, as the database has them. */
  async function rows(textPrefix: string): Promise<number> {
    const { rows: found } = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM messages WHERE text LIKE $1',
      [`${textPrefix} %`],
    );
    return found[0]!.n;
  }

  const port = (url: string) => Number(new URL(url).port);

  before(async () => {
    servers = await startServerProcesses(3);
    db = new pg.Client({ connectionString: servers.databaseUrl });
    await db.connect();
    const login = new MessengerClient({ hosts: servers.urls, tokenStore: tokens });
    await login.login({ email: 'test2@test.com', password: 'test', clientId: 'hedge' });
  });
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });
  after(async () => {
    await db?.end();
    await servers?.close();
  });

  it('when 3 healthy hosts take 60 sends then each makes one row and few are hedged', async () => {
    const client = new MessengerClient({
      hosts: servers.urls,
      strategy: 'hedge',
      tokenStore: tokens,
    });
    const text = prefix('healthy');
    const sends = 60;
    const before = client.stats;
    const ids: number[] = [];
    for (let i = 0; i < sends; i++) {
      ids.push((await client.sendToUser(PEER, `${text} ${i}`)).id);
    }
    const { requests, hedged } = client.stats;
    expect(new Set(ids).size).to.equal(sends);
    expect(await rows(text)).to.equal(sends);
    // No retries: every request past one per send is a hedge, and hedges are the exception.
    expect(requests - before.requests).to.equal(sends + hedged - before.hedged);
    expect(hedged - before.hedged, 'extra requests').to.be.at.most(sends / 5);
  });

  it("when a fresh client's first host stalls then every send is answered by the next host after the cold delay, once", async () => {
    const stalled = await listen(port(servers.urls[0]!));
    proxies.push(stalled);
    stalled.blackhole();
    const timeoutMs = 10_000;
    const hosts = [stalled.url, ...servers.urls.slice(1)];
    const client = new MessengerClient({ hosts, strategy: 'hedge', tokenStore: tokens, timeoutMs });
    const text = prefix('cold stall');
    const sent = await sendAtOnce(client, text, 10);
    // Every send began at the stalled host (the preferred one) and went on without waiting out
    // the timeout; the stalled host got the first copies (and dropped them).
    for (const { ms } of sent) expect(ms).to.be.within(HEDGE_COLD_DELAY_MS - 5, timeoutMs / 5);
    expect(stalled.stats.droppedBytes).to.be.above(0);
    expect(client.stats.hedged).to.be.at.least(10);
    // Later sends start at the host that answered: the stalled one sees none of them.
    const dropped = stalled.stats.droppedBytes;
    const later = prefix('after cold stall');
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await client.send({ userId: PEER }, `${later} ${i}`);
      expect(performance.now() - started).to.be.below(timeoutMs / 5);
    }
    expect(stalled.stats.droppedBytes, 'bytes sent to the stalled host').to.equal(dropped);
    // The stalled host saw no byte of any copy: the counts are final.
    expect(new Set(sent.map((s) => s.result.message.id)).size).to.equal(10);
    expect(await rows(text)).to.equal(10);
    expect(await rows(later)).to.equal(5);
  });

  it('when the preferred host stalls mid-stream then sends move on after its recent p95, once each', async () => {
    const [first, second, third] = await Promise.all(servers.urls.map((u) => listen(port(u))));
    proxies.push(first!, second!, third!);
    const timeoutMs = 10_000;
    const client = new MessengerClient({
      hosts: [first!.url, second!.url, third!.url],
      strategy: 'hedge',
      tokenStore: tokens,
      timeoutMs,
    });
    // Warm-up on the first host alone (the others refuse), so it is preferred with a full
    // record of answer times when it stalls.
    second!.refuse();
    third!.refuse();
    const warm = prefix('warm');
    for (let i = 0; i < 20; i++) await client.send({ userId: PEER }, `${warm} ${i}`);
    second!.pass();
    third!.pass();
    first!.blackhole();
    const before = client.stats;
    const text = prefix('warm stall');
    const sent = await sendAtOnce(client, text, 10);
    for (const { ms } of sent) expect(ms).to.be.below(timeoutMs / 5);
    expect(first!.stats.droppedBytes).to.be.above(0);
    expect(client.stats.hedged - before.hedged).to.be.at.least(10);
    expect(new Set(sent.map((s) => s.result.message.id)).size).to.equal(10);
    expect(await rows(warm)).to.equal(20);
    expect(await rows(text)).to.equal(10);
  });

  it('when the first host is slow then another answers first, and the slow copies land later as replays', async () => {
    const slow = await listen(port(servers.urls[0]!));
    proxies.push(slow);
    // 200 ms each way: its answers come 400 ms after the request at best.
    slow.delay(200);
    const watch = watchedFetch(slow.url);
    const client = new MessengerClient({
      hosts: [slow.url, ...servers.urls.slice(1)],
      strategy: 'hedge',
      tokenStore: tokens,
      fetch: watch.fetch,
    });
    const text = prefix('slow');
    const sent = await sendAtOnce(client, text, 10);
    // Every send started at the slow host; wait for each of its copies to be answered.
    expect(watch.seen).to.have.length.at.least(10);
    const slowAnswers = await Promise.all(watch.seen);
    for (const answer of slowAnswers) {
      expect(answer, 'a slow copy was cut before its answer').to.have.property('status', 200);
      expect(answer).to.have.property('isReplay', true);
    }
    const lastSend = Math.max(...sent.map((s) => s.at));
    const firstSlowAnswer = Math.min(...slowAnswers.map((a) => a.at));
    expect(lastSend, 'the sends waited for the slow host').to.be.below(firstSlowAnswer);
    expect(sent.every((s) => !s.result.isReplay)).to.equal(true);
    expect(new Set(sent.map((s) => s.result.message.id)).size).to.equal(10);
    expect(await rows(text)).to.equal(10);
  });

  // The copies of one call share their operation id: the host that made the message answers
  // 201, the other replays it (200). When the maker's answer comes back later than the replay,
  // the call made the message all the same and must not read as a replay.
  for (const strategy of ['race', 'hedge'] as const) {
    it(`when a ${strategy}'s replay comes back before the answer of the copy that made the message then the send is not a replay`, async () => {
      const [maker, replayer] = await Promise.all(
        servers.urls.slice(0, 2).map((u) => listen(port(u))),
      );
      proxies.push(maker!, replayer!);
      // The maker gets the request at once and answers 60 ms late. A race's other copy reaches
      // its host 40 ms late, so the maker has claimed the key (or holds it) and it replays; a
      // hedge's other copy leaves after the cold delay, so the maker answers 50 ms after that.
      const lateMs = strategy === 'race' ? 60 : HEDGE_COLD_DELAY_MS + 50;
      maker!.delay(lateMs, 'down');
      if (strategy === 'race') replayer!.delay(40, 'up');
      const watched = watchedFetch(replayer!.url);
      const client = new MessengerClient({
        hosts: [maker!.url, replayer!.url],
        strategy,
        tokenStore: tokens,
        fetch: watched.fetch,
      });
      const text = prefix(`${strategy} replay first`);
      const sent = await client.send({ userId: PEER }, `${text} 0`);
      const [replayed] = await Promise.all(watched.seen);
      expect(replayed, 'the other copy replayed').to.include({ status: 200, isReplay: true });
      expect(sent.isReplay, 'the send made the message').to.equal(false);
      expect(await rows(text)).to.equal(1);
    });
  }

  it('when every host refuses connections then the send rejects with network_error without waiting out a delay', async () => {
    const hosts = await Promise.all(
      Array.from({ length: 3 }, async () => `http://127.0.0.1:${await freePort()}`),
    );
    // Delays far longer than the whole call may take: a refused host must not be waited for.
    const client = new MessengerClient({
      hosts,
      strategy: 'hedge',
      tokenStore: tokens,
      hedge: { minDelayMs: 5_000, maxDelayMs: 5_000 },
      retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 10 },
    });
    const started = performance.now();
    const err = await refusal(client.sendToUser(PEER, 'to nobody'));
    expect(performance.now() - started).to.be.below(2_000);
    expect([err.status, err.code]).to.deep.equal([0, 'network_error']);
    expect(err.operationId).to.be.a('number');
    // Each try asked every host in turn, none of them while another copy was out.
    expect(client.stats).to.deep.equal({ requests: 6, hedged: 0 });
  });

  it('when every host refuses connections then with the default options it still rejects in bounded time', async () => {
    const hosts = await Promise.all(
      Array.from({ length: 3 }, async () => `http://127.0.0.1:${await freePort()}`),
    );
    const client = new MessengerClient({ hosts, strategy: 'hedge', tokenStore: tokens });
    const started = performance.now();
    const err = await refusal(client.sendToUser(PEER, 'to nobody'));
    // 6 tries (2 per host), full-jitter backoff of at most 0.1 + 0.2 + 0.4 + 0.8 + 1.6 s.
    expect(performance.now() - started).to.be.below(5_000);
    expect(err.code).to.equal('network_error');
    expect(client.stats).to.deep.equal({ requests: 18, hedged: 0 });
  });
});
