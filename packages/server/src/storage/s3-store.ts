/**
 * `FILE_STORE=s3://<bucket>`: objects in any S3-compatible store (AWS S3, MinIO, Ceph, R2, …).
 *
 * S3 objects cannot be appended to, so a store object is a run of part objects
 * `<key>/<offset, 15 digits>`: each `append` writes one part per {@link S3StoreOptions.partBytes}
 * of its source, and a listing (lexicographic, thanks to the padding) returns them in order. The
 * size is the sum of the parts; a read streams them one after the other.
 *
 * Only calls every S3-compatible store knows are used (ListObjectsV2, PutObject with a known
 * length, GetObject with `Range`, DeleteObjects, HeadBucket, CreateBucket), and the client is told
 * not to send the checksummed (`aws-chunked`) bodies recent SDKs default to, which many stores
 * refuse; DeleteObjects carries the `Content-MD5` older stores require.
 *
 * Two appends to the same key at once are the caller's to prevent (the upload's lock): both
 * would pass the size check and write parts at the same offsets.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import { checkKey, StoreConflictError, type ByteRange, type FileStore } from './file-store.js';

/** Where the bucket is and who we are there (FILE_STORE, S3_* in config.ts). */
export interface S3StoreOptions {
  bucket: string;
  /** `S3_ENDPOINT`, e.g. `http://minio:9000`; unset: AWS itself. */
  endpoint?: string;
  /** `S3_REGION`; stores other than AWS usually accept anything (`us-east-1`). */
  region: string;
  /** `S3_ACCESS_KEY_ID` with `secretAccessKey`; unset: the SDK's own chain (env, instance role). */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** `S3_FORCE_PATH_STYLE`: `<endpoint>/<bucket>/<key>` rather than `<bucket>.<endpoint>/<key>`. */
  forcePathStyle: boolean;
  /** The largest part object, and so the most of a source held in memory at once. Default 8 MiB. */
  partBytes?: number;
}

const DEFAULT_PART_BYTES = 8 * 1024 * 1024;
const OFFSET_DIGITS = 15;
const PART_NAME = /^\d{15}$/;
/** DeleteObjects takes at most 1000 keys a call. */
const DELETE_BATCH = 1000;

interface Part {
  name: string;
  offset: number;
  size: number;
}

function partName(key: string, offset: number): string {
  return `${key}/${String(offset).padStart(OFFSET_DIGITS, '0')}`;
}

function asBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk);
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
  throw new TypeError('append source must yield bytes');
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata
    ?.httpStatusCode;
}

/** The first byte a GetObject answer holds: from `Content-Range: bytes a-b/n`, else 0 (a 200). */
function servedStart(contentRange: string | undefined): number {
  const match = /^bytes (\d+)-/.exec(contentRange ?? '');
  return match ? Number(match[1]) : 0;
}

/** Errors like a missing file does in the fs store, so callers can treat both alike. */
function notFound(key: string): Error {
  return Object.assign(new Error(`no object ${key} in the store`), { code: 'ENOENT' });
}

/**
 * The S3 store: objects as runs of part objects in one bucket.
 *
 * @example
 * const store = new S3Store({ bucket: 'msgr-files', region: 'us-east-1', forcePathStyle: true,
 *   endpoint: 'http://minio:9000', accessKeyId: 'msgr', secretAccessKey: '…' });
 * await store.open(); // creates the bucket when missing
 */
export class S3Store implements FileStore {
  readonly kind = 's3';
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #region: string;
  readonly #isAws: boolean;
  readonly #partBytes: number;

