/**
 * Uploads against nock, for the failures a real server does not produce on demand: a 5xx in the
 * middle of an upload (resumed from the offset HEAD names, on the next host), and refusals that
 * must not be repeated (a long Retry-After, a quota).
 */
import { expect } from 'chai';
import nock from 'nock';
import { MessengerClient, type FileObject } from '../src/index.js';
import { PROBLEM_JSON, failure, loggedIn, problem } from './support/http-fixtures.js';

// As in transport.test.ts: interception only while this suite runs.
nock.restore();

const A = 'http://a.test';
const B = 'http://b.test';
const TUS = { 'tus-resumable': '1.0.0' };
const FILE: FileObject = {
  id: 'f'.repeat(22),
  name: 'file',
  size: 10,
  content_type: 'application/octet-stream',
  sha256: '0'.repeat(64),
  created_at: new Date(0).toISOString(),
  uploader_id: 1,
  image: null,
};

function client(timeoutMs = 10_000): MessengerClient {
  return new MessengerClient({
    hosts: [A, B],
    timeoutMs,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    tokenStore: loggedIn(),
  });
}

describe('sdk uploads (nock)', function () {
  let unmatched: string[] = [];
  const onNoMatch = (req: { method?: string; href?: string }) =>
    unmatched.push(`${req.method} ${req.href}`);

  before(() => {
    nock.activate();
    nock.disableNetConnect();
    nock.emitter.on('no match', onNoMatch);
  });
  beforeEach(() => {
    unmatched = [];
  });
  afterEach(() => {
    nock.cleanAll();
    expect(unmatched, 'requests nobody expected').to.deep.equal([]);
  });
  after(() => {
    nock.emitter.removeListener('no match', onNoMatch);
    nock.enableNetConnect();
    nock.restore();
  });

  it('when a PATCH answers 503 then the upload asks the next host where it stands and sends the rest', async () => {
    const bodies: string[] = [];
    const a = nock(A)
      .post('/uploads')
      .matchHeader('authorization', 'Bearer access-1')
      .matchHeader('upload-length', '10')
      .matchHeader('idempotency-key', /^sdk-[0-9a-f]{32}$/)
      .reply(201, '', { ...TUS, location: '/uploads/up-1' })
      .patch('/uploads/up-1')
      .matchHeader('upload-offset', '0')
      .reply(503, problem(503, 'shutting_down'), PROBLEM_JSON);
    const b = nock(B)
      .head('/uploads/up-1')
      .reply(200, '', { ...TUS, 'upload-offset': '4', 'upload-length': '10' })
      .patch('/uploads/up-1', (body: unknown) => bodies.push(String(body)) > 0)
      .matchHeader('upload-offset', '4')
      .reply(204, '', { ...TUS, 'upload-offset': '10', 'msgr-file-id': FILE.id })
      // Where the upload ended: the host the client goes on with.
      .get(`/files/${FILE.id}/info`)
      .reply(200, FILE);
    const progress: number[] = [];
    const file = await client().upload(Buffer.from('0123456789'), {
      onProgress: (sent) => progress.push(sent),
    });
    expect(file).to.deep.equal(FILE);
    expect(bodies).to.deep.equal(['456789']);
    expect(progress.at(-1)).to.equal(10);
    expect(a.isDone() && b.isDone()).to.equal(true);
  });

  it('when the creation answers 429 with a long Retry-After then rate_limited at once', async () => {
    nock(A)
      .post('/uploads')
      .reply(429, problem(429, 'rate_limited'), { ...PROBLEM_JSON, 'retry-after': '60' });
    const error = await failure(client().upload(Buffer.from('0123456789')));
    expect(error).to.include({ status: 429, code: 'rate_limited', retryAfterSeconds: 60 });
  });

  it('when the creation answers 413 quota_exceeded then that error, never repeated', async () => {
    nock(A).post('/uploads').reply(413, problem(413, 'quota_exceeded'), PROBLEM_JSON);
    const error = await failure(client().upload(Buffer.from('0123456789')));
    expect(error).to.include({ status: 413, code: 'quota_exceeded' });
    expect(error.isRetryable).to.equal(false);
  });

  it('when a PATCH stays silent past timeoutMs and the next HEAD answers 404 then upload_not_found, not a new upload from byte 0', async () => {
    nock(A)
      .post('/uploads')
      .reply(201, '', { ...TUS, location: '/uploads/up-2' })
      .patch('/uploads/up-2')
      .delay(2000)
      .reply(204, '', { ...TUS, 'upload-offset': '10' });
    nock(B).head('/uploads/up-2').reply(404, '', TUS);
    const started = Date.now();
    const error = await failure(client(300).upload(Buffer.from('0123456789')));
    expect(error).to.include({ status: 404, code: 'upload_not_found' });
    expect(Date.now() - started).to.be.lessThan(1500);
  });

  it('when a download stalls mid-body then reading it fails with timeout instead of waiting for ever', async () => {
    const { PassThrough } = await import('node:stream');
    const stalled = new PassThrough();
    stalled.write(Buffer.from('first bytes'));
    nock(A)
      .get(`/files/${FILE.id}`)
      .reply(200, () => stalled, { 'content-length': '100', etag: `"${FILE.sha256}"` });
    const download = await client(300).download(FILE.id);
    const reader = download.body.getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value!).toString()).to.equal('first bytes');
    const error = await reader.read().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).to.include({ code: 'timeout' });
    stalled.destroy();
  });
});
