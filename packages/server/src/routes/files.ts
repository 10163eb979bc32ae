import { z } from 'zod';
import * as files from '../domain/files.js';
import { contentDisposition, IMAGE_TYPES } from '../domain/media.js';
import { NotFoundError } from '../domain/errors.js';
import { bytesReply } from '../http/download.js';
import { HttpError } from '../http/problem.js';
import { route, type Reply } from '../http/route.js';
import { FileId, FileObject, FilesConfig } from '../contract/schemas.js';
import { idempotencyKeyOf } from '../http/idempotency-key.js';

const READ_RULE =
  'Allowed to its uploader and to the members of a chat with a non-deleted message that ' +
  'carries it; anyone else, and any unknown id, 404 `file_not_found` (never 403: existence is ' +
  'not revealed), also right after a removal from the chat.';

const BYTES_HEADERS = {
  ETag: 'The sha256 of the bytes, quoted.',
  'Accept-Ranges': '`bytes`.',
  'Content-Disposition': "`attachment; filename*=UTF-8''…` (`inline` for images).",
  'Content-Security-Policy': '`sandbox`: nothing in the file runs as a page.',
  'X-Content-Type-Options': '`nosniff`.',
};

const bytesResponses = (what: string) => ({
  200: { description: what, bytes: '*/*', headers: BYTES_HEADERS },
  206: {
    description: 'The one byte range asked for (`Range`), with `Content-Range`.',
    bytes: '*/*',
    headers: BYTES_HEADERS,
  },
  304: { description: '`If-None-Match` named its ETag.' },
});

const fileParams = z.object({ file_id: FileId });

function uploadReply(result: files.Completion): Reply {
  const headers: Record<string, string> = { Location: `/files/${result.file.id}` };
  if (result.isReplay) headers['Idempotent-Replayed'] = 'true';
  return { status: result.isReplay ? 200 : 201, body: result.file, headers };
}

