/**
 * Resumable uploads: the tus 1.0.0 protocol at `/uploads` (contract v1.3), spoken by
 * `@tus/server`. What is ours:
 *
 * - {@link UploadsStore}, the tus DataStore over our stores and the `uploads` table: an upload's
 *   offset is what the store holds of `up/<id>`, so a PATCH cut at any byte resumes after the
 *   last byte kept, on any instance.
 * - {@link LeaseLocker}: one request at a time writes to an upload, across instances — a lease
 *   on its row, renewed while held. A request that finds it held asks the holder to let go (the
 *   holder is usually a PATCH whose client is gone) and waits for it, as tus's own in-memory
 *   locker does within one process.
 * - The route around it: the caller's token, ownership (someone else's upload is 404),
 *   `Idempotency-Key` on creation, the quota and rate limit, `Msgr-File-Id` once complete, and
 *   problem+json for every refusal (tus answers text).
 */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Server as TusServer } from '@tus/server';
import { DataStore, ERRORS, Upload, type Lock, type Locker } from '@tus/utils';
import type { Request, RequestHandler, Response } from 'express';
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomUUID } from 'node:crypto';
import { pipeline, type Readable } from 'node:stream';
import { z } from 'zod';
import { NodeRequest, sendNodeResponse } from 'srvx/node';
import type { AuthUser } from '../auth/tokens.js';
import * as F from '../db/files-queries.js';
import { UnprocessableError } from '../domain/errors.js';
import {
  checkQuota,
  claimUpload,
  completeUpload,
  discardUpload,
  newFileId,
  Prober,
  stagedKey,
  takeUploadToken,
  type Probe,
} from '../domain/files.js';
import { idempotencyKeyOf } from '../http/idempotency-key.js';
import { routeLabel } from '../http/observe.js';
import { HttpError, problemBody, problemFor, type ProblemAnswer } from '../http/problem.js';
import { callerOf } from '../http/route.js';
import { Problem } from '../contract/schemas.js';
import type { Services } from '../services.js';

export const UPLOADS_PATH = '/uploads';

/**
 * The request being served: who, (creations) the upload id claimed for it, and what its bytes
 * were when they began at offset 0 — then an upload finished by this one request need not be
 * read back to learn its hash and type.
 */
interface Caller {
  user: AuthUser;
  claimedId?: string;
  probed?: { uploadId: string; probe: Probe };
}
const caller = new AsyncLocalStorage<Caller>();

function currentCaller(): Caller {
  const found = caller.getStore();
  if (!found) throw new Error('an upload request outside its caller');
  return found;
}

/** A refusal tus answers with as it is (tus reads `status_code` and `body` of what is thrown). */
class TusRefusal extends Error {
  readonly status_code: number;
  readonly body: string;

  constructor(refusal: { status_code: number; body: string }) {
    super(refusal.body);
    this.status_code = refusal.status_code;
    this.body = refusal.body;
  }
}

/** Our problem document, as tus's refusal. */
function tusError(problem: ProblemAnswer): TusRefusal {
  return new TusRefusal({
    status_code: problem.status,
    body: JSON.stringify(problemBody(problem)),
  });
}

/** How many bytes of the upload are in: its staged bytes' size until it is a file. */
async function offsetOf(s: Services, row: F.UploadRow): Promise<number> {
  // Once a file, its bytes may be a blob's (or gone, a duplicate): it is whole.
  if (row.file_id !== null && row.length !== null) return row.length;
  return s.store.size(stagedKey(row.id));
}

class UploadsStore extends DataStore {
  constructor(private readonly s: Services) {
    super();
    this.extensions = [
      'creation',
      'creation-with-upload',
      'creation-defer-length',
      'termination',
      'expiration',
    ];
  }

  override async create(upload: Upload): Promise<Upload> {
    await this.s.db.query(F.describeUpload, [
      upload.id,
      upload.size ?? null,
      upload.metadata ?? {},
    ]);
    upload.creation_date = new Date().toISOString();
    return upload;
  }

