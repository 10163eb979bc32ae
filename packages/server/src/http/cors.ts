import type { RequestHandler } from 'express';

/**
 * CORS for browser apps on other origins (the SDK runs in browsers). Tokens travel in the
 * Authorization header, never in cookies, so no credentials are allowed and `*` is a safe
 * default; set CORS_ORIGINS to a list to narrow it.
 */
/** What browser code may send: ours, ranges, and tus's (resumable uploads, /uploads). */
const ALLOWED = [
  'Authorization',
  'Content-Type',
  'X-Request-Id',
  'Idempotency-Key',
  'Range',
  'If-None-Match',
  'Tus-Resumable',
  'Upload-Length',
  'Upload-Defer-Length',
  'Upload-Offset',
  'Upload-Metadata',
].join(', ');

/** What browser code may read of an answer. */
const EXPOSED = [
  'Idempotent-Replayed',
  'Retry-After',
  'X-Request-Id',
  'Location',
  'ETag',
  'Content-Range',
  'Content-Disposition',
  'Tus-Resumable',
  'Tus-Version',
  'Tus-Extension',
  'Tus-Max-Size',
  'Upload-Offset',
  'Upload-Length',
  'Upload-Expires',
  'Msgr-File-Id',
].join(', ');

export function cors(allowed: readonly string[]): RequestHandler {
  const isAny = allowed.includes('*');
  return (req, res, next) => {
    const origin = req.get('origin');
    if (!origin || (!isAny && !allowed.includes(origin))) {
      next();
      return;
    }
    res.set('Access-Control-Allow-Origin', isAny ? '*' : origin);
    if (!isAny) res.vary('Origin');
    res.set('Access-Control-Expose-Headers', EXPOSED);
    if (req.method === 'OPTIONS' && req.get('access-control-request-method')) {
      res.set('Access-Control-Allow-Methods', 'GET, HEAD, POST, PUT, PATCH, DELETE');
      res.set('Access-Control-Allow-Headers', ALLOWED);
      res.set('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}
