/**
 * v1.3 files in the SDK, against a real server process: uploads of every kind of source (tus,
 * resumable) and downloads back, ranges, thumbnails, attachments, the typed refusals, an upload
 * cut midway that resumes, and failover past a host that is down.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import { pngImage } from '../../server/test/support/media-fixtures.js';
import { startServerProcesses, type ServerProcesses } from '../../server/test/support/processes.js';
import { MemoryTokenStore, MessengerClient, type Download, type FileObject } from '../src/index.js';
import { cuttingProxy } from './support/cutting-proxy.js';
import { failure } from './support/http-fixtures.js';

const MiB = 1024 * 1024;
const MAX_BYTES = 8 * MiB;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function randomBytes(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let at = 0; at < size; at += 65_536) {
    globalThis.crypto.getRandomValues(bytes.subarray(at, Math.min(at + 65_536, size)));
  }
  return bytes;
}

async function bytesOf(download: Download): Promise<Buffer> {
  return Buffer.from(await new Response(download.body).arrayBuffer());
}

/** A stream of `bytes` in 64 KiB chunks, as a file or a socket would give them. */
function streamOf(bytes: Buffer): Readable {
  return Readable.from(
    (function* () {
      for (let at = 0; at < bytes.length; at += 65_536) yield bytes.subarray(at, at + 65_536);
    })(),
  );
}

/**
 * A host that is down (it resets every connection) or hangs (it accepts connections and never
 * answers), counting the connections.
 */
