/**
 * FILE_STORE=postgres (the default): file bytes in the database every instance already shares,
 * so `npm start` and a cluster on one database need nothing else. An object is a run of rows of
 * `file_chunks` (migration 007), each at most {@link CHUNK_BYTES}, keyed by its offset: appends
 * add rows, reads walk them by key, one row per round trip, so neither holds a file in memory.
 * Reads are binary COPYs (`db/copy-binary.ts`): a query's result would carry the bytes as hex,
 * a conversion on each side and twice the memory. Writes are plain INSERTs, whose `bytea`
 * parameter already travels as binary (and measured 2–3× faster than a COPY per chunk).
 */
import { Readable } from 'node:stream';
import { copyToRows } from '../db/copy-binary.js';
import { sql, type Database } from '../db/database.js';
import { checkKey, StoreConflictError, type ByteRange, type FileStore } from './file-store.js';

/**
 * Bytes of one row, and of one read: a 100 MiB file is 100 rows. Smaller rows cost throughput
 * (more round trips) without lowering the memory a transfer churns through (bench: files).
 */
export const CHUNK_BYTES = 1024 * 1024;
const READ_BYTES = CHUNK_BYTES;

const sizeOf = sql(
  'store.size',
  `SELECT coalesce(sum(length(data)), 0)::bigint AS size FROM file_chunks WHERE store_key = $1`,
);
const addChunk = sql(
  'store.add',
  `INSERT INTO file_chunks (store_key, "offset", data) VALUES ($1, $2, $3)`,
);

/** An integer for a COPY's text (COPY takes no parameters); anything else is a bug. */
function integer(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a byte position: ${n}`);
  return String(n);
}

/**
 * Up to `want` bytes from byte `at` on, out of the chunk holding it (the last one starting at or
 * before it), as one binary COPY. A whole chunk is sent as it is: `substring` fetches a stored
 * value's slices one by one, three times the database's work for the same bytes. `key` is
 * literal-safe: `checkKey` admits `[A-Za-z0-9/_-]` only.
 */
function pieceCopy(key: string, at: number, want: number): string {
  checkKey(key);
  const [from, most] = [integer(at), integer(want)];
  return `COPY (SELECT CASE WHEN "offset" = ${from} AND length(data) <= ${most} THEN data
      ELSE substring(data FROM (${from} - "offset")::int + 1 FOR ${most}) END
    FROM file_chunks WHERE store_key = '${key}' AND "offset" <= ${from}
    ORDER BY "offset" DESC LIMIT 1) TO STDOUT (FORMAT binary)`;
}

const removeAll = sql('store.remove', `DELETE FROM file_chunks WHERE store_key = $1`);

export class PostgresStore implements FileStore {
  readonly kind = 'postgres';

  constructor(private readonly db: Database) {}

  open(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  async size(key: string): Promise<number> {
    checkKey(key);
    const [row] = await this.db.query<{ size: number }>(sizeOf, [key]);
    return row?.size ?? 0;
  }

  async append(key: string, offset: number, source: Readable): Promise<number> {
    const actual = await this.size(key);
    if (actual !== offset) {
      source.resume();
      throw new StoreConflictError(key, offset, actual);
    }
    /** Where the next chunk goes, and how far the committed chunks reach. */
    let next = offset;
    let end = offset;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    // One insert may run while the next chunk fills: the network and the database overlap.
    let inFlight: Promise<void> = Promise.resolve();
    const flush = async () => {
      if (pendingBytes === 0) return;
      const data = Buffer.concat(pending, pendingBytes);
      const at = next;
      next += data.length;
      pending = [];
      pendingBytes = 0;
      await inFlight;
      const insert = this.db.query(addChunk, [key, at, data]).then(() => {
        end = at + data.length;
      });
      insert.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile
      inFlight = insert;
    };
    try {
      for await (const piece of source as AsyncIterable<Buffer>) {
        let rest = piece;
        while (rest.length > 0) {
          const take = Math.min(rest.length, CHUNK_BYTES - pendingBytes);
          pending.push(rest.subarray(0, take));
          pendingBytes += take;
          rest = rest.subarray(take);
          if (pendingBytes === CHUNK_BYTES) await flush();
        }
      }
    } catch (err) {
      // What arrived before the cut is kept: the upload resumes after it.
      await flush();
      await inFlight;
      throw err;
    }
    await flush();
    await inFlight;
    return end;
  }

  read(key: string, range?: ByteRange): Readable {
    checkKey(key);
    const db = this.db;
    const start = range?.start ?? 0;
    const last = range?.end ?? Number.MAX_SAFE_INTEGER;
    const fetchAt = async (at: number): Promise<Buffer | undefined> => {
      if (at > last) return undefined;
      const want = Math.min(last - at + 1, READ_BYTES);
      const [row] = copyToRows(await db.copyOut(pieceCopy(key, at, want)));
      const data = row?.[0];
      return data && data.length > 0 ? data : undefined;
    };
    async function* chunks(): AsyncGenerator<Buffer> {
      // One piece is read ahead while the one before is being sent.
      let coming = fetchAt(start);
      for (let at = start; ;) {
        const data = await coming;
        if (!data) return;
        at += data.length;
        coming = fetchAt(at);
        coming.catch(() => undefined); // awaited next turn, or dropped with the stream
        yield data;
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    await this.db.query(removeAll, [key]);
  }
}
