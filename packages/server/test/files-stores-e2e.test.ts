/**
 * The file routes on each store behind FILE_STORE (contract v1.3): two instances sharing an
 * `fs:` folder, then an S3 bucket (s3rver on loopback), upload on one and read on the other,
 * ranges, a tus upload cut and resumed across instances, thumbnails, and the sweep leaving the
 * store empty. (The postgres store, the default, runs every other files test.)
 */
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { FileStoreChoice } from '../src/config.js';
import { until } from './support/fault-cluster.js';
import { startCluster, type Cluster } from './support/harness.js';
import { startS3Server, type S3Server } from './support/s3-server.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const TUS = { 'tus-resumable': '1.0.0' };

function storeSuite(
  name: string,
  setUp: () => Promise<{
    store: FileStoreChoice;
    isEmpty: () => Promise<boolean>;
    tearDown: () => Promise<void>;
  }>,
): void {
  describe(`files on the ${name} store, two instances`, function () {
    this.timeout(60_000);
    let c: Cluster;
    let isEmpty: () => Promise<boolean>;
    let tearDown: () => Promise<void>;
    before(async () => {
      const made = await setUp();
      isEmpty = made.isEmpty;
      tearDown = made.tearDown;
      c = await startCluster({
        instances: 2,
        fileStore: made.store,
        uploadOrphanSeconds: 1,
        fileSweepIntervalMs: 100,
      });
    });
    after(async () => {
      await c?.close();
      await tearDown?.();
    });

    it('when a file is uploaded on one instance then the other serves its bytes, ranges and thumbnail; tus resumes across them; the sweep empties the store', async () => {
      const a = await c.api.newUser(`${name}-a`);
      const data = randomBytes(3 * 1024 * 1024 + 17);
      const up = await c.apis[0]!.upload(data, 'big.bin', a.token);
      expect(up.status).to.equal(201);
      const whole = await c.apis[1]!.bytes('GET', `/files/${up.body.id}`, { token: a.token });
      expect(sha256(whole.data)).to.equal(sha256(data));
      const part = await c.apis[1]!.bytes('GET', `/files/${up.body.id}`, {
        token: a.token,
        headers: { range: 'bytes=1000000-2100000' },
      });
      expect(part.status).to.equal(206);
      expect(part.data.equals(data.subarray(1_000_000, 2_100_001))).to.equal(true);

      const png = await sharp({
        create: { width: 640, height: 480, channels: 3, background: '#884422' },
      })
        .png()
        .toBuffer();
      const image = await c.apis[1]!.upload(png, 'p.png', a.token);
      const thumb = await c.apis[0]!.bytes('GET', `/files/${image.body.id}/thumbnail`, {
        token: a.token,
      });
      expect(thumb.status).to.equal(200);
      expect((await sharp(thumb.data).metadata()).width).to.equal(320);

      const tusData = randomBytes(2 * 1024 * 1024);
      const created = await c.apis[0]!.bytes('POST', '/uploads', {
        token: a.token,
        headers: { ...TUS, 'upload-length': String(tusData.length) },
      });
      const location = created.headers.get('location')!;
      const first = await c.apis[0]!.bytes('PATCH', location, {
        token: a.token,
        headers: {
          ...TUS,
          'content-type': 'application/offset+octet-stream',
          'upload-offset': '0',
        },
        body: tusData.subarray(0, 1_200_000),
      });
      expect(first.status).to.equal(204);
      const at = (
        await c.apis[1]!.bytes('HEAD', location, { token: a.token, headers: TUS })
      ).headers.get('upload-offset');
      expect(at).to.equal('1200000');
      const last = await c.apis[1]!.bytes('PATCH', location, {
        token: a.token,
        headers: {
          ...TUS,
          'content-type': 'application/offset+octet-stream',
          'upload-offset': '1200000',
        },
        body: tusData.subarray(1_200_000),
      });
      expect(last.status).to.equal(204);
      const tusFile = last.headers.get('msgr-file-id')!;
      const back = await c.apis[0]!.bytes('GET', `/files/${tusFile}`, { token: a.token });
      expect(sha256(back.data)).to.equal(sha256(tusData));

      // Attached to nothing: past UPLOAD_ORPHAN_SECONDS every file goes, and then every byte.
      await until(
        'the orphaned file being swept',
        async () => (await c.api.get(`/files/${up.body.id}/info`, a.token)).status === 404,
      );
      await until('no file and no blob left', async () => {
        const { rows } = await c.servers[0]!.services.db.knex.raw(
          `SELECT (SELECT count(*) FROM files)::int AS files, (SELECT count(*) FROM file_blobs)::int AS blobs`,
        );
        return rows[0].files === 0 && rows[0].blobs === 0;
      });
      // Finished uploads keep their row (and no bytes of their own) until they expire.
      await c.servers[0]!.services.db.knex.raw(`UPDATE uploads SET expires_at = now()`);
      await until('the store being empty', isEmpty);
    });
  });
}

storeSuite('fs', async () => {
  const folder = await fsp.mkdtemp(path.join(os.tmpdir(), 'msgr-fs-e2e-'));
  const files = async (dir: string): Promise<string[]> => {
    const entries = await fsp.readdir(dir, { withFileTypes: true, recursive: true });
    return entries.filter((e) => e.isFile()).map((e) => e.name);
  };
  return {
    store: { kind: 'fs', folder },
    isEmpty: async () => (await files(folder)).length === 0,
    tearDown: () => fsp.rm(folder, { recursive: true, force: true }),
  };
});

storeSuite('s3', async () => {
  const server: S3Server = await startS3Server();
  const store: FileStoreChoice = {
    kind: 's3',
    bucket: 'msgr-e2e',
    endpoint: server.endpoint,
    region: server.region,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    forcePathStyle: true,
  };
  const { S3Client, ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const client = new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
  return {
    store,
    isEmpty: async () =>
      ((await client.send(new ListObjectsV2Command({ Bucket: 'msgr-e2e' }))).KeyCount ?? 0) === 0,
    tearDown: async () => {
      client.destroy();
      await server.stop();
    },
  };
});
