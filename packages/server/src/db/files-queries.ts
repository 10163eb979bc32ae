import type { FileObject } from '../contract/schemas.js';
import { sql } from './database.js';

/** A file row, with what reading its bytes needs. */
export interface FileRow {
  id: string;
  uploader_id: number;
  name: string;
  size: number;
  content_type: string;
  sha256: Buffer;
  image_width: number | null;
  image_height: number | null;
  created_at: Date;
  store_key: string;
  thumbnail_key: string | null;
  thumbnail_type: string | null;
  thumbnail_size: number | null;
  idempotency_key: string | null;
  /** As the API writes it. */
  file: FileObject;
}

const FILE_COLUMNS = `msgr_file_json(f.*) AS file, f.id, f.uploader_id, f.name, f.size, f.content_type, f.sha256, f.image_width,
  f.image_height, f.created_at, f.idempotency_key, b.store_key, t.store_key AS thumbnail_key,
  f.thumbnail_type, t.size AS thumbnail_size`;

const FROM_FILES = `files f JOIN file_blobs b ON b.sha256 = f.sha256
  LEFT JOIN file_blobs t ON t.sha256 = f.thumbnail_sha256`;

/**
 * File `$1` when user `$2` may read it (contract v1.3): they uploaded it, or they are a member of
 * a chat with a message that carries it (a deleted message carries nothing). One indexed query.
 */
export const readableFile = sql(
  'files.readable',
  `SELECT ${FILE_COLUMNS} FROM ${FROM_FILES}
   WHERE f.id = $1 AND (f.uploader_id = $2 OR EXISTS (
     SELECT 1 FROM message_attachments a
     JOIN messages m ON m.id = a.message_id AND m.deleted_at IS NULL
     JOIN chat_members cm ON cm.chat_id = m.chat_id AND cm.user_id = $2
     WHERE a.file_id = f.id))`,
);

/** `$1` user's file under Idempotency-Key `$2`, if one was made within `$3` seconds. */
export const fileByKey = sql(
  'files.by_key',
  `SELECT ${FILE_COLUMNS}, f.created_at > now() - make_interval(secs => $3) AS is_live
   FROM ${FROM_FILES} WHERE f.uploader_id = $1 AND f.idempotency_key = $2`,
);

/** Frees an Idempotency-Key whose window has passed. */
export const releaseFileKey = sql(
  'files.release_key',
  `UPDATE files SET idempotency_key = NULL WHERE uploader_id = $1 AND idempotency_key = $2`,
);

/** The bytes user `$1`'s files take together (each file counted whole). */
export const usedBytes = sql(
  'files.used',
  `SELECT coalesce(sum(size), 0)::bigint AS used FROM files WHERE uploader_id = $1`,
);

/** Serialises one user's file creations (the quota is checked under it). */
export const lockUploader = sql(
  'files.lock_uploader',
  `SELECT pg_advisory_xact_lock(7238, ($1 % 2147483647)::int)`,
);

/**
 * One more reference to the content `$1` (`$2` its bytes' key, `$3` size): a new blob row, or
 * +1 on the one there. Answers the key the content is kept under (the caller's when new).
 */
export const referenceBlob = sql(
  'files.reference_blob',
  `INSERT INTO file_blobs AS b (sha256, store_key, size, refs) VALUES ($1, $2, $3, 1)
   ON CONFLICT (sha256) DO UPDATE SET refs = b.refs + 1
   RETURNING b.store_key`,
);

export const insertFile = sql(
  'files.insert',
  `INSERT INTO files (id, uploader_id, name, size, content_type, sha256, image_width,
                      image_height, thumbnail_sha256, thumbnail_type, idempotency_key)
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
   RETURNING msgr_file_json(files.*) AS file`,
);

export const fileJson = sql(
  'files.json',
  `SELECT msgr_file_json(f.*) AS file FROM files f WHERE f.id = $1`,
);

/** The file objects of `$1` (ids), in no particular order. */
export type FileJsonRow = { file: FileObject };

// ---- uploads ----

export interface UploadRow {
  id: string;
  user_id: number;
  length: number | null;
  metadata: Record<string, string | null>;
  idempotency_key: string | null;
  request_hash: Buffer | null;
  file_id: string | null;
  created_at: Date;
  expires_at: Date;
}

/**
 * A new upload of user `$2` under id `$1`, expiring in `$3` seconds, claiming Idempotency-Key
 * `$4` (with `$5`, the hash of what it asks) when given. No row back: the key is taken.
 */
export const claimUpload = sql(
  'uploads.claim',
  `INSERT INTO uploads (id, user_id, expires_at, idempotency_key, request_hash)
   VALUES ($1, $2, now() + make_interval(secs => $3), $4, $5)
   ON CONFLICT (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
   RETURNING id`,
);

/** Frees the Idempotency-Key of upload `$1` (its window has passed). */
export const releaseUploadKey = sql(
  'uploads.release_key',
  `UPDATE uploads SET idempotency_key = NULL WHERE id = $1`,
);