  constructor({
    bucket,
    endpoint,
    region,
    accessKeyId,
    secretAccessKey,
    forcePathStyle,
    partBytes = DEFAULT_PART_BYTES,
  }: S3StoreOptions) {
    if (!Number.isSafeInteger(partBytes) || partBytes < 1) {
      throw new Error(`partBytes must be a positive integer (not ${partBytes})`);
    }
    this.#bucket = bucket;
    this.#region = region;
    this.#isAws = !endpoint;
    this.#partBytes = partBytes;
    this.#client = new S3Client({
      region,
      forcePathStyle,
      ...(endpoint ? { endpoint } : {}),
      ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
      // Checksums only where the API demands them: the default (since 3.729) sends aws-chunked
      // bodies with trailing CRCs that many S3-compatible stores refuse.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  /**
   * Checks that the bucket exists (HeadBucket) and creates it when it does not (CreateBucket,
   * in `region` on AWS); a bucket another instance created meanwhile is fine, one another
   * account owns is refused.
   */
  async open(): Promise<void> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }));
      return;
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
    // Outside us-east-1 AWS wants the region named; other stores take their own default.
    const location =
      this.#isAws && this.#region !== 'us-east-1'
        ? {
            CreateBucketConfiguration: {
              LocationConstraint: this.#region as BucketLocationConstraint,
            },
          }
        : {};
    try {
      await this.#client.send(new CreateBucketCommand({ Bucket: this.#bucket, ...location }));
    } catch (error) {
      // Instances starting together all find the bucket missing and all create it. AWS answers
      // the losers BucketAlreadyOwnedByYou, other stores (s3rver, some MinIO versions)
      // BucketAlreadyExists, which on AWS means another account owns the name: ask again, and
      // only a bucket we can reach now counts as created.
      if ((error as Error).name === 'BucketAlreadyOwnedByYou') return;
      if ((error as Error).name !== 'BucketAlreadyExists') throw error;
      try {
        await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }));
      } catch {
        throw error;
      }
    }
  }

  /**
   * Writes `source` as part objects of at most `partBytes`, in order. When `source` fails, what
   * it had delivered since the last full part is still written as one more part (best effort),
   * so a connection cut every few MiB still makes progress; when the store fails, the parts
   * written so far stay. Either way {@link size} tells where to resume.
   */
  async append(key: string, offset: number, source: Readable): Promise<number> {
    checkKey(key);
    const actual = await this.size(key);
    if (actual !== offset) throw new StoreConflictError(key, offset, actual);

    let written = offset;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let hasStoreFailed = false;
    const flush = async () => {
      const body = Buffer.concat(pending, pendingBytes);
      try {
        await this.#put(partName(key, written), body);
      } catch (error) {
        hasStoreFailed = true;
        throw error;
      }
      pending = [];
      pendingBytes = 0;
      written += body.length;
    };

    try {
      for await (const chunk of source) {
        let bytes = asBuffer(chunk);
        while (bytes.length > 0) {
          const room = this.#partBytes - pendingBytes;
          pending.push(bytes.subarray(0, room));
          pendingBytes += Math.min(room, bytes.length);
          bytes = bytes.subarray(room);
          if (pendingBytes === this.#partBytes) await flush();
        }
      }
    } catch (error) {
      if (!hasStoreFailed && pendingBytes > 0) {
        // The source's error is the one to report; a failed rescue only means less to keep.
        await flush().catch(() => undefined);
      }
      throw error;
    }
    // An empty object still exists (read answers no bytes rather than an error): one empty part.
    if (pendingBytes > 0 || written === 0) await flush();
    return written;
  }

  async size(key: string): Promise<number> {
    checkKey(key);
    const parts = await this.#parts(key);
    const last = parts.at(-1);
    return last ? last.offset + last.size : 0;
  }

  /**
   * Streams the parts in order (only those `range` touches, the first and last with a `Range`);
   * the stream errors (`code` ENOENT) when the key has no parts.
   */
  read(key: string, range?: ByteRange): Readable {
    checkKey(key);
    return Readable.from(this.#bytes(key, range), { objectMode: false });
  }

  /** Deletes every part of the key (DeleteObjects, 1000 at a time); none is no error. */
  async delete(key: string): Promise<void> {
    checkKey(key);
    const names = (await this.#list(key)).map((part) => part.name);
    for (let i = 0; i < names.length; i += DELETE_BATCH) {
      const command = new DeleteObjectsCommand({
        Bucket: this.#bucket,
        Delete: { Objects: names.slice(i, i + DELETE_BATCH).map((Key) => ({ Key })), Quiet: true },
      });
      withContentMd5(command);
      const answer = await this.#client.send(command);
      const failed = answer.Errors?.filter((e) => e.Code !== 'NoSuchKey') ?? [];
      if (failed.length > 0) {
        const first = failed[0];
        throw new Error(
          `deleting ${key}: ${failed.length} parts not deleted (${first?.Key}: ${first?.Code} ${first?.Message})`,
        );
      }
    }
  }

  close(): Promise<void> {
    this.#client.destroy();
    return Promise.resolve();
  }

  async #put(name: string, body: Buffer): Promise<void> {
    await this.#client.send(
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: name,
        Body: body,
        ContentLength: body.length,
        ContentType: 'application/octet-stream',
      }),
    );
  }

  /** Every part object of `key`, by offset (paginated listing). */
  async #list(key: string): Promise<Part[]> {
    const prefix = `${key}/`;
    const parts: Part[] = [];
    let token: string | undefined;
    do {
      const page = await this.#client.send(
        new ListObjectsV2Command({
          Bucket: this.#bucket,
          Prefix: prefix,
          // The parts of key `a/b` are not parts of key `a`: they stay behind a common prefix.
          Delimiter: '/',
          ContinuationToken: token,
        }),
      );
      for (const object of page.Contents ?? []) {
        const suffix = object.Key?.slice(prefix.length) ?? '';
        if (!object.Key || !PART_NAME.test(suffix)) continue;
        parts.push({ name: object.Key, offset: Number(suffix), size: object.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return parts.sort((a, b) => a.offset - b.offset);
  }

  /** The parts of `key`, checked to follow each other without gap or overlap. */
  async #parts(key: string): Promise<Part[]> {
    const parts = await this.#list(key);
    let end = 0;
    for (const part of parts) {
      if (part.offset !== end) {
        // Only concurrent appends to one key can do this, and the caller rules them out.
        throw new Error(`the parts of ${key} do not follow each other at byte ${end}`);
      }
      end += part.size;
    }
    return parts;
  }

  async *#bytes(key: string, range: ByteRange | undefined): AsyncGenerator<Buffer> {
    const parts = await this.#parts(key);
    if (parts.length === 0) throw notFound(key);
    const size = parts.reduce((sum, part) => sum + part.size, 0);
    const start = range?.start ?? 0;
    const end = Math.min(range?.end ?? size - 1, size - 1);
    for (const part of parts) {
      const partEnd = part.offset + part.size - 1;
      if (part.size === 0 || partEnd < start) continue;
      if (part.offset > end) break;
      const from = Math.max(start, part.offset) - part.offset;
      const to = Math.min(end, partEnd) - part.offset;
      const isWhole = from === 0 && to === part.size - 1;
      const answer = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key: part.name,
          ...(isWhole ? {} : { Range: `bytes=${from}-${to}` }),
        }),
      );
      if (!(answer.Body instanceof Readable)) throw new Error(`no body for ${part.name}`);
      // Some stores answer more than the range asked (s3rver takes `bytes=0-0` for `bytes=0-`,
      // others ignore Range and answer 200 with everything): cut the answer to the range.
      const served = isWhole ? 0 : servedStart(answer.ContentRange);
      if (served > from) throw new Error(`${part.name}: asked for bytes ${from}-, got ${served}-`);
      let skip = from - served;
      let left = to - from + 1;
      for await (const chunk of answer.Body) {
        let bytes = asBuffer(chunk);
        if (skip > 0) {
          const skipped = Math.min(skip, bytes.length);
          bytes = bytes.subarray(skipped);
          skip -= skipped;
        }
        const isPastRange = bytes.length > left;
        if (isPastRange) bytes = bytes.subarray(0, left);
        left -= bytes.length;
        if (bytes.length > 0) yield bytes;
        if (isPastRange) break; // closes the body: the rest is not ours
      }
      if (left !== 0) throw new Error(`${part.name} ended ${left} bytes short of byte ${to}`);
    }
  }
}

