/**
 * Files (contract v1.3). Every upload — one request or tus — stages its bytes in the store under
 * `up/<upload id>` and becomes a file in {@link completeUpload}: the bytes are read once to learn
 * what they are (sha256, size, type, image size, a thumbnail), then one transaction checks the
 * quota and the Idempotency-Key, adds the file and a reference to its content. Identical bytes
 * are kept once: a second copy's staged bytes are deleted once the reference is committed.
 * Anything a crash leaves behind (staged bytes, an upload row) is the sweep's (sweepFiles).
 */
import { createHash, randomBytes } from 'node:crypto';
import { pipeline, Readable, Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline as pipelined } from 'node:stream/promises';
import type { AuthUser } from '../auth/tokens.js';
import type { FileObject } from '../contract/schemas.js';
import { Limits } from '../contract/limits.js';
import * as F from '../db/files-queries.js';
import type { Services } from '../services.js';
import {
  accountGone,
  foreignKeyOf,
  NotFoundError,
  TooLargeError,
  UnprocessableError,
} from './errors.js';
import { takeToken } from './limits.js';
import {
  HEAD_BYTES,
  IMAGE_HEAD_BYTES,
  IMAGE_TYPES,
  MAX_INPUT_PIXELS,
  cleanFileName,
  detectContentType,
  imageSize,
  makeThumbnail,
} from './media.js';

/**
 * A new file or upload id: 128 random bits, base64url (22 characters), never starting with `-`,
 * which a command line would take for an option (`msgr download -x…`): such a draw is drawn
 * again, so the ids left stay uniform.
 */
export function newFileId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** The store key of an upload's staged bytes, and of its thumbnail. */
export const stagedKey = (uploadId: string) => `up/${uploadId}`;
export const stagedThumbnailKey = (uploadId: string) => `up/${uploadId}-t`;

/** Bytes a header prefix must hold for the type and image size to be read from it. */
const PROBE_BYTES = Math.max(HEAD_BYTES, IMAGE_HEAD_BYTES);

export const tooLarge = (max: number) =>
  new TooLargeError('payload_too_large', `a file may hold at most ${max} bytes`);

const quotaExceeded = (quota: number) =>
  new TooLargeError('quota_exceeded', `your files may take at most ${quota} bytes together`);

export const fileNotFound = () =>
  new NotFoundError('file_not_found', 'no file with this id is yours or shared with you');

/** Throws when `user`'s files plus `extra` bytes would pass UPLOAD_QUOTA_BYTES. */
export async function checkQuota(s: Services, userId: number, extra: number): Promise<void> {
  const quota = s.config.uploadQuotaBytes;
  if (quota === 0) return;
  const [row] = await s.db.query<{ used: number }>(F.usedBytes, [userId]);
  if ((row?.used ?? 0) + extra > quota) throw quotaExceeded(quota);
}

/** One of the user's RATE_LIMIT_UPLOADS_PER_MINUTE, or 429. */
export function takeUploadToken(s: Services, userId: number): Promise<void> {
  return takeToken(s.db, `upload:${userId}`, s.config.rateLimitUploadsPerMinute, 'uploads');
}

/** A stream that passes at most `max` bytes and fails with payload_too_large past them. */
export function limitBytes(max: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      seen += chunk.length;
      if (seen > max) done(tooLarge(max));
      else done(null, chunk);
    },
  });
}

/** What the staged bytes are. */
export interface Probe {
  sha256: Buffer;
  size: number;
  contentType: string;
  image: { width: number; height: number } | null;
}

/**
 * Learns what bytes are as they stream through (hash, size, a prefix): a one-request upload is
 * probed on its way to the store, a tus upload by reading its staged bytes once at the end.
 */
export class Prober extends Transform {
  private readonly hash = createHash('sha256');
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private size = 0;

  override _transform(piece: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(piece);
    this.size += piece.length;
    if (this.headBytes < PROBE_BYTES) {
      const take = Buffer.from(piece.subarray(0, PROBE_BYTES - this.headBytes));
      this.head.push(take);
      this.headBytes += take.length;
    }
    done(null, piece);
  }

