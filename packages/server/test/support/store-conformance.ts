/**
 * What every byte store (storage/file-store.ts) must do, as one mocha suite to run against each:
 * appends that continue at the store's offset, conflicts that write nothing, reads of the whole
 * or of a range, a source that fails midway, deletes.
 *
 * @example
 * storeConformance('fs store', async () => {
 *   const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'msgr-fs-'));
 *   return { store: new FsStore(dir), cleanup: () => fsp.rm(dir, { recursive: true }) };
 * });
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import { StoreConflictError, type FileStore } from '../../src/storage/file-store.js';

/** A fresh, empty, not yet opened store, and how to remove what it kept once it is closed. */
export interface StoreUnderTest {
  store: FileStore;
  cleanup(): Promise<void>;
}

const KIB = 1024;
const MIB = 1024 * KIB;

/** `bytes` as a stream of `chunkBytes` chunks, as a request body arrives. */
export function sourceOf(bytes: Buffer, chunkBytes = 64 * KIB): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += chunkBytes) {
    chunks.push(bytes.subarray(at, at + chunkBytes));
  }
  return Readable.from(chunks, { objectMode: false });
}

/** A source that delivers `chunks`, then fails with `error` (a connection cut midway). */
export function failingSource(chunks: Buffer[], error: Error): Readable {
  let next = 0;
  return new Readable({
    read() {
      const chunk = chunks[next++];
      if (chunk) this.push(chunk);
      else this.destroy(error);
    },
  });
}

