/**
 * Resumable uploads: the tus 1.0.0 protocol at /uploads, spoken byte by byte over real HTTP
 * (contract v1.3), with a connection cut mid-PATCH on a raw socket.
 */
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { startCluster, type Cluster, type Session } from './support/harness.js';
import { pngImage } from './support/media-fixtures.js';
import { expectProblem } from './support/problem.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const TUS = { 'tus-resumable': '1.0.0' };
const b64 = (v: string) => Buffer.from(v).toString('base64');

async function create(
  c: Cluster,
  who: Session,
  length: number,
  extra: Record<string, string> = {},
  api = c.api,
) {
  return api.bytes('POST', '/uploads', {
    token: who.token,
    headers: {
      ...TUS,
      'upload-length': String(length),
      'upload-metadata': `filename ${b64('data.bin')},filetype ${b64('text/html')}`,
      ...extra,
    },
  });
}

function patch(
  c: Cluster,
  who: Session,
  location: string,
  offset: number,
  data: Buffer,
  api = c.api,
) {
  return api.bytes('PATCH', location, {
    token: who.token,
    headers: {
      ...TUS,
      'content-type': 'application/offset+octet-stream',
      'upload-offset': String(offset),
    },
    body: data,
  });
}

function head(c: Cluster, who: Session, location: string, api = c.api) {
  return api.bytes('HEAD', location, { token: who.token, headers: TUS });
}

/** Sends a PATCH's headers and `sent` bytes of a `declared`-byte body, then cuts the connection. */
async function cutPatch(
  baseUrl: string,
  token: string,
  location: string,
  offset: number,
  declared: number,
  sent: Buffer,
): Promise<void> {
  const { hostname, port } = new URL(baseUrl);
  const socket = net.connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve).once('error', reject);
  });
  socket.write(
    `PATCH ${location} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${token}\r\n` +
      `Tus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\n` +
      `Upload-Offset: ${offset}\r\nContent-Length: ${declared}\r\n\r\n`,
  );
  await new Promise<void>((resolve) => socket.write(sent, () => resolve()));
  socket.destroy();
}

/**
 * What a tus client does after a cut: HEAD for the offset, PATCH the rest from there; a 409 (the
 * cut request was still being settled when it HEADed) means HEAD again. Answers the last PATCH.
 */
async function resume(c: Cluster, who: Session, location: string, data: Buffer) {
  for (let attempt = 0; attempt < 50; attempt++) {
    const at = Number((await head(c, who, location)).headers.get('upload-offset'));
    const res = await patch(c, who, location, at, data.subarray(at), c.apis[attempt % 2]);
    if (res.status !== 409) return { res, at };
  }
  throw new Error('the upload never settled');
}

