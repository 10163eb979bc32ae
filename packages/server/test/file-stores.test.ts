/**
 * The byte stores behind FILE_STORE (storage/fs-store.ts, storage/s3-store.ts): the conformance
 * suite (support/store-conformance.ts) against each, then what is particular to each — the fs
 * store's paths and folders, the S3 store's part objects, listing pages and plain requests.
 * The S3 store runs against s3rver on loopback (support/s3-server.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fsp from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { migrate, openDatabase } from '../src/db/database.js';
import { FsStore } from '../src/storage/fs-store.js';
import { copyToRows } from '../src/db/copy-binary.js';
import { PostgresStore } from '../src/storage/postgres-store.js';
import { freshDatabase } from './support/harness.js';
import { S3Store, type S3StoreOptions } from '../src/storage/s3-store.js';
import { s3ServerUnavailable, startS3Server, type S3Server } from './support/s3-server.js';
import { readAll, sourceOf, storeConformance } from './support/store-conformance.js';

const KIB = 1024;

async function tempFolder(): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), 'msgr-fs-store-'));
}

/** Every file and folder under `root`, relative, sorted. */
async function tree(root: string): Promise<string[]> {
  const entries = await fsp.readdir(root, { recursive: true });
  return entries.map(String).sort();
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  expect.fail('the call resolved');
}

const BAD_KEYS = [
  '',
  '../escape',
  'a/../../etc',
  'a/./b',
  '/abs',
  'a//b',
  'a/',
  'sp ace',
  'x'.repeat(129),
];

storeConformance(
  'postgres',
  async () => {
    const db = openDatabase(await freshDatabase(), { poolMax: 3 });
    await migrate(db);
    return { store: new PostgresStore(db), cleanup: () => db.close() };
  },
  { missingReadsEmpty: true },
);

storeConformance('fs', async () => {
  const folder = await tempFolder();
  return {
    store: new FsStore(path.join(folder, 'files')),
    cleanup: () => fsp.rm(folder, { recursive: true, force: true }),
  };
});

describe('postgres store: binary COPY', function () {
  let db: ReturnType<typeof openDatabase>;

  before(async function () {
    db = openDatabase(await freshDatabase(), { poolMax: 2 });
    await migrate(db);
  });

  after(async function () {
    await db.close();
  });

  it('when a COPY brings text, int8, bytea and NULL then each field comes out byte for byte', async function () {
    const out = copyToRows(
      await db.copyOut(
        `COPY (SELECT 'ü-key'::text, (2^40)::int8, decode(repeat('00ff7f', 100000), 'hex'), NULL::bytea
          UNION ALL SELECT '', 0, ''::bytea, ''::bytea) TO STDOUT (FORMAT binary)`,
      ),
    );
    expect(out).to.have.length(2);
    expect(out[0]![0]!.toString('utf8')).to.equal('ü-key');
    expect(Number(out[0]![1]!.readBigInt64BE())).to.equal(2 ** 40);
    expect(out[0]![2]!.equals(Buffer.from('00ff7f'.repeat(100_000), 'hex'))).to.equal(true);
    expect(out[0]![3]).to.equal(null);
    expect(out[1]!.map((field) => field?.length)).to.deep.equal([0, 8, 0, 0]);
  });

  it('when a COPY stream is cut short or is not binary COPY then decoding refuses it', async function () {
    const whole = await db.copyOut(
      `COPY (SELECT '\\x0102030405'::bytea) TO STDOUT (FORMAT binary)`,
    );
    expect(copyToRows(whole)[0]![0]).to.deep.equal(Buffer.from([1, 2, 3, 4, 5]));
    expect(() => copyToRows(whole.subarray(0, whole.length - 5))).to.throw();
    expect(() => copyToRows(Buffer.from('1\t2\n'))).to.throw(/not a binary COPY/);
  });
});