  /** Once every byte went through. */
  async result(): Promise<Probe> {
    const prefix = Buffer.concat(this.head, this.headBytes);
    const contentType = await detectContentType(prefix);
    const claimed = IMAGE_TYPES.has(contentType) ? imageSize(prefix, contentType) : null;
    // A decompression bomb (or a header that lies) is a file, not an image: never decoded, no
    // thumbnail, never shown inline.
    const image = claimed && claimed.width * claimed.height <= MAX_INPUT_PIXELS ? claimed : null;
    return { sha256: this.hash.digest(), size: this.size, contentType, image };
  }
}

async function probe(s: Services, key: string): Promise<Probe> {
  const prober = new Prober();
  await pipelined(s.store.read(key), prober, new Writable({ write: (_c, _e, done) => done() }));
  return prober.result();
}

interface Thumbnail {
  sha256: Buffer;
  size: number;
  contentType: string;
}

/** Makes and stages the thumbnail of an image; null when it cannot be made (or is refused). */
async function stageThumbnail(s: Services, uploadId: string): Promise<Thumbnail | null> {
  const made = await makeThumbnail(s.store.read(stagedKey(uploadId)), {
    maxInputBytes: THUMBNAIL_SOURCE_BYTES,
  });
  if (!made) return null;
  const key = stagedThumbnailKey(uploadId);
  await s.store.delete(key);
  await s.store.append(key, 0, Readable.from([made.data]));
  return {
    sha256: createHash('sha256').update(made.data).digest(),
    size: made.data.length,
    contentType: made.contentType,
  };
}

/**
 * Images larger than this get no thumbnail: the decoder holds its whole input in memory, and an
 * instance's memory must not grow with the size of uploads.
 */
const THUMBNAIL_SOURCE_BYTES = 24 * 1024 * 1024;

export interface Completion {
  file: FileObject;
  /** True when the Idempotency-Key named a file made earlier: this is that file. */
  isReplay: boolean;
}

export interface CompleteOptions {
  /** The file's name as the client gave it (cleaned here). */
  name: string | undefined;
  /** POST /files's Idempotency-Key (tus uploads are matched by their upload row instead). */
  idempotencyKey?: string | undefined;
  /** What the bytes are, when learnt on their way in (else they are read once more). */
  probe?: Probe | undefined;
}

/**
 * Turns upload `uploadId` (its bytes staged, complete) into a file, once: a second call (a HEAD
 * after a crash, a raced PATCH) answers the same file. Over the quota: the upload is removed
 * and `quota_exceeded` thrown.
 */