describe('resumable uploads: tus at /uploads', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ instances: 2, uploadMaxBytes: 8 * 1024 * 1024 });
  });
  after(() => c.close());

  it('when an upload is sent in two PATCHes to two instances then the last answer names the file and its bytes match', async () => {
    const a = await c.api.newUser('tus');
    const data = randomBytes(1_500_000);
    const created = await create(c, a, data.length);
    expect(created.status).to.equal(201);
    const location = created.headers.get('location')!;
    expect(location).to.match(/^\/uploads\/[A-Za-z0-9_-]{16,64}$/);
    const first = await patch(c, a, location, 0, data.subarray(0, 700_000));
    expect(first.status).to.equal(204);
    expect(first.headers.get('upload-offset')).to.equal('700000');
    expect(first.headers.get('msgr-file-id')).to.equal(null);
    const at = await head(c, a, location, c.apis[1]);
    expect(at.headers.get('upload-offset')).to.equal('700000');
    const last = await patch(c, a, location, 700_000, data.subarray(700_000), c.apis[1]);
    expect(last.status).to.equal(204);
    const fileId = last.headers.get('msgr-file-id');
    expect(fileId).to.be.a('string');
    const info = await c.api.get(`/files/${fileId}/info`, a.token);
    expect(info.body).to.include({ name: 'data.bin', size: data.length, sha256: sha256(data) });
    // The client said text/html; the bytes are not.
    expect(info.body.content_type).to.equal('application/octet-stream');
    expect((await head(c, a, location)).headers.get('msgr-file-id')).to.equal(fileId);
  });

  it('when a PATCH is cut midway then HEAD tells what was kept and the upload completes from there', async () => {
    const a = await c.api.newUser('cut');
    const data = randomBytes(3_000_000);
    const { headers } = await create(c, a, data.length);
    const location = headers.get('location')!;
    await cutPatch(c.api.baseUrl, a.token, location, 0, data.length, data.subarray(0, 1_800_000));
    const { res: rest, at } = await resume(c, a, location, data);
    expect(at).to.be.within(0, 1_800_000);
    expect(rest.status, rest.data.toString()).to.equal(204);
    const fileId = rest.headers.get('msgr-file-id')!;
    const got = await c.api.bytes('GET', `/files/${fileId}`, { token: a.token });
    expect(sha256(got.data)).to.equal(sha256(data));
  });

  it('when the body of the creation holds the whole file then 201 names the file at once', async () => {
    const a = await c.api.newUser('cwu');
    const data = Buffer.from('all in one go');
    const res = await c.api.bytes('POST', '/uploads', {
      token: a.token,
      headers: {
        ...TUS,
        'upload-length': String(data.length),
        'content-type': 'application/offset+octet-stream',
      },
      body: data,
    });
    expect(res.status).to.equal(201);
    expect(res.headers.get('upload-offset')).to.equal(String(data.length));
    const info = await c.api.get(`/files/${res.headers.get('msgr-file-id')}/info`, a.token);
    expect(info.body).to.include({ size: data.length, name: 'file', sha256: sha256(data) });
    expect(info.body.content_type).to.equal('text/plain; charset=utf-8');
  });

  it('when one PATCH brings a whole image then the file knows its hash, type and size, and has a thumbnail', async () => {
    const a = await c.api.newUser('onepatch');
    const data = await pngImage({ width: 300, height: 200 });
    const { headers } = await create(c, a, data.length);
    const done = await patch(c, a, headers.get('location')!, 0, data);
    expect(done.status).to.equal(204);
    const fileId = done.headers.get('msgr-file-id');
    const info = await c.api.get(`/files/${fileId}/info`, a.token);
    expect(info.body).to.deep.include({
      size: data.length,
      sha256: sha256(data),
      content_type: 'image/png',
      image: { width: 300, height: 200 },
    });
    const thumb = await c.api.bytes('GET', `/files/${fileId}/thumbnail`, { token: a.token });
    expect(thumb.status).to.equal(200);
  });

  it('when someone else HEADs, PATCHes or DELETEs an upload then 404 upload_not_found', async () => {
    const [a, b] = await Promise.all([c.api.newUser('mine'), c.api.newUser('thief')]);
    const { headers } = await create(c, a, 10);
    const location = headers.get('location')!;
    expect((await head(c, b, location)).status).to.equal(404);
    const stolen = await patch(c, b, location, 0, Buffer.from('0123456789'));
    expect(stolen.status).to.equal(404);
    expect(JSON.parse(stolen.data.toString())).to.include({ code: 'upload_not_found' });
    expect(stolen.headers.get('content-type')).to.match(/^application\/problem\+json/);
    const del = await c.api.bytes('DELETE', location, { token: b.token, headers: TUS });
    expect(del.status).to.equal(404);
    expect((await head(c, a, location)).headers.get('upload-offset')).to.equal('0');
  });

  it('when a PATCH names the wrong offset then 409 upload_conflict and nothing is written', async () => {
    const a = await c.api.newUser('off');
    const { headers } = await create(c, a, 10);
    const location = headers.get('location')!;
    const res = await patch(c, a, location, 5, Buffer.from('56789'));
    expect(res.status).to.equal(409);
    expect(JSON.parse(res.data.toString())).to.include({ code: 'upload_conflict' });
    expect((await head(c, a, location)).headers.get('upload-offset')).to.equal('0');
  });

  it('when an upload is deleted then it is gone', async () => {
    const a = await c.api.newUser('term');
    const { headers } = await create(c, a, 10);
    const location = headers.get('location')!;
    await patch(c, a, location, 0, Buffer.from('01234'));
    const del = await c.api.bytes('DELETE', location, { token: a.token, headers: TUS });
    expect(del.status).to.equal(204);
    expect((await head(c, a, location)).status).to.equal(404);
  });

  it('when the declared length is over UPLOAD_MAX_BYTES then 413 payload_too_large before any byte', async () => {
    const a = await c.api.newUser('max');
    const res = await create(c, a, 8 * 1024 * 1024 + 1);
    expect(res.status).to.equal(413);
    expect(JSON.parse(res.data.toString())).to.include({ code: 'payload_too_large' });
  });

  it('when a creation is repeated under its Idempotency-Key on another instance then 200 with the same upload; another length 422', async () => {
    const a = await c.api.newUser('ikey');
    const key = { 'idempotency-key': 'tus-1' };
    const first = await create(c, a, 100, key);
    expect(first.status).to.equal(201);
    const again = await create(c, a, 100, key, c.apis[1]);
    expect(again.status).to.equal(200);
    expect(again.headers.get('idempotent-replayed')).to.equal('true');
    expect(again.headers.get('location')).to.equal(first.headers.get('location'));
    expect(again.headers.get('upload-offset')).to.equal('0');
    const other = await create(c, a, 101, key);
    expect(other.status).to.equal(422);
    expect(JSON.parse(other.data.toString())).to.include({ code: 'idempotency_key_conflict' });
  });

  it('when the same creation races on two instances under one key then one upload exists', async () => {
    const a = await c.api.newUser('race');
    const key = { 'idempotency-key': 'race-1' };
    const answers = await Promise.all([0, 1, 0, 1].map((i) => create(c, a, 50, key, c.apis[i])));
    const locations = new Set(answers.map((r) => r.headers.get('location')));
    expect(locations.size).to.equal(1);
    expect(answers.map((r) => r.status).sort()).to.deep.equal([200, 200, 200, 201]);
  });

  it('when no token is sent then 401 problem', async () => {
    const res = await c.api.request('POST', '/uploads', {
      headers: { ...TUS, 'upload-length': '5' },
    });
    expectProblem(res, 401, 'missing_token');
  });

  it('when a tus client asks OPTIONS then the protocol is described without a token', async () => {
    const res = await c.api.bytes('OPTIONS', '/uploads');
    expect(res.status).to.equal(204);
    expect(res.headers.get('tus-version')).to.include('1.0.0');
    expect(res.headers.get('tus-extension')).to.include('creation-with-upload');
    expect(res.headers.get('tus-max-size')).to.equal(String(8 * 1024 * 1024));
  });
});