  override async write(stream: Readable, id: string, offset: number): Promise<number> {
    if (offset !== 0) return this.s.store.append(stagedKey(id), offset, stream);
    const prober = new Prober();
    const end = await this.s.store.append(
      stagedKey(id),
      0,
      pipeline(stream, prober, () => undefined),
    );
    const probe = await prober.result();
    // Every byte from the first went through the prober: it describes the whole upload so far.
    if (probe.size === end) currentCaller().probed = { uploadId: id, probe };
    return end;
  }

  override async getUpload(id: string): Promise<Upload> {
    const [row] = await this.s.db.query<F.UploadRow>(F.uploadById, [id]);
    if (!row) throw new TusRefusal(ERRORS.FILE_NOT_FOUND);
    return new Upload({
      id,
      offset: await offsetOf(this.s, row),
      metadata: row.metadata,
      creation_date: row.created_at.toISOString(),
      ...(row.length === null ? {} : { size: row.length }),
    });
  }

  override async remove(id: string): Promise<void> {
    await discardUpload(this.s, id);
  }

  override async declareUploadLength(id: string, length: number): Promise<void> {
    await this.s.db.query(F.declareLength, [id, length]);
  }

  override getExpiration(): number {
    return this.s.config.uploadExpirySeconds * 1000;
  }

  /** The leader's file sweep removes expired uploads (domain/files.ts). */
  override deleteExpired(): Promise<number> {
    return Promise.resolve(0);
  }
}

/** How long a lease lasts unrenewed: what a killed instance's upload waits at most. */
const LEASE_MS = 10_000;
const RENEW_MS = 3_000;
const POLL_MS = 100;
/** A request waits this long for a lease before answering 423 (clients retry). */
const WAIT_MS = LEASE_MS + 2_000;

const LOCKED = tusError({
  status: 423,
  code: 'upload_conflict',
  detail: 'another request is writing to this upload: retry shortly',
});

class LeaseLocker implements Locker {
  constructor(private readonly s: Services) {}

  newLock(id: string): Lock {
    const { db } = this.s;
    const holder = randomUUID();
    let renewal: NodeJS.Timeout | undefined;
    return {
      async lock(signal: AbortSignal, cancelReq: () => void): Promise<void> {
        const deadline = Date.now() + WAIT_MS;
        for (;;) {
          const [row] = await db.query<{ taken: boolean; exists: boolean }>(F.takeLease, [
            id,
            holder,
            LEASE_MS,
          ]);
          // No such upload: nothing to guard; the handler answers 404.
          if (row?.taken || !row?.exists) break;
          if (signal.aborted || Date.now() > deadline) throw LOCKED;
          await new Promise((r) => setTimeout(r, POLL_MS));
        }
        renewal = setInterval(() => {
          db.query<{ lease_wanted: boolean }>(F.renewLease, [id, holder, LEASE_MS])
            .then(([row]) => {
              if (row?.lease_wanted) cancelReq();
            })
            .catch(() => undefined);
        }, RENEW_MS);
        renewal.unref();
      },
      async unlock(): Promise<void> {
        clearInterval(renewal);
        await db.query(F.dropLease, [id, holder]);
      },
    };
  }
}

/** What a tus answer without a problem of ours is called, by status. */
const TUS_REFUSALS: Record<number, [string, string]> = {
  400: ['bad_request', 'the tus request is malformed'],
  403: ['bad_request', 'the tus request is not allowed'],
  404: ['upload_not_found', 'no upload with this id is yours'],
  409: ['upload_conflict', 'the upload is at another offset: HEAD it and resume from there'],
  410: ['upload_not_found', 'the upload expired'],
  412: ['bad_request', 'send Tus-Resumable: 1.0.0'],
  413: ['payload_too_large', 'the file is larger than UPLOAD_MAX_BYTES'],
  415: ['unsupported_media_type', 'send PATCH bodies as application/offset+octet-stream'],
  423: ['upload_conflict', 'another request is writing to this upload: retry shortly'],
  460: ['bad_request', 'the checksum does not match'],
};

