/**
 * Per request: an id (the caller's `X-Request-Id` when sane, else a new one, echoed in the
 * answer), a child logger carrying it, one access-log line and the HTTP metrics when the answer
 * is done. Routes fill in their template and the caller's id as they learn them.
 */
import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { Logger } from '../logger.js';
import { UNMATCHED_ROUTE, type Metrics } from '../metrics.js';

export interface RequestContext {
  readonly id: string;
  readonly log: Logger;
  /** The route template (`/messages/user/{user_id}`), once a route matched. */
  route?: string;
  /** The caller, once its token was verified. */
  userId?: number;
}

/**
 * A class, not an object literal with `get log()`: V8 gives each such literal a hidden class of
 * its own, kept in old space, whose getter holds this request's closure scope (`req`, `res`, …)
 * until the next full collection. Every request then outlived the young generation: 8 KB of it
 * promoted per request, a quarter of the main thread in scavenges (`docs/performance.md`).
 */
class Context implements RequestContext {
  route?: string;
  userId?: number;
  private child: Logger | undefined;

  constructor(
    readonly id: string,
    private readonly logger: Logger,
  ) {}

  /** Made on first use: a silent or quiet level never needs it (a child costs a send ~1 %). */
  get log(): Logger {
    return (this.child ??= this.logger.child({ req_id: this.id }));
  }
}

/** Ids from load balancers and clients: UUIDs, hex, base64 and the like; nothing to inject. */
const SANE_REQUEST_ID = /^[\w.:+=@/-]{1,128}$/;

/** The caller's request id when it is sane, else a new UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

/** Probes and scrapes arrive every few seconds: their access lines are debug, not info. */
const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

/** Nginx's code for "the client went away before the answer": keeps such requests countable. */
const CLIENT_CLOSED = 499;

/** Seconds since `start`, a `process.hrtime.bigint()`. */
export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** This request's context; set by {@link observeRequests}, first in the chain. */
export function contextOf(res: Response): RequestContext {
  return res.locals.msgr as RequestContext;
}

/** Names the route template of a request (for logs and the `route` metric label). */
export function routeLabel(route: string): RequestHandler {
  return (_req, res, next) => {
    contextOf(res).route = route;
    next();
  };
}

/** First middleware: the request id, the request's logger, its access line and its metrics. */
export function observeRequests(logger: Logger, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const startedAt = process.hrtime.bigint();
    const id = requestIdFrom(req.headers['x-request-id']);
    const context = new Context(id, logger);
    res.locals.msgr = context;
    res.setHeader('X-Request-Id', id);
    // `on`, not `once`: 'close' comes once, and a once-wrapper costs every request.
    res.on('close', () => {
      const seconds = secondsSince(startedAt);
      const route = context.route ?? UNMATCHED_ROUTE;
      const status = res.writableFinished ? res.statusCode : CLIENT_CLOSED;
      metrics.observeRequest(route, status, seconds);
      const level = QUIET_ROUTES.has(route) ? 'debug' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const line = {
        method: req.method,
        route,
        // The path only when no route matched: it is what one needs to see, and nothing else.
        ...(context.route ? {} : { path: req.path.slice(0, 200) }),
        status,
        duration_ms: Math.round(seconds * 1e4) / 10,
        ...(context.userId !== undefined ? { user_id: context.userId } : {}),
      };
      context.log[level](line, 'request');
    });
    next();
  };
}
