import type { RequestHandler } from 'express';

/**
 * CORS for browser apps on other origins (the SDK runs in browsers). Tokens travel in the
 * Authorization header, never in cookies, so no credentials are allowed and `*` is a safe
 * default; set CORS_ORIGINS to a list to narrow it.
 */
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
    res.set('Access-Control-Expose-Headers', 'Idempotent-Replayed, Retry-After, X-Request-Id');
    if (req.method === 'OPTIONS' && req.get('access-control-request-method')) {
      res.set('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE');
      res.set('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Request-Id');
      res.set('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}