export async function completeUpload(
  s: Services,
  uploadId: string,
  options: CompleteOptions,
): Promise<Completion> {
  const [upload] = await s.db.query<F.UploadRow>(F.uploadById, [uploadId]);
  if (!upload) throw new NotFoundError('upload_not_found', 'no upload has this id');
  if (upload.file_id) return { file: await fileObject(s, upload.file_id), isReplay: false };
  const what = options.probe ?? (await probe(s, stagedKey(uploadId)));
  const thumbnail = what.image ? await stageThumbnail(s, uploadId) : null;
  const name = cleanFileName(options.name);
  let duplicateKeys: string[] = [];
  try {
    const result = await s.db.transaction(async (tx) => {
      const [locked] = await tx.query<F.UploadRow>(F.lockUpload, [uploadId]);
      if (!locked) throw new NotFoundError('upload_not_found', 'no upload has this id');
      if (locked.file_id) return { file: await fileObject(s, locked.file_id), isReplay: false };
      await tx.query(F.lockUploader, [locked.user_id]);
      const key = options.idempotencyKey;
      if (key !== undefined) {
        const [earlier] = await tx.query<F.FileRow & { is_live: boolean }>(F.fileByKey, [
          locked.user_id,
          key,
          s.config.idempotencyWindowSeconds,
        ]);
        if (earlier?.is_live) {
          if (earlier.name !== name || !earlier.sha256.equals(what.sha256)) {
            throw new UnprocessableError(
              'idempotency_key_conflict',
              'this Idempotency-Key was used for another upload within the window: pick another',
            );
          }
          await tx.query(F.removeUpload, [uploadId]);
          duplicateKeys = [stagedKey(uploadId), stagedThumbnailKey(uploadId)];
          return { file: await fileObject(s, earlier.id, tx), isReplay: true };
        }
        if (earlier) await tx.query(F.releaseFileKey, [locked.user_id, key]);
      }
      const quota = s.config.uploadQuotaBytes;
      if (quota > 0) {
        const [row] = await tx.query<{ used: number }>(F.usedBytes, [locked.user_id]);
        if ((row?.used ?? 0) + what.size > quota) throw quotaExceeded(quota);
      }
      const [content] = await tx.query<{ store_key: string }>(F.referenceBlob, [
        what.sha256,
        stagedKey(uploadId),
        what.size,
      ]);
      if (content!.store_key !== stagedKey(uploadId)) duplicateKeys.push(stagedKey(uploadId));
      if (thumbnail) {
        const [kept] = await tx.query<{ store_key: string }>(F.referenceBlob, [
          thumbnail.sha256,
          stagedThumbnailKey(uploadId),
          thumbnail.size,
        ]);
        if (kept!.store_key !== stagedThumbnailKey(uploadId)) {
          duplicateKeys.push(stagedThumbnailKey(uploadId));
        }
      } else {
        duplicateKeys.push(stagedThumbnailKey(uploadId));
      }
      const [made] = await tx.query<F.FileJsonRow>(F.insertFile, [
        newFileId(),
        locked.user_id,
        name,
        what.size,
        what.contentType,
        what.sha256,
        what.image?.width ?? null,
        what.image?.height ?? null,
        thumbnail?.sha256 ?? null,
        thumbnail?.contentType ?? null,
        key ?? null,
      ]);
      await tx.query(F.finishUpload, [uploadId, made!.file.id, s.config.uploadExpirySeconds]);
      return {
        file: made!.file,
        isReplay: false,
        isNew: content!.store_key === stagedKey(uploadId),
      };
    });
    if ('isNew' in result) {
      s.metrics.filesCreated.inc({ kind: result.isNew ? 'new' : 'duplicate' });
      s.metrics.fileBytesReceived.inc(what.size);
    }
    return { file: result.file, isReplay: result.isReplay };
  } catch (err) {
    if (err instanceof TooLargeError || err instanceof UnprocessableError) {
      await discardUpload(s, uploadId);
    }
    throw err;
  } finally {
    // Only after the commit: until then the bytes may be the ones a blob row will own.
    for (const key of duplicateKeys) await s.store.delete(key).catch(() => undefined);
  }
}

/** Removes an upload that will never be a file: its staged bytes, then its row. */
export async function discardUpload(s: Services, uploadId: string): Promise<void> {
  await s.store.delete(stagedKey(uploadId));
  await s.store.delete(stagedThumbnailKey(uploadId));
  await s.db.query(F.removeUpload, [uploadId]);
}

async function fileObject(
  s: Services,
  fileId: string,
  q: Pick<Services['db'], 'query'> = s.db,
): Promise<FileObject> {
  const [row] = await q.query<F.FileJsonRow>(F.fileJson, [fileId]);
  if (!row) throw fileNotFound();
  return row.file;
}

export interface WholeUpload {
  name: string | undefined;
  /** Content-Length, when the client declared one. */
  declaredLength: number | undefined;
  idempotencyKey: string | undefined;
}