async function badHost(
  how: 'down' | 'hanging',
): Promise<{ url: string; hits: () => number; close(): Promise<void> }> {
  let hits = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    hits++;
    socket.on('error', () => undefined);
    if (how === 'down') socket.resetAndDestroy();
    else sockets.add(socket.on('close', () => sockets.delete(socket)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('@msgr/sdk files (v1.3) against a real server', function () {
  this.timeout(30_000);
  let servers: ServerProcesses;
  let tmp: string;
  let stamp = 0;
  const data = randomBytes(3 * MiB + 123);

  before(async () => {
    servers = await startServerProcesses(1, { UPLOAD_MAX_BYTES: String(MAX_BYTES) });
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'msgr-sdk-files-'));
  });
  after(async () => {
    await servers?.close();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  /** A new user, logged in on `hosts` (default: the server). */
  async function person(name: string, hosts = servers.urls, tokenStore = new MemoryTokenStore()) {
    const email = `${name}-${Date.now()}-${++stamp}@example.com`;
    const user = await new MessengerClient({ hosts: servers.urls }).register({
      email,
      name,
      password: 'password123',
    });
    const client = new MessengerClient({ hosts, tokenStore, retry: { baseDelayMs: 20 } });
    await new MessengerClient({ hosts: servers.urls, tokenStore }).login({
      email,
      password: 'password123',
      clientId: 'files',
    });
    return { user, client, tokenStore };
  }

  async function expectSameBytes(client: MessengerClient, file: FileObject, bytes: Buffer) {
    expect(file.size).to.equal(bytes.length);
    expect(file.sha256).to.equal(sha256(bytes));
    const download = await client.download(file.id);
    expect(download.status).to.equal(200);
    expect(download.size).to.equal(bytes.length);
    expect(download.totalSize).to.equal(bytes.length);
    expect(download.sha256).to.equal(file.sha256);
    expect(sha256(await bytesOf(download))).to.equal(file.sha256);
  }

  it('when a Buffer is uploaded then onProgress reaches the total and the download gives it back', async () => {
    const { user, client } = await person('buffer');
    const progress: [number, number][] = [];
    const file = await client.upload(data, {
      name: 'data.bin',
      onProgress: (sent, total) => progress.push([sent, total]),
    });
    expect(file).to.include({ name: 'data.bin', uploader_id: user.id, image: null });
    expect(progress.at(-1)).to.deep.equal([data.length, data.length]);
    expect(progress.every(([, total]) => total === data.length)).to.equal(true);
    await expectSameBytes(client, file, data);
    const download = await client.download(file.id);
    await download.body.cancel();
    expect(download.name).to.equal('data.bin');
    expect(download.contentType).to.equal('application/octet-stream');

    // The same upload under the same key (a process that restarted) is the same file.
    const once = await client.upload(data.subarray(0, 1000), { idempotencyKey: 'k-1' });
    const again = await client.upload(data.subarray(0, 1000), { idempotencyKey: 'k-1' });
    expect(again).to.deep.equal(once);
  });

  it('when a path, a File and a stream are uploaded then each comes back whole, named', async () => {
    const { client } = await person('sources');
    const file = path.join(tmp, 'report é.bin');
    await fs.writeFile(file, data);
    const fromPath = await client.upload(file);
    expect(fromPath.name).to.equal('report é.bin');
    await expectSameBytes(client, fromPath, data);
    expect((await client.download(fromPath.id)).name).to.equal('report é.bin');

    const fromBlob = await client.upload(
      new File([new Uint8Array(data.subarray(0, MiB))], 'notes.txt'),
    );
    expect(fromBlob.name).to.equal('notes.txt');
    await expectSameBytes(client, fromBlob, data.subarray(0, MiB));

    const fromStream = await client.upload(streamOf(data), {
      size: data.length,
      chunkSize: MiB,
    });
    expect(fromStream.name).to.equal('file');
    await expectSameBytes(client, fromStream, data);

    const empty = await client.upload(new Uint8Array(0), { name: 'empty' });
    expect(empty).to.include({ name: 'empty', size: 0 });
  });

  it('when a stream has no size, or fewer bytes than it says, then invalid_argument / source_error', async () => {
    const { client } = await person('streams');
    const noSize = await failure(client.upload(streamOf(data)));
    expect(noSize.code).to.equal('invalid_argument');
    expect(noSize.detail).to.match(/options\.size/);
    const short = await failure(client.upload(streamOf(data.subarray(0, 1000)), { size: 2000 }));
    expect(short.code).to.equal('source_error');
    const missing = await failure(client.upload(path.join(tmp, 'no-such-file')));
    expect(missing.code).to.equal('invalid_argument');
  });

  it('when a range is asked then 206 with those bytes; past the end then range_not_satisfiable', async () => {
    const { client } = await person('ranges');
    const file = await client.upload(data);
    const middle = await client.download(file.id, { start: 100, end: 199 });
    expect(middle).to.include({ status: 206, size: 100, totalSize: data.length });
    expect(middle.sha256).to.equal(file.sha256);
    expect((await bytesOf(middle)).equals(data.subarray(100, 200))).to.equal(true);
    const tail = await client.download(file.id, { start: data.length - 10 });
    expect(tail).to.include({ status: 206, size: 10, totalSize: data.length });
    expect((await bytesOf(tail)).equals(data.subarray(-10))).to.equal(true);
    const past = await failure(client.download(file.id, { start: data.length + 5 }));
    expect(past).to.include({ status: 416, code: 'range_not_satisfiable' });
    const backwards = await failure(client.download(file.id, { start: 10, end: 5 }));
    expect(backwards.code).to.equal('invalid_argument');
  });

  it('when a file is attached to a send then the message and the history carry it, and the peer reads it', async () => {
    const alice = await person('alice');
    const bob = await person('bob');
    const image = await pngImage({ width: 640, height: 480 });
    const file = await alice.client.upload(image, { name: 'chart.png', contentType: 'image/png' });
    expect(file).to.include({ content_type: 'image/png' });
    expect(file.image).to.deep.equal({ width: 640, height: 480 });

    const { message } = await alice.client.send({ userId: bob.user.id }, '', {
      attachments: [file.id],
    });
    expect(message.text).to.equal('');
    expect(message.attachments).to.deep.equal([file]);
    const [seen] = await bob.client.history(message.chat_id);
    expect(seen!.attachments).to.deep.equal([file]);

    expect(await bob.client.fileInfo(file.id)).to.deep.equal(file);
    await expectSameBytes(bob.client, file, image);
    const thumbnail = await bob.client.thumbnail(file.id);
    expect(thumbnail).to.be.instanceOf(Uint8Array);
    expect(thumbnail.length).to.be.greaterThan(0).and.lessThan(image.length);
    const isPng = thumbnail[0] === 0x89 && thumbnail[1] === 0x50;
    const isJpeg = thumbnail[0] === 0xff && thumbnail[1] === 0xd8;
    const isWebp = Buffer.from(thumbnail.subarray(8, 12)).toString('latin1') === 'WEBP';
    expect(isPng || isJpeg || isWebp).to.equal(true);

    const notImage = await alice.client.upload(Buffer.from('just text\n'));
    const refused = await failure(alice.client.thumbnail(notImage.id));
    expect(refused).to.include({ status: 404, code: 'thumbnail_unavailable' });
  });

  it("when someone else's file is asked for then file_not_found", async () => {
    const alice = await person('owner');
    const eve = await person('eve');
    const file = await alice.client.upload(Buffer.from('private'));
    for (const call of [eve.client.download(file.id), eve.client.fileInfo(file.id)]) {
      expect(await failure(call)).to.include({ status: 404, code: 'file_not_found' });
    }
  });

  it('when the file is over the limit then 413 payload_too_large at once, and filesConfig says the limit', async () => {
    const { client } = await person('big');
    const config = await client.filesConfig();
    expect(config.upload_max_bytes).to.equal(MAX_BYTES);
    expect(config.used_bytes).to.equal(0);
    const started = Date.now();
    const error = await failure(client.upload(Buffer.alloc(MAX_BYTES + 1)));
    expect(error).to.include({ status: 413, code: 'payload_too_large' });
    expect(error.isRetryable).to.equal(false);
    expect(Date.now() - started).to.be.lessThan(2000);
    await client.upload(Buffer.from('small'));
    expect((await client.filesConfig()).used_bytes).to.equal(5);
  });

  it('when the connection is cut midway then the upload resumes from what the server kept', async () => {
    const port = Number(new URL(servers.urls[0]!).port);
    const { client: direct, tokenStore } = await person('resume');
    for (const source of ['buffer', 'stream'] as const) {
      const proxy = await cuttingProxy(port, 1.5 * MiB);
      try {
        const client = new MessengerClient({
          hosts: [proxy.url],
          tokenStore,
          retry: { baseDelayMs: 20 },
        });
        const progress: number[] = [];
        const file = await client.upload(source === 'buffer' ? data : streamOf(data), {
          size: data.length,
          onProgress: (sent) => progress.push(sent),
        });
        expect(proxy.cuts, source).to.equal(1);
        expect(proxy.connections, source).to.be.greaterThan(1);
        expect(progress.at(-1)).to.equal(data.length);
        // Resumed, not started again: after the cut only the rest went through.
        expect(proxy.forwarded, source).to.be.lessThan(data.length + 256 * 1024);
        await expectSameBytes(direct, file, data);
      } finally {
        await proxy.close();
      }
    }
  });

  for (const how of ['down', 'hanging'] as const) {
    it(`when the first host is ${how} then uploads and downloads fail over to the next`, async () => {
      const bad = await badHost(how);
      try {
        const { client: other } = await person('other');
        const { tokenStore } = await person(`failover-${how}`);
        const both = new MessengerClient({
          hosts: [bad.url, servers.urls[0]!],
          tokenStore,
          timeoutMs: 1000,
          retry: { baseDelayMs: 20 },
        });
        const progress: number[] = [];
        const file = await both.upload(data, { onProgress: (sent) => progress.push(sent) });
        expect(bad.hits()).to.be.greaterThan(0);
        expect(progress.at(-1)).to.equal(data.length);
        await expectSameBytes(both, file, data);
        // A new client starts on the bad host again: the download fails over as well.
        const again = new MessengerClient({
          hosts: [bad.url, servers.urls[0]!],
          tokenStore,
          timeoutMs: 1000,
          retry: { baseDelayMs: 20 },
        });
        const hits = bad.hits();
        expect(sha256(await bytesOf(await again.download(file.id)))).to.equal(file.sha256);
        expect(bad.hits()).to.be.greaterThan(hits);
        expect(await failure(other.fileInfo(file.id))).to.include({ code: 'file_not_found' });
      } finally {
        await bad.close();
      }
    });
  }

  it('when the access token is refused then the upload refreshes it and goes on', async () => {
    const { client, tokenStore } = await person('refresh');
    const tokens = tokenStore.get()!;
    tokenStore.set({ ...tokens, accessToken: 'not-a-token' });
    const file = await client.upload(Buffer.from('after a refresh'));
    expect(file.size).to.equal(15);
    expect(tokenStore.get()!.accessToken).to.not.equal('not-a-token');
  });

  it('when the signal aborts midway then the upload rejects with aborted', async () => {
    const { client } = await person('abort');
    const controller = new AbortController();
    const error = await failure(
      client.upload(data, {
        chunkSize: 256 * 1024,
        signal: controller.signal,
        onProgress: (sent) => {
          if (sent > 0) controller.abort();
        },
      }),
    );
    expect(error.code).to.equal('aborted');
    expect((await client.filesConfig()).used_bytes).to.equal(0);
  });
});
