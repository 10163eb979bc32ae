/**
 * Structured logs: request ids, access lines, socket lines, and never a secret, at the most
 * verbose level. The logger's output stream is captured in memory.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import WebSocket from 'ws';
import { createLogger } from '../src/logger.js';
import { startServer, type RunningServer } from '../src/server.js';
import { Api, freshDatabase, testConfig } from './support/harness.js';
import { openSocket } from './support/sockets.js';

interface Captured {
  readonly text: () => string;
  readonly lines: () => any[];
}

async function serverWithCapturedLogs(): Promise<{ server: RunningServer; logs: Captured }> {
  const chunks: string[] = [];
  const logger = createLogger('trace', { destination: { write: (s: string) => chunks.push(s) } });
  const server = await startServer(testConfig(await freshDatabase(), { logLevel: 'trace' }), {
    logger,
  });
  const text = () => chunks.join('');
  const lines = () =>
    text()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  return { server, logs: { text, lines } };
}

/** Waits (bounded) for a log line; access lines are written when the answer is done. */
async function lineWhere(logs: Captured, predicate: (line: any) => boolean): Promise<any> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const found = logs.lines().find(predicate);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no such log line in:\n${logs.text()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('logs', () => {
  let server: RunningServer;
  let logs: Captured;
  let api: Api;
  before(async () => {
    ({ server, logs } = await serverWithCapturedLogs());
    api = new Api(server.url);
  });
  after(() => server.close());

  it('when logging in, refreshing, sending and opening sockets then no password or token is logged', async () => {
    const password = 'S3cret-pa55word-in-no-log';
    const email = `secretive-${Date.now()}@example.com`;
    await api.post('/register', { email, name: 'Secretive', password });
    const wrong = await api.post('/login', { email, password: `${password}-wrong` });
    expect(wrong.status).to.equal(401);
    const form = await api.request('POST', '/login', {
      raw: new URLSearchParams({ username: email, password }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).to.equal(200);
    const session = await api.login(email, password, 'laptop');
    const refreshed = await api.post('/token/refresh', { refresh_token: session.refreshToken });
    expect(refreshed.status).to.equal(200);
    const token: string = refreshed.body.access_token;
    const sent = await api.send({ user: session.userId }, 'note to self', 1, token);
    expect(sent.status).to.equal(201);
    const byHeader = await openSocket(api.baseUrl, '/ws', token);
    const byProtocol = await openSocket(api.baseUrl, '/ws', token, { viaSubprotocol: true });
    await Promise.all([byHeader.close(), byProtocol.close()]);
    const refused = await openSocket(api.baseUrl, '/ws', `${token}x`).catch((e: Error) => e);
    expect(refused).to.be.instanceOf(Error);
    await lineWhere(logs, (l) => l.msg === 'socket closed');

    const secrets = [
      password,
      form.body.access_token,
      form.body.refresh_token,
      session.token,
      session.refreshToken,
      token,
      refreshed.body.refresh_token,
    ];
    const text = logs.text();
    for (const secret of secrets) expect(text).not.to.contain(secret);
    // Not even the signature of a token on its own.
    for (const jwt of [session.token, token]) expect(text).not.to.contain(jwt.split('.')[2]);
    // …and the logs are not empty: every request above has its access line.
    expect(logs.lines().filter((l) => l.msg === 'request').length).to.be.at.least(8);
  });

  it('when a request carries a sane X-Request-Id then it is echoed and logged, else a new one is made', async () => {
    const given = await api.request('GET', '/healthz', { headers: { 'x-request-id': 'lb-1234' } });
    expect(given.headers.get('x-request-id')).to.equal('lb-1234');
    await lineWhere(logs, (l) => l.req_id === 'lb-1234' && l.route === '/healthz');

    const insane = await api.request('GET', '/healthz', {
      headers: { 'x-request-id': 'has spaces and "quotes"' },
    });
    const made = insane.headers.get('x-request-id')!;
    expect(made).to.match(/^[0-9a-f-]{36}$/);
    const plain = await api.get('/healthz');
    expect(plain.headers.get('x-request-id'))
      .to.match(/^[0-9a-f-]{36}$/)
      .and.not.equal(made);
  });

  it('when a request is answered then one access line names method, route template, status, duration, request id and user', async () => {
    const alice = await api.newUser('alice');
    const res = await api.request('POST', `/messages/user/${alice.userId}`, {
      body: { text: 'hi', operation_id: 5 },
      token: alice.token,
      headers: { 'x-request-id': 'send-5' },
    });
    expect(res.status).to.equal(201);
    const line = await lineWhere(logs, (l) => l.req_id === 'send-5' && l.msg === 'request');
    expect(line).to.include({
      level: 30,
      method: 'POST',
      route: '/messages/user/{user_id}',
      status: 201,
      user_id: alice.userId,
    });
    expect(line.duration_ms).to.be.a('number').at.least(0);

    await api.request('GET', '/no/such/thing?q=1', { headers: { 'x-request-id': 'lost-1' } });
    const lost = await lineWhere(logs, (l) => l.req_id === 'lost-1');
    expect(lost).to.include({ route: 'unmatched', path: '/no/such/thing', status: 404 });
  });

  it('when a socket opens and closes then its lines carry the request id, socket id and user', async () => {
    const bob = await api.newUser('bob');
    const ws = new WebSocket(`${api.baseUrl.replace('http', 'ws')}/ws`, {
      headers: { authorization: `Bearer ${bob.token}`, 'x-request-id': 'sock-9' },
    });
    const isOpen = once(ws, 'open');
    const [upgrade] = (await once(ws, 'upgrade')) as [{ headers: Record<string, string> }];
    expect(upgrade.headers['x-request-id']).to.equal('sock-9');
    await isOpen;
    ws.close();
    await once(ws, 'close');
    const access = await lineWhere(logs, (l) => l.req_id === 'sock-9' && l.msg === 'request');
    expect(access).to.include({ route: '/ws', status: 101, user_id: bob.userId });
    const opened = await lineWhere(logs, (l) => l.req_id === 'sock-9' && l.msg === 'socket opened');
    const closed = await lineWhere(logs, (l) => l.req_id === 'sock-9' && l.msg === 'socket closed');
    expect(opened.socket).to.be.a('number').and.equal(closed.socket);
    expect(closed.code).to.equal(1005);
  });
});