/** User `$1`'s upload under Idempotency-Key `$2`. */
export const uploadByKey = sql(
  'uploads.by_key',
  `SELECT * FROM uploads WHERE user_id = $1 AND idempotency_key = $2`,
);

export const uploadById = sql('uploads.by_id', `SELECT * FROM uploads WHERE id = $1`);

/** The same, its row locked (one completion at a time). */
export const lockUpload = sql('uploads.lock', `SELECT * FROM uploads WHERE id = $1 FOR UPDATE`);

export const describeUpload = sql(
  'uploads.describe',
  `UPDATE uploads SET length = $2, metadata = $3 WHERE id = $1`,
);

export const declareLength = sql(
  'uploads.declare_length',
  `UPDATE uploads SET length = $2 WHERE id = $1`,
);

/** Upload `$1` became file `$2`; it answers HEAD for `$3` seconds more. */
export const finishUpload = sql(
  'uploads.finish',
  `UPDATE uploads SET file_id = $2, expires_at = now() + make_interval(secs => $3) WHERE id = $1`,
);

export const removeUpload = sql('uploads.remove', `DELETE FROM uploads WHERE id = $1`);

/**
 * Takes upload `$1`'s lease for holder `$2` for `$3` ms when it is free, expired or already
 * `$2`'s. No row back: another request holds it, and has now been asked to let go.
 */
export const takeLease = sql(
  'uploads.take_lease',
  `WITH taken AS (
     UPDATE uploads SET lease_holder = $2, lease_wanted = false,
                        lease_until = clock_timestamp() + make_interval(secs => $3 / 1000.0)
     WHERE id = $1 AND (lease_holder IS NULL OR lease_holder = $2
                        OR lease_until < clock_timestamp())
     RETURNING 1
   ), asked AS (
     UPDATE uploads SET lease_wanted = true
     WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM taken) AND lease_holder IS DISTINCT FROM $2
   )
   SELECT EXISTS (SELECT 1 FROM taken) AS taken,
          EXISTS (SELECT 1 FROM uploads WHERE id = $1) AS exists`,
);

/** Holder `$2` keeps upload `$1`'s lease `$3` ms more; answers whether another asked for it. */
export const renewLease = sql(
  'uploads.renew_lease',
  `UPDATE uploads SET lease_until = clock_timestamp() + make_interval(secs => $3 / 1000.0)
   WHERE id = $1 AND lease_holder = $2 RETURNING lease_wanted`,
);

export const dropLease = sql(
  'uploads.drop_lease',
  `UPDATE uploads SET lease_holder = NULL, lease_until = NULL, lease_wanted = false
   WHERE id = $1 AND lease_holder = $2`,
);

// ---- the sweep ----

/** Up to `$1` expired uploads, locked; with whether a blob owns their bytes (then kept). */
export const expiredUploads = sql(
  'sweep.expired_uploads',
  `SELECT u.id FROM uploads u WHERE u.expires_at < now()
   ORDER BY u.expires_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
);

/** Whether a blob owns store key `$1`. */
export const isKeyOwned = sql(
  'sweep.key_owned',
  `SELECT EXISTS (SELECT 1 FROM file_blobs WHERE store_key = $1) AS owned`,
);

/**
 * Deletes up to `$2` files attached to no message and older than `$1` seconds, and lets go of
 * their blobs; answers how many files went. A send attaching one at the same moment either went first (the file is attached:
 * the recheck after the lock wait skips it) or fails on the missing file.
 */
export const sweepOrphans = sql(
  'sweep.orphans',
  `WITH doomed AS (
     SELECT id FROM files WHERE attached_count = 0
       AND created_at < now() - make_interval(secs => $1)
     ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED
   ), gone AS (
     DELETE FROM files f USING doomed d WHERE f.id = d.id AND f.attached_count = 0
     RETURNING f.sha256, f.thumbnail_sha256
   ), released AS (
     SELECT sha256 AS h FROM gone UNION ALL
     SELECT thumbnail_sha256 FROM gone WHERE thumbnail_sha256 IS NOT NULL
   ), counted AS (
     SELECT h, count(*)::int AS n FROM released GROUP BY h
   ), let_go AS (
     UPDATE file_blobs b SET refs = b.refs - c.n FROM counted c WHERE b.sha256 = c.h
   )
   SELECT count(*)::int AS files FROM gone`,
);

/** Up to `$1` blobs nobody refers to, locked until the sweep's transaction ends. */
export const unreferencedBlobs = sql(
  'sweep.unreferenced',
  `SELECT sha256, store_key FROM file_blobs WHERE refs = 0
   LIMIT $1 FOR UPDATE SKIP LOCKED`,
);

export const removeBlob = sql(
  'sweep.remove_blob',
  `DELETE FROM file_blobs WHERE sha256 = $1 AND refs = 0`,
);