/** `POST /files`: the body is the file. Streams it to the store, then {@link completeUpload}. */
export async function uploadWhole(
  s: Services,
  user: AuthUser,
  body: Readable,
  input: WholeUpload,
): Promise<Completion> {
  const max = s.config.uploadMaxBytes;
  if (input.declaredLength !== undefined && input.declaredLength > max) throw tooLarge(max);
  await checkQuota(s, user.userId, input.declaredLength ?? 0);
  await takeUploadToken(s, user.userId);
  const uploadId = newFileId();
  const prober = new Prober();
  await claimUpload(s, [uploadId, user.userId, s.config.uploadExpirySeconds, null, null]);
  try {
    // pipeline, not pipe: a body cut midway must fail the append, not leave it waiting.
    const limited = pipeline(body, limitBytes(max), prober, () => undefined);
    await s.store.append(stagedKey(uploadId), 0, limited);
  } catch (err) {
    await discardUpload(s, uploadId).catch(() => undefined);
    throw err;
  }
  return completeUpload(s, uploadId, {
    name: input.name,
    idempotencyKey: input.idempotencyKey,
    probe: await prober.result(),
  });
}

/**
 * Inserts an upload row (F.claimUpload's values); answers whether it was made (false: its
 * Idempotency-Key is taken). A token whose account is gone is refused here.
 */
export async function claimUpload(s: Services, values: unknown[]): Promise<boolean> {
  try {
    return (await s.db.query(F.claimUpload, values)).length > 0;
  } catch (err) {
    if (foreignKeyOf(err) === 'uploads_user_id_fkey') throw accountGone();
    throw err;
  }
}

/** File `fileId` with what reading it needs, when `user` may read it; else file_not_found. */
export async function readableFile(
  s: Services,
  user: AuthUser,
  fileId: string,
): Promise<F.FileRow> {
  const [row] = await s.db.query<F.FileRow>(F.readableFile, [fileId, user.userId]);
  if (!row) throw fileNotFound();
  return row;
}

/** `GET /files/config`. */
export async function filesConfig(s: Services, user: AuthUser) {
  const [row] = await s.db.query<{ used: number }>(F.usedBytes, [user.userId]);
  return {
    upload_max_bytes: s.config.uploadMaxBytes,
    attachments_per_message: Limits.maxAttachments,
    quota_bytes: s.config.uploadQuotaBytes,
    used_bytes: row?.used ?? 0,
  };
}

/** What one sweep removed. */
export interface Swept {
  uploads: number;
  files: number;
  blobs: number;
}

/**
 * One turn of the file sweep (the leader's, realtime/file-sweeper.ts), in batches of `batch`:
 * expired uploads (their staged bytes unless a blob owns them, then the row), files attached to
 * no message for UPLOAD_ORPHAN_SECONDS (their references), and the bytes of content nobody
 * refers to any more. Each batch holds its rows locked while the store deletes, so a new upload
 * of the same content waits and then stores its own copy: no reference ever points at deleted
 * bytes, and a crash mid-batch leaves the rows for the next turn.
 */
export async function sweepFiles(s: Services, batch = 100): Promise<Swept> {
  const uploads = await s.db.transaction(async (tx) => {
    const rows = await tx.query<{ id: string }>(F.expiredUploads, [batch]);
    for (const { id } of rows) {
      for (const key of [stagedKey(id), stagedThumbnailKey(id)]) {
        const [owner] = await tx.query<{ owned: boolean }>(F.isKeyOwned, [key]);
        if (!owner?.owned) await s.store.delete(key);
      }
      await tx.query(F.removeUpload, [id]);
    }
    return rows.length;
  });
  const [orphans] = await s.db.query<{ files: number }>(F.sweepOrphans, [
    s.config.uploadOrphanSeconds,
    batch,
  ]);
  const blobs = await s.db.transaction(async (tx) => {
    const rows = await tx.query<{ sha256: Buffer; store_key: string }>(F.unreferencedBlobs, [
      batch,
    ]);
    for (const row of rows) {
      await s.store.delete(row.store_key);
      await tx.query(F.removeBlob, [row.sha256]);
    }
    return rows.length;
  });
  return { uploads, files: orphans?.files ?? 0, blobs };
}