/** A tus response made a problem+json one (ours pass through; its text ones get a code). */
async function asProblem(s: Services, response: globalThis.Response): Promise<globalThis.Response> {
  const text = await response.text();
  const headers = new Headers(response.headers);
  let body = text;
  if (!text.startsWith('{')) {
    const [code, detail] =
      TUS_REFUSALS[response.status] ??
      (response.status < 500
        ? ['bad_request', 'the tus request was refused']
        : ['internal_error', 'the server failed to answer this request']);
    if (response.status >= 500) s.logger.error({ status: response.status, text }, 'tus failed');
    body = JSON.stringify(problemBody({ status: response.status, code, detail }));
  }
  headers.set('Content-Type', 'application/problem+json');
  headers.set('Content-Length', String(Buffer.byteLength(body)));
  return new Response(body, { status: response.status, headers });
}

/** What an idempotent creation is bound to: its declared length and metadata. */
function creationHash(req: Request): Buffer {
  const parts = ['upload-length', 'upload-defer-length', 'upload-metadata'].map(
    (h) => req.get(h) ?? '',
  );
  return createHash('sha256').update(parts.join('\n')).digest();
}

/** The answer to a creation repeated under its Idempotency-Key: where the upload is now. */
async function replayCreation(s: Services, upload: F.UploadRow): Promise<globalThis.Response> {
  const offset = await offsetOf(s, upload);
  const headers = new Headers({
    'Tus-Resumable': '1.0.0',
    Location: `${UPLOADS_PATH}/${upload.id}`,
    'Upload-Offset': String(offset),
    'Idempotent-Replayed': 'true',
  });
  if (upload.file_id) headers.set('Msgr-File-Id', upload.file_id);
  return new Response(null, { status: 200, headers });
}

/**
 * A creation: its rate token, the quota for its declared length, and its row, claimed under its
 * Idempotency-Key when it has one. Answers a Response when this is a repeat (nothing more to do).
 */
async function claimCreation(
  s: Services,
  req: Request,
  who: Caller,
): Promise<globalThis.Response | undefined> {
  const key = idempotencyKeyOf(req);
  const hash = key === undefined ? null : creationHash(req);
  const window = s.config.idempotencyWindowSeconds;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (key !== undefined) {
      const [earlier] = await s.db.query<F.UploadRow>(F.uploadByKey, [who.user.userId, key]);
      if (earlier && earlier.created_at.getTime() > Date.now() - window * 1000) {
        if (!earlier.request_hash?.equals(hash!)) {
          throw new UnprocessableError(
            'idempotency_key_conflict',
            'this Idempotency-Key was used for another upload within the window: pick another',
          );
        }
        return replayCreation(s, earlier);
      }
      if (earlier) await s.db.query(F.releaseUploadKey, [earlier.id]);
    }
    const declared = Number(req.get('upload-length') ?? 0);
    if (Number.isSafeInteger(declared) && declared > 0) {
      await checkQuota(s, who.user.userId, declared);
    }
    await takeUploadToken(s, who.user.userId);
    const id = newFileId();
    const claimed = await claimUpload(s, [
      id,
      who.user.userId,
      s.config.uploadExpirySeconds,
      key ?? null,
      hash,
    ]);
    if (claimed) {
      who.claimedId = id;
      return undefined;
    }
    // Raced by the same key on another instance: answer what that one made.
  }
  throw new Error('an Idempotency-Key claim kept racing');
}