/** Everything `stream` yields; rejects when it errors. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The error `stream` ends with (fails the test when it ends well). */
async function readError(stream: Readable): Promise<unknown> {
  try {
    await readAll(stream);
  } catch (error) {
    return error;
  }
  expect.fail('the read stream ended without an error');
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  expect.fail('the call resolved');
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Appends `pieces` one after another to `key`, checking each resolves with the new size. */
async function appendAll(store: FileStore, key: string, pieces: Buffer[]): Promise<Buffer> {
  let size = 0;
  for (const piece of pieces) {
    expect(await store.append(key, size, sourceOf(piece))).to.equal(size + piece.length);
    size += piece.length;
  }
  return Buffer.concat(pieces);
}

/** Runs the conformance suite against the stores `make` gives (one per test, opened here). */
export function storeConformance(
  name: string,
  make: () => Promise<StoreUnderTest>,
  {
    missingReadsEmpty = false,
  }: {
    /** The store cannot tell a missing object from an empty one (postgres): it reads as empty. */
    missingReadsEmpty?: boolean;
  } = {},
): void {
  const gone = async (stream: Readable) => {
    if (missingReadsEmpty) expect((await readAll(stream)).length).to.equal(0);
    else await readError(stream);
  };
  describe(`file store conformance: ${name}`, function () {
    let store: FileStore;
    let cleanup: (() => Promise<void>) | undefined;

    beforeEach(async function () {
      const made = await make();
      store = made.store;
      cleanup = () => made.cleanup();
      await store.open();
    });

    afterEach(async function () {
      await store.close();
      await cleanup?.();
      cleanup = undefined;
    });

    it('when a key was never written then its size is 0', async function () {
      expect(await store.size('never/written')).to.equal(0);
    });

    it('when bytes are appended to a new key then its size is their length', async function () {
      const bytes = randomBytes(100 * KIB + 3);
      expect(await store.append('new/key', 0, sourceOf(bytes))).to.equal(bytes.length);
      expect(await store.size('new/key')).to.equal(bytes.length);
      expect(sha256(await readAll(store.read('new/key')))).to.equal(sha256(bytes));
    });

    it('when an append names the wrong offset then StoreConflictError and nothing is written', async function () {
      const bytes = randomBytes(1000);
      await store.append('conflict', 0, sourceOf(bytes));

      for (const offset of [0, 999, 1001]) {
        const error = await rejection(store.append('conflict', offset, sourceOf(randomBytes(10))));
        expect(error, `offset ${offset}`).to.be.instanceOf(StoreConflictError);
        expect(error).to.include({ key: 'conflict', expected: offset, actual: 1000 });
      }
      expect(await store.size('conflict')).to.equal(1000);
      expect((await readAll(store.read('conflict'))).equals(bytes)).to.be.true;

      const error = await rejection(store.append('absent', 5, sourceOf(randomBytes(10))));
      expect(error).to.be.instanceOf(StoreConflictError);
      expect(error).to.include({ expected: 5, actual: 0 });
      expect(await store.size('absent')).to.equal(0);
      await gone(store.read('absent'));
    });

    it('when several appends follow each other then a read returns their concatenation', async function () {
      const pieces = [randomBytes(MIB + 7), randomBytes(MIB + MIB / 2 - 3), randomBytes(700 * KIB)];
      const whole = await appendAll(store, 'several', pieces);

      expect(await store.size('several')).to.equal(whole.length);
      const read = await readAll(store.read('several'));
      expect(read.length).to.equal(whole.length);
      expect(sha256(read)).to.equal(sha256(whole));
    });

    it('when a range is read then exactly those bytes come back', async function () {
      const pieces = [randomBytes(300 * KIB + 1), randomBytes(200 * KIB + 5), randomBytes(77)];
      const whole = await appendAll(store, 'ranges', pieces);
      const boundary = pieces[0]!.length;
      const last = whole.length - 1;

      const ranges = [
        { what: 'the first byte', start: 0, end: 0 },
        { what: 'the last byte', start: last, end: last },
        { what: 'across the first append boundary', start: boundary - 10, end: boundary + 9 },
        { what: 'the first byte of the second append', start: boundary, end: boundary },
        { what: 'the last byte of the first append', start: boundary - 1, end: boundary - 1 },
        { what: 'across every append', start: 1, end: last - 1 },
        { what: 'inside one append', start: 1000, end: 200 * KIB },
        { what: 'everything', start: 0, end: last },
      ];
      for (const { what, start, end } of ranges) {
        const read = await readAll(store.read('ranges', { start, end }));
        expect(read.length, what).to.equal(end - start + 1);
        expect(read.equals(whole.subarray(start, end + 1)), what).to.be.true;
      }
    });

    it('when the source fails midway then the append rejects with its error and the size tells where to resume', async function () {
      const before = randomBytes(5000);
      await store.append('cut', 0, sourceOf(before));
      const pushed = [randomBytes(64 * KIB), randomBytes(64 * KIB), randomBytes(10 * KIB)];
      const cut = new Error('connection reset by peer');

      const error = await rejection(store.append('cut', before.length, failingSource(pushed, cut)));
      expect(error).to.equal(cut);

      const arrived = Buffer.concat([before, ...pushed]);
      const size = await store.size('cut');
      expect(size).to.be.within(before.length, arrived.length);
      const kept = await readAll(store.read('cut'));
      expect(kept.equals(arrived.subarray(0, size)), 'what was kept is a prefix of what arrived').to
        .be.true;

      const rest = randomBytes(30 * KIB);
      expect(await store.append('cut', size, sourceOf(rest))).to.equal(size + rest.length);
      const final = await readAll(store.read('cut'));
      expect(sha256(final)).to.equal(sha256(Buffer.concat([kept, rest])));
    });

    it('when the source fails before any byte then the object keeps its size', async function () {
      const before = randomBytes(100);
      await store.append('cut/early', 0, sourceOf(before));
      const cut = new Error('gone');
      expect(await rejection(store.append('cut/early', 100, failingSource([], cut)))).to.equal(cut);
      expect(await store.size('cut/early')).to.equal(100);
      expect((await readAll(store.read('cut/early'))).equals(before)).to.be.true;
    });

    it('when an empty source is appended to a new key then it reads as no bytes', async function () {
      expect(await store.append('empty', 0, sourceOf(Buffer.alloc(0)))).to.equal(0);
      expect(await store.size('empty')).to.equal(0);
      expect((await readAll(store.read('empty'))).length).to.equal(0);

      const bytes = randomBytes(10);
      expect(await store.append('empty', 0, sourceOf(bytes))).to.equal(10);
      expect((await readAll(store.read('empty'))).equals(bytes)).to.be.true;
    });

    it('when one key is a folder of another then each holds its own bytes', async function () {
      const outer = randomBytes(100);
      const inner = randomBytes(200);
      await store.append('nest', 0, sourceOf(outer));
      await store.append('nest/inner', 0, sourceOf(inner));
      await store.append('nest/000000000000000', 0, sourceOf(inner.subarray(0, 50)));

      expect(await store.size('nest')).to.equal(100);
      expect(await store.size('nest/inner')).to.equal(200);
      expect((await readAll(store.read('nest'))).equals(outer)).to.be.true;
      expect((await readAll(store.read('nest/inner'))).equals(inner)).to.be.true;

      await store.delete('nest');
      expect(await store.size('nest')).to.equal(0);
      expect(await store.size('nest/inner')).to.equal(200);
      expect(await store.size('nest/000000000000000')).to.equal(50);
    });

    it('when an object is deleted then its size is 0 and reading it errors', async function () {
      await appendAll(store, 'doomed/one', [randomBytes(2000), randomBytes(3000)]);
      await store.append('doomed/two', 0, sourceOf(randomBytes(10)));

      await store.delete('doomed/one');
      expect(await store.size('doomed/one')).to.equal(0);
      await gone(store.read('doomed/one'));
      await gone(store.read('doomed/one', { start: 0, end: 0 }));
      expect(await store.size('doomed/two'), 'a neighbour stays').to.equal(10);
    });

    it('when a missing key is deleted then it resolves', async function () {
      await store.delete('never/there');
      await store.append('twice', 0, sourceOf(randomBytes(10)));
      await store.delete('twice');
      await store.delete('twice');
      expect(await store.size('twice')).to.equal(0);
    });

    it('when a key was never written then reading it errors (or reads empty, where allowed)', async function () {
      await gone(store.read('never/written'));
    });

    it('when a read is abandoned midway then the store still answers', async function () {
      const bytes = randomBytes(2 * MIB);
      await store.append('abandoned', 0, sourceOf(bytes));
      // More than the S3 client's 50 sockets: an abandoned read must give its connection back.
      for (let i = 0; i < 60; i++) {
        const stream = store.read('abandoned');
        for await (const chunk of stream) {
          expect((chunk as Buffer).length).to.be.above(0);
          break; // destroys the stream
        }
      }
      expect(sha256(await readAll(store.read('abandoned')))).to.equal(sha256(bytes));
    });
  });
}