describe('fs store', function () {
  let folder: string;
  let root: string;
  let store: FsStore;

  beforeEach(async function () {
    folder = await tempFolder();
    root = path.join(folder, 'deep', 'files');
    store = new FsStore(root);
    await store.open();
  });

  afterEach(async function () {
    await store.close();
    await fsp.rm(folder, { recursive: true, force: true });
  });

  it('when the folder is relative then the store refuses it', function () {
    expect(() => new FsStore('files')).to.throw(/absolute/);
  });

  it('when opened then the folder and its parents exist', async function () {
    expect((await fsp.stat(root)).isDirectory()).to.be.true;
  });

  it('when a key is not one the server makes then every call refuses it and nothing is written', async function () {
    for (const key of BAD_KEYS) {
      const error = await rejection(store.append(key, 0, sourceOf(randomBytes(10))));
      expect(error, key)
        .to.be.instanceOf(Error)
        .with.property('message')
        .that.match(/invalid/);
      await rejection(store.size(key));
      await rejection(store.delete(key));
      expect(() => store.read(key), key).to.throw(/invalid/);
    }
    expect(await tree(folder)).to.deep.equal(['deep', 'deep/files']);
  });

  it('when keys have folders then the files lie under the store folder', async function () {
    await store.append('ab/cd/file', 0, sourceOf(randomBytes(10)));
    expect(await tree(root)).to.deep.equal(['ab', 'ab/cd', 'ab/cd/file.bin']);
    expect((await fsp.stat(path.join(root, 'ab/cd/file.bin'))).size).to.equal(10);
  });

  it('when the last key of a folder is deleted then the emptied folders go, the store folder stays', async function () {
    await store.append('ab/cd/one', 0, sourceOf(randomBytes(10)));
    await store.append('ab/cd/two', 0, sourceOf(randomBytes(10)));
    await store.append('ab/three', 0, sourceOf(randomBytes(10)));

    await store.delete('ab/cd/one');
    expect(await tree(root)).to.deep.equal(['ab', 'ab/cd', 'ab/cd/two.bin', 'ab/three.bin']);
    await store.delete('ab/cd/two');
    expect(await tree(root)).to.deep.equal(['ab', 'ab/three.bin']);
    await store.delete('ab/three');
    expect(await tree(root)).to.deep.equal([]);

    await store.append('ab/cd/again', 0, sourceOf(randomBytes(3)));
    expect(await store.size('ab/cd/again')).to.equal(3);
  });

  it('when two stores share the folder then each sees what the other wrote', async function () {
    const other = new FsStore(root);
    await other.open();
    const bytes = randomBytes(1000);
    await store.append('shared', 0, sourceOf(bytes.subarray(0, 400)));
    expect(await other.append('shared', 400, sourceOf(bytes.subarray(400)))).to.equal(1000);
    expect((await readAll(store.read('shared'))).equals(bytes)).to.be.true;
  });
});

/**
 * An HTTP relay in front of `target` that records the method, URL and headers of each request;
 * with `pageKeys`, listings answer at most that many keys a page, as S3 may; with `holdHeads`,
 * the first HEAD requests wait until that many have come, then all go on at once.
 */
async function recordingProxy(
  target: string,
  { pageKeys, holdHeads = 0 }: { pageKeys?: number; holdHeads?: number } = {},
) {
  const seen: {
    method: string;
    url: string;
    headers: http.IncomingHttpHeaders;
    body: Buffer[];
  }[] = [];
  const held: (() => void)[] = [];
  let heads = 0;
  const { hostname, port } = new URL(target);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', target);
    if (pageKeys && url.searchParams.get('list-type') === '2') {
      url.searchParams.set('max-keys', String(pageKeys));
    }
    const body: Buffer[] = [];
    if (req.method === 'POST') req.on('data', (chunk: Buffer) => body.push(chunk));
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    const relay = () => {
      const forward = http.request(
        {
          hostname,
          port,
          method: req.method,
          path: url.pathname + url.search,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      req.pipe(forward);
    };
    if (req.method === 'HEAD' && ++heads <= holdHeads) {
      held.push(relay);
      if (held.length === holdHeads) for (const go of held.splice(0)) go();
      return;
    }
    relay();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    seen,
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await closed;
    },
  };
}