/**
 * Sends DeleteObjects with `Content-MD5` instead of the SDK's CRC32 header: the API requires a
 * checksum, and stores that predate the new checksums (older MinIO, Ceph, …) refuse it without
 * MD5 (aws-sdk-js-v3 supplemental-docs/MD5_FALLBACK.md).
 */
function withContentMd5(command: DeleteObjectsCommand): void {
  type Args = { request: { headers?: Record<string, string>; body?: unknown } };
  const middleware = (next: (args: Args) => Promise<unknown>) => (args: Args) => {
    const { headers, body } = args.request;
    if (headers && (typeof body === 'string' || body instanceof Uint8Array)) {
      for (const name of Object.keys(headers)) {
        const lower = name.toLowerCase();
        if (lower.startsWith('x-amz-checksum-') || lower.startsWith('x-amz-sdk-checksum-')) {
          delete headers[name];
        }
      }
      headers['content-md5'] = createHash('md5').update(body).digest('base64');
    }
    return next(args);
  };
  // The SDK's middleware types are a union the function cannot be inferred against; it is a
  // build-step middleware that only touches the serialized request.
  type Middleware = Parameters<DeleteObjectsCommand['middlewareStack']['addRelativeTo']>[0];
  command.middlewareStack.addRelativeTo(middleware as unknown as Middleware, {
    relation: 'after',
    toMiddleware: 'flexibleChecksumsMiddleware',
    name: 'msgrContentMd5',
  });
}
