/**
 * FILE_STORE=postgres (the default): file bytes in the database every instance already shares,
 * so `npm start` and a cluster on one database need nothing else. An object is a run of rows of
 * `file_chunks` (migration 007), each at most {@link CHUNK_BYTES}, keyed by its offset: appends
 * add rows, reads walk them by key, one row per round trip, so neither holds a file in memory.
 */
import { Readable } from 'node:stream';
import { sql, type Database } from '../db/database.js';
import { checkKey, StoreConflictError, type ByteRange, type FileStore } from './file-store.js';

/** Bytes of one row: big enough that a 100 MiB file is 100 rows, small for a round trip. */
export const CHUNK_BYTES = 1024 * 1024;

const sizeOf = sql(
  'store.size',
  `SELECT coalesce(sum(length(data)), 0)::bigint AS size FROM file_chunks WHERE store_key = $1`,
);
const addChunk = sql(
  'store.add',
  `INSERT INTO file_chunks (store_key, "offset", data) VALUES ($1, $2, $3)`,
);
/** The chunk holding byte `$2` (the last one starting at or before it). */
const chunkAt = sql(
  'store.chunk_at',
  `SELECT "offset", data FROM file_chunks WHERE store_key = $1 AND "offset" <= $2
   ORDER BY "offset" DESC LIMIT 1`,
);
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
    let end = offset;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      const data = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      await this.db.query(addChunk, [key, end, data]);
      end += data.length;
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
      throw err;
    }
    await flush();
    return end;
  }

  read(key: string, range?: ByteRange): Readable {
    checkKey(key);
    const db = this.db;
    const start = range?.start ?? 0;
    const last = range?.end ?? Number.MAX_SAFE_INTEGER;
    async function* chunks(): AsyncGenerator<Buffer> {
      for (let at = start; at <= last;) {
        const [row] = await db.query<{ offset: number; data: Buffer }>(chunkAt, [key, at]);
        const within = row ? at - row.offset : 0;
        if (!row || within >= row.data.length) return;
        const piece = row.data.subarray(within, Math.min(row.data.length, last - row.offset + 1));
        yield piece;
        at += piece.length;
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    await this.db.query(removeAll, [key]);
  }
}
