/**
 * Hostile files and hostile uploaders (contract v1.3): content that would run in a browser, a
 * decompression bomb, a zip, names built to mislead, an empty file, a lying Content-Length, a
 * client that stalls mid-upload, uploads racing the quota on three instances — and the sweep
 * that leaves no byte behind. The database is read directly to audit what is kept.
 */
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import { until } from './support/fault-cluster.js';
import { startCluster, type Cluster, type Session } from './support/harness.js';
import {
  HOSTILE_FILE_NAMES,
  htmlWithScript,
  pngBomb,
  svgWithScript,
  zipFile,
} from './support/media-fixtures.js';
import { expectProblem } from './support/problem.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** What the database keeps of files, to audit against what was acknowledged. */
async function stored(databaseUrl: string) {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{
      uploads: number;
      files: number;
      blobs: number;
      orphan_chunks: number;
      chunk_bytes: number;
      blob_bytes: number;
    }>(`SELECT
      (SELECT count(*) FROM uploads)::int AS uploads,
      (SELECT count(*) FROM files)::int AS files,
      (SELECT count(*) FROM file_blobs)::int AS blobs,
      (SELECT count(*) FROM file_chunks c
       WHERE NOT EXISTS (SELECT 1 FROM file_blobs b WHERE b.store_key = c.store_key)
         AND NOT EXISTS (SELECT 1 FROM uploads u
                         WHERE c.store_key IN ('up/' || u.id, 'up/' || u.id || '-t')))::int
        AS orphan_chunks,
      (SELECT coalesce(sum(length(data)), 0) FROM file_chunks)::bigint AS chunk_bytes,
      (SELECT coalesce(sum(size), 0) FROM file_blobs)::bigint AS blob_bytes`);
    return rows[0]!;
  } finally {
    await db.end();
  }
}