export const fileRoutes = [
  route({
    method: 'post',
    path: '/files',
    operationId: 'uploadFile',
    tag: 'files',
    summary: 'Upload a file in one request',
    description:
      'The body is the file, streamed to the store (any `Content-Type`; what it is is detected ' +
      'from the bytes). Over UPLOAD_MAX_BYTES: 413 `payload_too_large`, before the body is read ' +
      'when Content-Length says so, else as soon as the limit is crossed; nothing is kept. Past ' +
      'UPLOAD_QUOTA_BYTES: 413 `quota_exceeded`. Each upload takes one of ' +
      'RATE_LIMIT_UPLOADS_PER_MINUTE. With an `Idempotency-Key`, the same upload again (same ' +
      'name and bytes) within IDEMPOTENCY_WINDOW_SECONDS answers the file made first, 200 and ' +
      '`Idempotent-Replayed: true`; other bytes or name under the key: 422 ' +
      '`idempotency_key_conflict`. For large files or flaky networks use the resumable ' +
      '`/uploads` (tus).',
    query: z.object({
      name: z
        .string()
        .max(4096)
        .optional()
        .meta({ description: 'The file name (cleaned: no path, no control characters).' }),
    }),
    rawBody: 'The bytes of the file.',
    responses: {
      201: { description: 'The new file.', schema: FileObject },
      200: {
        description: 'The same upload under the same `Idempotency-Key`: the file made first.',
        schema: FileObject,
        headers: { 'Idempotent-Replayed': 'Always `true` on this answer.' },
      },
    },
    errors: {
      413: '`payload_too_large` or `quota_exceeded`.',
      415: '`unsupported_media_type`: a `Content-Encoding` other than identity.',
      422: 'Invalid input, `idempotency_key_invalid` or `idempotency_key_conflict`.',
      429: '`rate_limited`: over RATE_LIMIT_UPLOADS_PER_MINUTE (`Retry-After`).',
    },
    handler: async ({ query, req, res, user, services }) => {
      const encoding = req.get('content-encoding');
      if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
        throw new HttpError(
          415,
          'unsupported_media_type',
          'send the file without Content-Encoding',
        );
      }
      const length = req.get('content-length');
      try {
        return uploadReply(
          await files.uploadWhole(services, user, req, {
            name: query.name,
            declaredLength: length === undefined ? undefined : Number(length),
            idempotencyKey: idempotencyKeyOf(req),
          }),
        );
      } catch (err) {
        // Refused before the body was read (or midway): the rest of it is not waited for.
        if (!req.complete) res.set('Connection', 'close');
        throw err;
      }
    },
  }),
  route({
    method: 'get',
    path: '/files/config',
    operationId: 'getFilesConfig',
    tag: 'files',
    summary: 'Upload limits, and how much of your quota your files take',
    responses: { 200: { description: 'The limits.', schema: FilesConfig } },
    handler: async ({ user, services }) => ({
      status: 200,
      body: await files.filesConfig(services, user),
    }),
  }),
  route({
    method: 'get',
    path: '/files/{file_id}',
    operationId: 'downloadFile',
    tag: 'files',
    summary: 'The bytes of a file',
    description: `${READ_RULE} One byte range (\`Range\`) → 206; unsatisfiable → 416 \`range_not_satisfiable\`.`,
    params: fileParams,
    responses: bytesResponses('The file.'),
    errors: {
      404: '`file_not_found`.',
      416: '`range_not_satisfiable` (`Content-Range: bytes */size`).',
    },
    handler: async ({ params, req, user, services }) => {
      const file = await files.readableFile(services, user, params.file_id);
      return bytesReply(req, {
        size: file.size,
        tag: file.sha256.toString('hex'),
        contentType: file.content_type,
        // Inline only for what was checked to be an image (not a bomb, not a mere signature).
        disposition: contentDisposition(
          file.image_width !== null && IMAGE_TYPES.has(file.content_type) ? 'inline' : 'attachment',
          file.name,
        ),
        read: (range) => services.store.read(file.store_key, range),
      });
    },
  }),
  route({
    method: 'get',
    path: '/files/{file_id}/info',
    operationId: 'getFileInfo',
    tag: 'files',
    summary: 'A file object',
    description: READ_RULE,
    params: fileParams,
    responses: { 200: { description: 'The file.', schema: FileObject } },
    errors: { 404: '`file_not_found`.' },
    handler: async ({ params, user, services }) => {
      const file = await files.readableFile(services, user, params.file_id);
      return { status: 200, body: file.file };
    },
  }),
  route({
    method: 'get',
    path: '/files/{file_id}/thumbnail',
    operationId: 'getFileThumbnail',
    tag: 'files',
    summary: "An image's thumbnail",
    description:
      `At most 320×320, aspect ratio kept, no metadata; made once, at upload. ${READ_RULE} ` +
      'Not an image (PNG, JPEG, GIF, WebP) → 404 `thumbnail_unavailable`.',
    params: fileParams,
    responses: bytesResponses('The thumbnail (JPEG or PNG).'),
    errors: {
      404: '`file_not_found` or `thumbnail_unavailable`.',
      416: '`range_not_satisfiable`.',
    },
    handler: async ({ params, req, user, services }) => {
      const file = await files.readableFile(services, user, params.file_id);
      if (!file.thumbnail_key || file.thumbnail_size === null || !file.thumbnail_type) {
        throw new NotFoundError('thumbnail_unavailable', 'this file has no thumbnail');
      }
      const key = file.thumbnail_key;
      return bytesReply(req, {
        size: file.thumbnail_size,
        tag: `${file.sha256.toString('hex')}-thumbnail`,
        contentType: file.thumbnail_type,
        disposition: contentDisposition('inline', `${file.name}.thumbnail`),
        read: (range) => services.store.read(key, range),
      });
    },
  }),
];
