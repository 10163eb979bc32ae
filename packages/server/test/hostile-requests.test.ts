/**
 * Requests an attacker would send, one by one: odd upgrade targets, bad percent-encoding, lying
 * Content-Encoding. Each must be answered 4xx (or the upgrade refused) and the instance must keep
 * serving. The generated corpus over every route is in hostile-corpus.test.ts.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import net from 'node:net';
import { startCluster, type Cluster, type Session } from './support/harness.js';
import { expectProblem } from './support/problem.js';
import { rawRequest, upgradeHead } from './support/raw-http.js';

describe('hostile requests, one by one', () => {
  let c: Cluster;
  let me: Session;
  before(async () => {
    c = await startCluster();
    me = await c.api.login('test1@test.com');
  });
  after(() => c.close());

  async function expectAlive(): Promise<void> {
    expect((await c.api.get('/healthz')).status).to.equal(200);
  }

  for (const target of [
    '//',
    '//a:99999/',
    'http://x:99999/ws',
    '*',
    '/ws?after=%ZZ',
    '/ws/%E0%A4%A',
    '/%',
  ]) {
    it(`when an upgrade targets ${JSON.stringify(target)} then it is refused and the instance lives`, async () => {
      const answer = await rawRequest(
        c.servers[0]!.url,
        upgradeHead(target, [`Authorization: Bearer ${me.token}`]),
      );
      expect(answer.status, answer.body).to.be.within(400, 499);
      await expectAlive();
    });
  }

  for (const path of [
    'POST /messages/read/%E0%A4%A',
    'GET /history/%ZZ',
    'GET /groups/%E0%A4%A',
    'GET /%',
  ]) {
    it(`when ${path} then 400 problem+json`, async () => {
      const [method, target] = path.split(' ');
      const answer = await rawRequest(
        c.servers[0]!.url,
        `${method} ${target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${me.token}\r\nContent-Length: 0`,
      );
      expect(answer.status, answer.body).to.be.within(400, 499);
      expect(answer.headers['content-type']).to.match(/^application\/problem\+json/);
      await expectAlive();
    });
  }

  it('when a query string holds bad percent-encoding then it is answered, never 5xx', async () => {
    const answer = await rawRequest(
      c.servers[0]!.url,
      `GET /users?query=%E0%A4%A&limit=%ZZ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${me.token}`,
    );
    expect(answer.status, answer.body).to.be.within(200, 499);
    await expectAlive();
  });

  for (const [name, head, status, code] of [
    [
      'a header line without a colon',
      'GET /me HTTP/1.1\r\nHost: x\r\nno colon here',
      400,
      'bad_request',
    ],
    ['a NUL in a header value', 'GET /me HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b', 400, 'bad_request'],
    [
      'both Content-Length and chunked',
      'POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked',
      400,
      'bad_request',
    ],
    [
      'headers over 16 KiB',
      `GET /me HTTP/1.1\r\nHost: x\r\nX-A: ${'a'.repeat(20_000)}`,
      431,
      'headers_too_large',
    ],
    ['an HTTP/1.1 request without a Host', 'GET /healthz HTTP/1.1', 400, 'missing_host'],
    ['CONNECT', 'CONNECT /login HTTP/1.1\r\nHost: x', 405, 'method_not_allowed'],
    [
      'an Expect other than 100-continue',
      'GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: x',
      417,
      'expectation_failed',
    ],
  ] as const) {
    it(`when Node itself refuses ${name} then the answer is a ${status} problem too`, async () => {
      const answer = await rawRequest(c.servers[0]!.url, head, '', 3000);
      expect(answer.status, answer.body).to.equal(status);
      expect(answer.headers['content-type']).to.match(/^application\/problem\+json/);
      expect(JSON.parse(answer.body)).to.include({ status, code });
      await expectAlive();
    });
  }

  it('when a body is cut short of its Content-Length and the client stops then a 400 problem', async () => {
    const { port } = new URL(c.servers[0]!.url);
    const socket = net.connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    const closed = once(socket, 'close');
    socket.end(
      `POST /group HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${me.token}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name":',
    );
    await closed;
    const text = Buffer.concat(chunks).toString();
    expect(text).to.match(/^HTTP\/1\.1 400 /);
    expect(text).to.match(/content-type: application\/problem\+json/i);
    await expectAlive();
  });

  for (const [i, [charset, status]] of (
    [
      ['utf-7', 415],
      ['utf-16', 415],
      ['latin1', 415],
      ['utf-8', 201],
      ['UTF-8', 201],
      ['"utf-8"', 201],
    ] as const
  ).entries()) {
    it(`when a body is declared charset=${charset} then ${status}`, async () => {
      const body = JSON.stringify({ text: `charset ${charset}`, operation_id: 100 + i });
      const res = await c.api.request('POST', '/messages/user/2', {
        raw: body,
        token: me.token,
        headers: { 'content-type': `application/json; charset=${charset}` },
      });
      if (status === 201) {
        expect(res.status, JSON.stringify(res.body)).to.be.oneOf([200, 201]);
        expect(res.headers.get('content-type')).to.equal('application/json; charset=utf-8');
      } else expectProblem(res, status, 'unsupported_media_type');
    });
  }

  for (const encoding of ['gzip', 'br', 'deflate', 'x-unknown']) {
    it(`when a body claims Content-Encoding: ${encoding} and is not then a 4xx`, async () => {
      const body = JSON.stringify({ text: 'hi', operation_id: 1 });
      const answer = await rawRequest(
        c.servers[0]!.url,
        [
          `POST /messages/user/2 HTTP/1.1`,
          'Host: x',
          `Authorization: Bearer ${me.token}`,
          'Content-Type: application/json',
          `Content-Encoding: ${encoding}`,
          `Content-Length: ${body.length}`,
        ].join('\r\n'),
        body,
      );
      expect(answer.status, answer.body).to.be.within(400, 499);
      expect(answer.headers['content-type']).to.match(/^application\/problem\+json/);
      await expectAlive();
    });
  }
});