/** Polls `check` until it holds (or fails after `ms`): for what the leader's sweep does. */
describe('files: hostile content and names', () => {
  let c: Cluster;
  let a: Session;
  before(async () => {
    c = await startCluster({ uploadMaxBytes: 4 * 1024 * 1024 });
    a = await c.api.newUser('hostile');
  });
  after(() => c.close());

  async function download(id: string) {
    return c.api.bytes('GET', `/files/${id}`, { token: a.token });
  }

  it('when HTML or SVG with a script is uploaded then it downloads as a sandboxed attachment, never inline', async () => {
    for (const [data, type] of [
      [htmlWithScript(), 'text/html'],
      [svgWithScript(), 'image/svg+xml'],
    ] as const) {
      const { body: file } = await c.api.upload(data, 'page.png', a.token);
      expect(file.content_type, type).to.equal(type);
      expect(file.image).to.equal(null);
      const got = await download(file.id);
      expect(got.headers.get('content-disposition')).to.match(/^attachment;/);
      expect(got.headers.get('content-security-policy')).to.equal('sandbox');
      expect(got.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(got.data.equals(data)).to.equal(true);
      expectProblem(
        await c.api.get(`/files/${file.id}/thumbnail`, a.token),
        404,
        'thumbnail_unavailable',
      );
    }
  });

  it('when a PNG claims 100,000×100,000 pixels then it is stored as a file, not decoded: no image, no thumbnail, an attachment', async () => {
    const bomb = pngBomb();
    const res = await c.api.upload(bomb, 'bomb.png', a.token);
    expect(res.status).to.equal(201);
    expect(res.body).to.include({ content_type: 'image/png', image: null, size: bomb.length });
    expectProblem(
      await c.api.get(`/files/${res.body.id}/thumbnail`, a.token),
      404,
      'thumbnail_unavailable',
    );
    expect((await download(res.body.id)).headers.get('content-disposition')).to.match(
      /^attachment;/,
    );
  });

  it('when a zip is uploaded then it is application/zip and downloads as an attachment', async () => {
    const { body: file } = await c.api.upload(zipFile(), 'notes.txt', a.token);
    expect(file.content_type).to.equal('application/zip');
    expect((await download(file.id)).headers.get('content-disposition')).to.match(/^attachment;/);
  });

  it('when names carry paths, controls or bidi overrides then they are cleaned, and the download header carries none of it raw', async () => {
    for (const [raw, clean] of HOSTILE_FILE_NAMES) {
      const res = await c.api.upload(Buffer.from('x'), raw, a.token);
      expect(res.status, JSON.stringify(raw)).to.equal(201);
      expect(res.body.name, JSON.stringify(raw)).to.equal(clean);
      const header = (await download(res.body.id)).headers.get('content-disposition')!;
      expect(header).to.match(/^[\x20-\x7e]+$/); // printable ASCII only: no CR/LF, no bidi
      expect(header).to.not.match(/\.\.\//);
    }
  });

  it('when a file is empty then it is a 0-byte file, and any range of it is 416', async () => {
    const res = await c.api.upload(Buffer.alloc(0), 'empty', a.token);
    expect(res.status).to.equal(201);
    expect(res.body).to.include({ size: 0, sha256: sha256(Buffer.alloc(0)) });
    const got = await download(res.body.id);
    expect(got.status).to.equal(200);
    expect(got.headers.get('content-length')).to.equal('0');
    const ranged = await c.api.bytes('GET', `/files/${res.body.id}`, {
      token: a.token,
      headers: { range: 'bytes=0-0' },
    });
    expect(ranged.status).to.equal(416);
  });

  it('when a body is shorter than its Content-Length and the connection closes then nothing is kept', async () => {
    const b = await c.api.newUser('liar');
    const before = await stored(c.databaseUrl);
    const { hostname, port } = new URL(c.api.baseUrl);
    const socket = net.connect(Number(port), hostname);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST /files?name=lie.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${b.token}\r\n` +
        `Content-Type: application/octet-stream\r\nContent-Length: 3000000\r\n\r\n`,
    );
    await new Promise<void>((resolve) => socket.write(randomBytes(1_500_000), () => resolve()));
    socket.destroy(); // the rest never comes
    await until('the short upload leaving nothing', async () => {
      const now = await stored(c.databaseUrl);
      return now.uploads === before.uploads && now.chunk_bytes === before.chunk_bytes;
    });
    const config = await c.api.get('/files/config', b.token);
    expect(config.body.used_bytes).to.equal(0);
    expect((await c.api.get('/healthz')).status).to.equal(200);
  });

  it('when a body over UPLOAD_MAX_BYTES is declared then 413 at once; when it is chunked then 413 once past it, and nothing is kept', async () => {
    const b = await c.api.newUser('big');
    const declared = await c.api.upload(randomBytes(4 * 1024 * 1024 + 1), 'big.bin', b.token);
    expectProblem(declared, 413, 'payload_too_large');
    const before = await stored(c.databaseUrl);
    const { hostname, port } = new URL(c.api.baseUrl);
    const socket = net.connect(Number(port), hostname);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('error', () => undefined); // the server may close while we still write
    socket.write(
      `POST /files?name=big.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${b.token}\r\n` +
        `Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n`,
    );
    const chunk = randomBytes(256 * 1024);
    for (let i = 0; i < 24 && !socket.destroyed && !answer; i++) {
      await new Promise<void>((resolve) =>
        socket.write(`${chunk.length.toString(16)}\r\n`) && socket.write(chunk)
          ? socket.write('\r\n', () => resolve())
          : socket.once('drain', () => socket.write('\r\n', () => resolve())),
      );
    }
    await until(
      'the server answering or closing',
      () => answer.includes('\r\n\r\n') || socket.destroyed,
    );
    expect(answer).to.match(/^HTTP\/1\.1 413 /);
    expect(answer).to.include('payload_too_large');
    socket.destroy();
    await until('the refused upload leaving nothing', async () => {
      const now = await stored(c.databaseUrl);
      return now.uploads === before.uploads && now.chunk_bytes === before.chunk_bytes;
    });
  });

  it('when two people upload the same bytes then the bytes are kept once', async () => {
    const b = await c.api.newUser('same');
    const data = randomBytes(200_000);
    const before = await stored(c.databaseUrl);
    const one = await c.api.upload(data, 'one.bin', a.token);
    const two = await c.api.upload(data, 'two.bin', b.token);
    expect(one.body.id).to.not.equal(two.body.id);
    expect(one.body.sha256).to.equal(two.body.sha256);
    const after = await stored(c.databaseUrl);
    expect(after.files - before.files).to.equal(2);
    expect(after.blobs - before.blobs).to.equal(1);
    expect(after.chunk_bytes - before.chunk_bytes).to.equal(data.length);
    expect(after.orphan_chunks).to.equal(0);
  });
});

describe('files: uploads racing the quota on three instances', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ instances: 3, uploadQuotaBytes: 1_000_000 });
  });
  after(() => c.close());

  it('when three uploads that fit alone but not together race then exactly one is kept', async () => {
    const a = await c.api.newUser('racer');
    const answers = await Promise.all(
      c.apis.map((api, i) => api.upload(randomBytes(600_000), `r${i}.bin`, a.token)),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).to.deep.equal([201, 413, 413]);
    for (const r of answers.filter((r) => r.status === 413))
      expectProblem(r, 413, 'quota_exceeded');
    const config = await c.api.get('/files/config', a.token);
    expect(config.body.used_bytes).to.equal(600_000);
    const kept = await stored(c.databaseUrl);
    expect(kept.uploads).to.equal(1); // the one that became a file (answers HEAD for a while)
    expect(kept.chunk_bytes).to.equal(600_000);
  });
});

describe('files: the sweep', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({
      uploadExpirySeconds: 1,
      uploadOrphanSeconds: 1,
      fileSweepIntervalMs: 100,
    });
  });
  after(() => c.close());

  it('when a client stalls mid-upload then the upload expires and its bytes go', async () => {
    const a = await c.api.newUser('staller');
    const created = await c.api.bytes('POST', '/uploads', {
      token: a.token,
      headers: { 'tus-resumable': '1.0.0', 'upload-length': '1000000' },
    });
    const location = created.headers.get('location')!;
    const patched = await c.api.bytes('PATCH', location, {
      token: a.token,
      headers: {
        'tus-resumable': '1.0.0',
        'content-type': 'application/offset+octet-stream',
        'upload-offset': '0',
      },
      body: randomBytes(400_000),
    });
    expect(patched.status).to.equal(204);
    await until(
      'the stalled upload expiring',
      async () => (await stored(c.databaseUrl)).uploads === 0,
    );
    const head = await c.api.bytes('HEAD', location, {
      token: a.token,
      headers: { 'tus-resumable': '1.0.0' },
    });
    expect(head.status).to.be.oneOf([404, 410]);
    const kept = await stored(c.databaseUrl);
    expect(kept.chunk_bytes).to.equal(kept.blob_bytes);
    expect(kept.orphan_chunks).to.equal(0);
  });

  it('when a file is attached to nothing past UPLOAD_ORPHAN_SECONDS then it and its bytes go; an attached one stays', async () => {
    const [a, b] = await Promise.all([c.api.newUser('orphan'), c.api.newUser('orphanb')]);
    const { body: lonely } = await c.api.upload(randomBytes(50_000), 'lonely.bin', a.token);
    const { body: kept } = await c.api.upload(randomBytes(60_000), 'kept.bin', a.token);
    const sent = await c.api.post(
      `/messages/user/${b.userId}`,
      { attachments: [kept.id], operation_id: 1 },
      a.token,
    );
    expect(sent.status).to.equal(201);
    await until(
      'the lonely file being swept',
      async () => (await c.api.get(`/files/${lonely.id}/info`, a.token)).status === 404,
    );
    await until('one file, one blob and its bytes left', async () => {
      const now = await stored(c.databaseUrl);
      return now.files === 1 && now.blobs === 1 && now.chunk_bytes === 60_000;
    });
    const got = await c.api.bytes('GET', `/files/${kept.id}`, { token: b.token });
    expect(sha256(got.data)).to.equal(kept.sha256);
  });
});

describe('files: RATE_LIMIT_UPLOADS_PER_MINUTE=2', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ instances: 2, rateLimitUploadsPerMinute: 2 });
  });
  after(() => c.close());

  it('when a user starts a third upload within the minute on another instance then 429 rate_limited with Retry-After, one-request or tus alike', async () => {
    const [a, b] = await Promise.all([c.api.newUser('rl'), c.api.newUser('rlb')]);
    expect((await c.apis[0]!.upload(Buffer.from('1'), '1', a.token)).status).to.equal(201);
    const tus = await c.apis[1]!.bytes('POST', '/uploads', {
      token: a.token,
      headers: { 'tus-resumable': '1.0.0', 'upload-length': '1' },
    });
    expect(tus.status).to.equal(201);
    const third = await c.apis[1]!.upload(Buffer.from('3'), '3', a.token);
    expectProblem(third, 429, 'rate_limited');
    expect(Number(third.headers.get('retry-after'))).to.be.above(0);
    const tusThird = await c.apis[0]!.bytes('POST', '/uploads', {
      token: a.token,
      headers: { 'tus-resumable': '1.0.0', 'upload-length': '1' },
    });
    expect(tusThird.status).to.equal(429);
    expect((await c.api.upload(Buffer.from('b'), 'b', b.token)).status).to.equal(201);
  });
});