describe('s3 store: a bucket name another account owns', function () {
  it('when the bucket is created meanwhile but not reachable then open refuses it', async function () {
    // A stand-in for AWS: the name is free at first look, then taken by someone else.
    const asked: string[] = [];
    const server = http.createServer((req, res) => {
      asked.push(req.method ?? '');
      if (req.method === 'PUT') {
        res.writeHead(409, { 'content-type': 'application/xml' });
        res.end('<Error><Code>BucketAlreadyExists</Code><Message>taken</Message></Error>');
      } else {
        res.writeHead(asked.length === 1 ? 404 : 403).end();
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const store = new S3Store({
      bucket: 'taken',
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      accessKeyId: 'key',
      secretAccessKey: 'secret',
      forcePathStyle: true,
    });
    try {
      const error = await store.open().then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.name).to.equal('BucketAlreadyExists');
      expect(asked).to.deep.equal(['HEAD', 'PUT', 'HEAD']);
    } finally {
      await store.close();
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('s3 store', function () {
  let s3: S3Server | undefined;
  let buckets = 0;

  before(async function () {
    const reason = s3ServerUnavailable();
    if (reason) {
      console.log(`      skipped: ${reason}`);
      this.skip();
    }
    s3 = await startS3Server();
  });

  after(async function () {
    await s3?.stop();
  });

  /** Options for a store on a bucket no test used yet (the store's `open` creates it). */
  function options(more: Partial<S3StoreOptions> = {}): S3StoreOptions {
    if (!s3) throw new Error('no S3 server');
    const { endpoint, region, accessKeyId, secretAccessKey } = s3;
    const bucket = `msgr-test-${++buckets}`;
    return {
      bucket,
      endpoint,
      region,
      accessKeyId,
      secretAccessKey,
      forcePathStyle: true,
      ...more,
    };
  }

  function rawClient(): S3Client {
    if (!s3) throw new Error('no S3 server');
    const { endpoint, region, accessKeyId, secretAccessKey } = s3;
    return new S3Client({
      endpoint,
      region,
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey },
    });
  }

  // Buckets are left to the server's folder, which stop() deletes.
  const noCleanup = () => Promise.resolve();
  storeConformance('s3 (8 MiB parts)', () =>
    Promise.resolve({ store: new S3Store(options()), cleanup: noCleanup }),
  );
  // Small parts: every append splits into several, so reads cross parts inside one append.
  storeConformance('s3 (64 KiB parts)', () =>
    Promise.resolve({ store: new S3Store(options({ partBytes: 64 * KIB })), cleanup: noCleanup }),
  );

  describe('s3 store: part objects', function () {
    let store: S3Store | undefined;

    afterEach(async function () {
      await store?.close();
      store = undefined;
    });

    it('when an append is larger than a part then it is stored as parts named by their offsets', async function () {
      const opts = options({ partBytes: 100 * KIB });
      store = new S3Store(opts);
      await store.open();
      await store.append('big/one', 0, sourceOf(randomBytes(250 * KIB)));
      await store.append('big/one', 250 * KIB, sourceOf(randomBytes(10)));

      const client = rawClient();
      try {
        const listed = await client.send(new ListObjectsV2Command({ Bucket: opts.bucket }));
        const parts = (listed.Contents ?? []).map((o) => [o.Key, o.Size]);
        expect(parts).to.deep.equal([
          ['big/one/000000000000000', 100 * KIB],
          ['big/one/000000000102400', 100 * KIB],
          ['big/one/000000000204800', 50 * KIB],
          ['big/one/000000000256000', 10],
        ]);
      } finally {
        client.destroy();
      }
    });

    it('when a key has more parts than one listing page then size, read and delete see them all', async function () {
      if (!s3) throw new Error('no S3 server');
      const proxy = await recordingProxy(s3.endpoint, { pageKeys: 3 });
      try {
        store = new S3Store(options({ endpoint: proxy.endpoint, partBytes: 100 }));
        await store.open();
        const bytes = randomBytes(20 * 100 + 42);
        await store.append('many', 0, sourceOf(bytes, 512));
        await store.append('many/nested', 0, sourceOf(randomBytes(1000)));

        expect(await store.size('many')).to.equal(bytes.length);
        expect((await readAll(store.read('many'))).equals(bytes)).to.be.true;
        const range = await readAll(store.read('many', { start: 250, end: 1849 }));
        expect(range.equals(bytes.subarray(250, 1850))).to.be.true;
        const pages = proxy.seen.filter((r) => r.url.includes('continuation-token='));
        expect(pages.length, 'listing pages after the first').to.be.at.least(3 * 6);

        await store.delete('many');
        expect(await store.size('many')).to.equal(0);
        expect(await store.size('many/nested')).to.equal(1000);
      } finally {
        await store?.close();
        store = undefined;
        await proxy.close();
      }
    });

    it('when the bucket is missing then open creates it, and another store on it sees the same objects', async function () {
      const opts = options();
      store = new S3Store(opts);
      await store.open();
      await store.append('shared', 0, sourceOf(Buffer.from('hello ')));

      const other = new S3Store(opts);
      try {
        await other.open(); // the bucket exists now: left as it is
        expect(await other.append('shared', 6, sourceOf(Buffer.from('world')))).to.equal(11);
        expect((await readAll(store.read('shared'))).toString()).to.equal('hello world');
      } finally {
        await other.close();
      }
    });

    it('when instances open a missing bucket at the same moment then every one opens it, and they share it', async function () {
      if (!s3) throw new Error('no S3 server');
      const opts = options();
      const proxy = await recordingProxy(s3.endpoint, { holdHeads: 4 });
      const stores = Array.from(
        { length: 4 },
        () => new S3Store({ ...opts, endpoint: proxy.endpoint }),
      );
      try {
        // Every HeadBucket is held until all four came: each finds the bucket missing.
        await Promise.all(stores.map((s) => s.open()));
        const creates = proxy.seen.filter(
          (r) => r.method === 'PUT' && r.url === `/${opts.bucket}/`,
        );
        expect(creates, 'CreateBucket requests').to.have.length(4);
        const [first, , , last] = stores as [S3Store, S3Store, S3Store, S3Store];
        await first.append('raced', 0, sourceOf(Buffer.from('one')));
        expect(await last.size('raced')).to.equal(3);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
        await proxy.close();
      }
    });

    it('when a key is not one the server makes then every call refuses it', async function () {
      store = new S3Store(options());
      await store.open();
      for (const key of BAD_KEYS) {
        await rejection(store.append(key, 0, sourceOf(randomBytes(10))));
        await rejection(store.size(key));
        await rejection(store.delete(key));
        expect(() => store?.read(key), key).to.throw(/invalid/);
      }
    });

    it('when the store talks to S3 then its requests are plain: no aws-chunked bodies, Content-MD5 on DeleteObjects', async function () {
      if (!s3) throw new Error('no S3 server');
      const proxy = await recordingProxy(s3.endpoint);
      try {
        store = new S3Store(options({ endpoint: proxy.endpoint, partBytes: 64 * KIB }));
        await store.open();
        await store.append('plain', 0, sourceOf(randomBytes(100 * KIB)));
        await readAll(store.read('plain', { start: 10, end: 70 * KIB }));
        await store.delete('plain');

        const methods = proxy.seen.map((r) => r.method);
        expect(methods).to.include.members(['HEAD', 'PUT', 'GET', 'POST']);
        for (const { method, url, headers } of proxy.seen) {
          const what = `${method} ${url}`;
          expect(headers['content-encoding'] ?? '', what).not.to.contain('aws-chunked');
          expect(headers['x-amz-content-sha256'] ?? '', what).not.to.match(/^STREAMING-/);
          expect(headers['x-amz-trailer'], what).to.be.undefined;
          expect(headers['transfer-encoding'], what).to.be.undefined;
        }
        const deletes = proxy.seen.filter((r) => r.method === 'POST' && /[?&]delete/.test(r.url));
        expect(deletes).to.have.length(1);
        const md5 = createHash('md5').update(Buffer.concat(deletes[0]!.body)).digest('base64');
        expect(deletes[0]!.headers['content-md5']).to.equal(md5);
        expect(Object.keys(deletes[0]!.headers).filter((h) => h.startsWith('x-amz-checksum-'))).to
          .be.empty;
      } finally {
        await store?.close();
        store = undefined;
        await proxy.close();
      }
    });
  });
});