/** Mounts `/uploads` (tus) on an Express app. */
export function uploadsHandler(s: Services): RequestHandler[] {
  const tus = new TusServer({
    path: UPLOADS_PATH,
    datastore: new UploadsStore(s),
    locker: new LeaseLocker(s),
    maxSize: s.config.uploadMaxBytes,
    relativeLocation: true,
    disableTerminationForFinishedUploads: true,
    namingFunction: () => {
      const id = currentCaller().claimedId;
      if (!id) throw new Error('a tus creation without a claimed upload');
      return id;
    },
    onIncomingRequest: async (_req, id) => {
      const who = currentCaller();
      if (who.claimedId === id) return;
      const [row] = await s.db.query<F.UploadRow>(F.uploadById, [id]);
      if (!row || row.user_id !== who.user.userId) {
        throw tusError({
          status: 404,
          code: 'upload_not_found',
          detail: 'no upload with this id is yours',
        });
      }
    },
    onUploadFinish: async (_req, upload) => {
      const { probed } = currentCaller();
      try {
        const done = await completeUpload(s, upload.id, {
          name: upload.metadata?.filename ?? undefined,
          probe:
            probed?.uploadId === upload.id && probed.probe.size === upload.size
              ? probed.probe
              : undefined,
        });
        return { headers: { 'Msgr-File-Id': done.file.id } };
      } catch (err) {
        const problem = problemFor(err);
        if (problem) throw tusError(problem);
        throw err;
      }
    },
  });

  const serve: RequestHandler = async (req: Request, res: Response) => {
    if (req.method === 'GET') {
      throw new HttpError(
        405,
        'method_not_allowed',
        'a finished upload is read at /files/{id}',
        undefined,
        {
          headers: { Allow: 'POST, HEAD, PATCH, DELETE, OPTIONS' },
        },
      );
    }
    // OPTIONS (tus's discovery: version, extensions, max size) needs no token.
    const who: Caller | undefined =
      req.method === 'OPTIONS'
        ? undefined
        : { user: await callerOf(req, s, req.method === 'HEAD' ? 'read' : 'write') };
    if (!who) {
      await sendNodeResponse(res, await tus.handleWeb(new NodeRequest({ req, res })));
      return;
    }
    const isCreation = req.method === 'POST';
    if (isCreation) {
      const replay = await claimCreation(s, req, who);
      if (replay) {
        await sendNodeResponse(res, replay);
        return;
      }
    }
    let answer = await caller.run(who, () => tus.handleWeb(new NodeRequest({ req, res })));
    if (answer.status >= 400) {
      if (isCreation && who.claimedId) await discardUpload(s, who.claimedId).catch(() => undefined);
      answer = await asProblem(s, answer);
    } else if (req.method === 'HEAD') {
      answer = await withFileId(s, who, req, answer);
    }
    // Ours (cors.ts) stand: tus would allow any origin.
    for (const name of [...answer.headers.keys()]) {
      if (name.startsWith('access-control-')) answer.headers.delete(name);
    }
    await sendNodeResponse(res, answer);
  };
  return [routeLabel(UPLOADS_PATH), serve];
}

/**
 * A complete upload's HEAD names its file: made now if the instance that took its last byte
 * died before making it (the client, seeing every byte there, will not PATCH again).
 */
async function withFileId(
  s: Services,
  who: Caller,
  req: Request,
  answer: globalThis.Response,
): Promise<globalThis.Response> {
  const offset = answer.headers.get('upload-offset');
  if (offset === null || offset !== answer.headers.get('upload-length')) return answer;
  const id = req.path.split('/').pop() ?? '';
  const [row] = await s.db.query<F.UploadRow>(F.uploadById, [id]);
  if (!row || row.user_id !== who.user.userId) return answer;
  const fileId =
    row.file_id ??
    (await completeUpload(s, id, { name: row.metadata.filename ?? undefined })).file.id;
  answer.headers.set('Msgr-File-Id', fileId);
  return answer;
}

/** `/uploads` in the OpenAPI document (tus is not a route of ours, but clients should see it). */
export function registerUploadDocs(registry: OpenAPIRegistry): void {
  const problem = { 'application/problem+json': { schema: Problem } };
  const security: Record<string, string[]>[] = [{ OAuth2PasswordBearer: [] }, { BearerAuth: [] }];
  const header = (description: string) => ({ description, schema: { type: 'string' as const } });
  const refusals = {
    401: { description: 'Missing or bad access token.', content: problem },
    404: { description: '`upload_not_found`: not yours, or no such upload.', content: problem },
    409: {
      description: "`upload_conflict`: `Upload-Offset` is not the upload's.",
      content: problem,
    },
    410: { description: '`upload_not_found`: expired (UPLOAD_EXPIRY_SECONDS).', content: problem },
    413: { description: '`payload_too_large` or `quota_exceeded`.', content: problem },
    423: {
      description: '`upload_conflict`: another request is writing to it; retry.',
      content: problem,
    },
  };
  registry.registerPath({
    method: 'post',
    path: UPLOADS_PATH,
    operationId: 'createUpload',
    tags: ['files'],
    summary: 'Start a resumable upload (tus 1.0.0 creation)',
    description:
      'The tus 1.0.0 protocol (core, creation, creation-with-upload, creation-defer-length, ' +
      'termination, expiration), for any tus client. `Upload-Metadata` keys: `filename`, ' +
      '`filetype` (a hint; the type is detected from the bytes). With an `Idempotency-Key`, the ' +
      'same creation again within IDEMPOTENCY_WINDOW_SECONDS answers 200, ' +
      "`Idempotent-Replayed: true`, and the first upload's `Location` and `Upload-Offset`. " +
      'When the body completes the upload, the answer carries `Msgr-File-Id`.',
    security,
    responses: {
      201: {
        description: 'Created: `Location` is the upload.',
        headers: {
          Location: header('`/uploads/{upload_id}`.'),
          'Upload-Offset': header('Bytes kept (creation-with-upload).'),
          'Msgr-File-Id': header('The file, when the upload is complete.'),
        },
      },
      200: {
        description: 'The same creation under the same `Idempotency-Key`: the first upload.',
        headers: {
          Location: header('The first upload.'),
          'Idempotent-Replayed': header('`true`.'),
        },
      },
      ...refusals,
      422: {
        description: '`idempotency_key_conflict` or `idempotency_key_invalid`.',
        content: problem,
      },
      429: { description: '`rate_limited` (`Retry-After`).', content: problem },
    },
  });
  const idPath = `${UPLOADS_PATH}/{upload_id}`;
  const params = { params: z.object({ upload_id: z.string() }) };
  registry.registerPath({
    method: 'head',
    path: idPath,
    operationId: 'getUploadOffset',
    tags: ['files'],
    summary: 'Where a resumable upload stands (tus HEAD)',
    description: 'A complete upload answers `Msgr-File-Id`.',
    security,
    request: params,
    responses: {
      200: {
        description: 'Its offset.',
        headers: {
          'Upload-Offset': header('Bytes kept: resume from here.'),
          'Upload-Length': header('Its length, once declared.'),
          'Msgr-File-Id': header('The file, when the upload is complete.'),
        },
      },
      ...refusals,
    },
  });
  registry.registerPath({
    method: 'patch',
    path: idPath,
    operationId: 'appendToUpload',
    tags: ['files'],
    summary: 'Send more bytes (tus PATCH)',
    description:
      '`Content-Type: application/offset+octet-stream`, `Upload-Offset` = the current offset. ' +
      'A connection cut midway keeps what arrived; HEAD tells where to go on.',
    security,
    request: params,
    responses: {
      204: {
        description: 'Kept.',
        headers: {
          'Upload-Offset': header('The new offset.'),
          'Msgr-File-Id': header('The file, when this completed the upload.'),
        },
      },
      ...refusals,
    },
  });
  registry.registerPath({
    method: 'delete',
    path: idPath,
    operationId: 'cancelUpload',
    tags: ['files'],
    summary: 'Abandon an unfinished upload (tus termination)',
    security,
    request: params,
    responses: { 204: { description: 'Gone, with its bytes.' }, ...refusals },
  });
}
