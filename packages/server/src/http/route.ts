/**
 * Routes are declared once, as data: the same declaration validates requests at run time and
 * describes the endpoint in the OpenAPI document. No hand-kept twin of either.
 */
import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { assertScope, type Need } from '../auth/api-tokens.js';
import { bearerToken, type AuthUser } from '../auth/tokens.js';
import { UnauthorizedError } from '../domain/errors.js';
import { addressKey, takeToken } from '../domain/limits.js';
import type { Services } from '../services.js';
import { contextOf } from './observe.js';
import { HttpError } from './problem.js';
import { Problem } from '../contract/schemas.js';

type AnyObject = z.ZodType<Record<string, unknown>, Record<string, unknown>>;

export interface Reply {
  status: number;
  body?: unknown;
  /** The body as JSON text already (frames kept as text are not parsed to be written again). */
  json?: string;
  /** The body as bytes, streamed (downloads); not read at all for HEAD. */
  stream?: () => Readable;
  headers?: Record<string, string>;
}

interface Context<P, Q, B, IsPublic> {
  params: P;
  query: Q;
  body: B;
  req: Request;
  /** For the rare route that must set a header itself before failing (see routes/files.ts). */
  res: Response;
  /** Aborted when the client goes away before its answer (long waits stop then). */
  readonly signal: AbortSignal;
  services: Services;
  /** The caller; present on every route that is not public. */
  user: IsPublic extends true ? undefined : AuthUser;
}

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** The media type of a body of bytes (described as binary), instead of a JSON `schema`. */
  bytes?: string;
  headers?: Record<string, string>;
}

export interface RouteSpec<
  P extends AnyObject = AnyObject,
  Q extends AnyObject = AnyObject,
  B extends z.ZodType = z.ZodType,
  IsPublic extends boolean = boolean,
> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI style: `/messages/user/{user_id}`. */
  path: string;
  /** The operation's name, which code generators of every language name their method after. */
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  isPublic?: IsPublic;
  /**
   * What an API token needs to call it: by default `read` for GET, `write` for the rest;
   * `login` for what only a login session may do (managing tokens and bots).
   */
  need?: Need;
  params?: P;
  query?: Q;
  body?: B;
  /**
   * The body is bytes the handler streams from `req` itself (uploads): any content type, no
   * parser, no size limit here. Its description for the document.
   */
  rawBody?: string;
  /** Accept an `application/x-www-form-urlencoded` body too (only /login does). */
  acceptsForm?: boolean;
  /**
   * Counts the request against its client address's RATE_LIMIT_IP_PER_MINUTE (the
   * unauthenticated entry points: /login, /register, /token/refresh).
   */
  isIpLimited?: boolean;
  /** Documented answers besides the error codes listed in `errors`. */
  responses: Record<number, ResponseSpec>;
  /** Problem answers this route documents, by status. */
  errors?: Record<number, string>;
  handler: (
    ctx: Context<z.output<P>, z.output<Q>, z.output<B>, IsPublic>,
  ) => Promise<Reply> | Reply;
}

/**
 * What a handler is given. A class, not an object literal with `get signal()`: V8 gives each
 * such literal a hidden class of its own, kept in old space, whose getter holds the request's
 * closure scope until the next full collection (see `Context` in observe.ts).
 */
class HandlerContext {
  private gone: AbortController | undefined;

  constructor(
    readonly params: unknown,
    readonly query: unknown,
    readonly body: unknown,
    readonly req: Request,
    readonly res: Response,
    readonly services: Services,
    readonly user: AuthUser | undefined,
  ) {}

  /** Made on first use: most handlers never wait. */
  get signal(): AbortSignal {
    if (!this.gone) {
      const controller = (this.gone = new AbortController());
      this.res.once('close', () => controller.abort());
    }
    return this.gone.signal;
  }
}

/** Identity, for type inference: `route({...})` checks the handler against the schemas. */
export function route<
  P extends AnyObject,
  Q extends AnyObject,
  B extends z.ZodType,
  IsPublic extends boolean = false,
>(spec: RouteSpec<P, Q, B, IsPublic>): RouteSpec {
  return spec;
}

const JSON_LIMIT = '64kb';
/**
 * The Content-Type the SDK, the CLI and most clients send, said the one usual way: known at the
 * cost of a comparison, where type-is parses the header and looks the type up each time.
 */
const isCanonicalJson = (type: string | undefined) =>
  type === 'application/json' || type === 'application/json; charset=utf-8';

/** Parses the bodies body-parser's JSON parser parses; the usual Content-Type known at once. */
const jsonBody = express.json({
  limit: JSON_LIMIT,
  type: (req) =>
    isCanonicalJson(req.headers['content-type']) ||
    Boolean((req as Request).is('application/json')),
});
const formBody = express.urlencoded({ extended: false, limit: JSON_LIMIT, parameterLimit: 50 });

/** `value` as `schema` reads it, or 422 `validation_failed` naming `where` (path, query, body). */
export function parse<S extends z.ZodType>(schema: S | undefined, value: unknown, where: string) {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = result.error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  throw new HttpError(
    422,
    'validation_failed',
    `invalid ${where}: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    errors,
  );
}

/**
 * The caller of a request that needs one (a valid bearer access token or API token), or 401;
 * 403 `insufficient_scope` when it is an API token that may not do what `need` says.
 */
export async function callerOf(req: Request, services: Services, need: Need): Promise<AuthUser> {
  const user = await services.authenticate(callerToken(req));
  assertScope(user, need);
  return user;
}

/** What a route needs of an API token: GET and HEAD read, every other method writes. */
function needOf(spec: RouteSpec): Need {
  return spec.need ?? (spec.method === 'get' ? 'read' : 'write');
}

function callerToken(req: Request): string {
  const token = bearerToken(req.get('authorization'));
  if (!token) {
    throw new UnauthorizedError(
      'missing_token',
      'send Authorization: Bearer <access token or API token>',
    );
  }
  return token;
}

/**
 * JSON is UTF-8 (RFC 8259 §8.1), and so are our forms. The body parsers would decode UTF-7,
 * UTF-16 or UTF-32 when told to; such a body is refused instead of being guessed at.
 */
const UTF8 = ['utf-8', 'utf8'];

function charsetOf(contentType: string | undefined): string | undefined {
  return /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
}

/**
 * `json` (JSON text) as the answer, with `status`. As bytes whose type is set already: given a
 * string, Express's res.json and res.send parse and format the Content-Type twice and measure
 * the text once more than writing it does. The answer is the same to the byte.
 */
function sendJson(res: Response, status: number, json: string): void {
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.status(status).send(Buffer.from(json));
}

function toExpressPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}

/** The first segment of a path (`messages` of `/messages/user/5`), as the routers are keyed. */
function firstSegment(path: string): string {
  const end = path.indexOf('/', 1);
  // Express matches paths case-insensitively; so does this lookup.
  return (end < 0 ? path.slice(1) : path.slice(1, end)).toLowerCase();
}

/**
 * Mounts `routes`, each behind its content-type check, parsers and validation: one router per
 * first path segment, so that a request is matched against its own group's few routes, not
 * against every route of the API in turn.
 */
export function buildRouter(routes: readonly RouteSpec[], services: Services): RequestHandler {
  const routers = new Map<string, Router>();
  for (const spec of routes) {
    const segment = firstSegment(spec.path);
    if (segment.includes('{')) throw new Error(`${spec.path}: the first segment must be literal`);
    let router = routers.get(segment);
    if (!router) routers.set(segment, (router = express.Router()));
    const accepted = spec.acceptsForm
      ? ['application/json', 'application/x-www-form-urlencoded']
      : ['application/json'];
    const checkType: RequestHandler = (req, _res, next) => {
      // Every route with a body takes JSON in UTF-8.
      if (isCanonicalJson(req.headers['content-type'])) {
        next();
        return;
      }
      const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding');
      if (hasBody && !req.is(accepted)) {
        throw new HttpError(
          415,
          'unsupported_media_type',
          `send the body as ${accepted.join(' or ')}`,
        );
      }
      const charset = charsetOf(req.get('content-type'));
      if (hasBody && charset !== undefined && !UTF8.includes(charset)) {
        throw new HttpError(415, 'unsupported_media_type', 'send the body in UTF-8');
      }
      next();
    };
    const handle: RequestHandler = async (req, res) => {
      const user = spec.isPublic ? undefined : await callerOf(req, services, needOf(spec));
      if (user) contextOf(res).userId = user.userId;
      const ctx = new HandlerContext(
        parse(spec.params, req.params, 'path'),
        // Express parses the query string on every read of req.query: only when it is wanted.
        spec.query ? parse(spec.query, req.query, 'query') : undefined,
        parse(spec.body, req.body, 'body'),
        req,
        res,
        services,
        user,
      );
      const reply = await spec.handler(ctx as Parameters<typeof spec.handler>[0]);
      if (reply.headers) res.set(reply.headers);
      if (reply.stream) {
        res.status(reply.status);
        if (req.method === 'HEAD') res.end();
        // A store failing midway can only cut the answer: its length said more was coming.
        else await pipeline(reply.stream(), res).catch(() => res.destroy());
      } else if (reply.json !== undefined) sendJson(res, reply.status, reply.json);
      else if (reply.body === undefined) res.status(reply.status).end();
      else sendJson(res, reply.status, JSON.stringify(reply.body));
    };
    // Before the body is read: a flood is refused at the cost of one statement.
    const limitAddress: RequestHandler = async (req, _res, next) => {
      await takeToken(
        services.db,
        `ip:${addressKey(req.ip)}`,
        services.config.rateLimitIpPerMinute,
        'requests from your address',
      );
      next();
    };
    const stack: RequestHandler[] = spec.body
      ? [checkType, jsonBody, ...(spec.acceptsForm ? [formBody] : []), handle]
      : [handle];
    if (spec.isIpLimited) stack.unshift(limitAddress);
    // The first handler names the route (for logs and metrics) itself: a layer of its own
    // would cost every request another turn of the router.
    const [first, ...rest] = stack;
    const labelled: RequestHandler = (req, res, next) => {
      contextOf(res).route = spec.path;
      return first!(req, res, next);
    };
    router[spec.method](toExpressPath(spec.path), labelled, ...rest);
  }
  return (req, res, next) => {
    const router = routers.get(firstSegment(req.path));
    if (router) router(req, res, next);
    else next();
  };
}

/** Bytes, as OpenAPI 3.1 describes a body that is not JSON. */
const BYTES = z.string().meta({ format: 'binary' });

/** Describes `routes` in `registry` for the OpenAPI document. */
export function registerRoutes(registry: OpenAPIRegistry, routes: readonly RouteSpec[]): void {
  for (const spec of routes) {
    const problem = { 'application/problem+json': { schema: Problem } };
    const responses: RouteConfig['responses'] = {};
    for (const [status, r] of Object.entries(spec.responses)) {
      responses[status] = {
        description: r.description,
        ...(r.schema ? { content: { 'application/json': { schema: r.schema } } } : {}),
        ...(r.bytes ? { content: { [r.bytes]: { schema: BYTES } } } : {}),
        ...(r.headers
          ? {
              headers: Object.fromEntries(
                Object.entries(r.headers).map(([name, description]) => [
                  name,
                  { description, schema: { type: 'string' } },
                ]),
              ),
            }
          : {}),
      };
    }
    const errors: Record<number, string> = { ...spec.errors };
    // Any request may be malformed before a route sees it (see http/problem.ts).
    errors[400] ??= '`bad_request`: a malformed URL, percent-encoding, header or framing.';
    if (!spec.isPublic) errors[401] ??= 'Missing, malformed, expired or forged access token.';
    if (spec.params || spec.query || spec.body) errors[422] ??= 'The input failed validation.';
    if (spec.isIpLimited) {
      errors[429] ??= '`rate_limited`: too many requests from this address (`Retry-After`).';
    }
    if (spec.body) {
      errors[413] ??= 'Body over 64 KiB.';
      errors[415] ??= 'Unsupported content type.';
    }
    for (const [status, description] of Object.entries(errors)) {
      responses[status] = { description, content: problem };
    }
    const bodyContent: Record<string, { schema: z.ZodType }> = {};
    if (spec.rawBody) bodyContent['application/octet-stream'] = { schema: BYTES };
    if (spec.body) {
      if (spec.acceptsForm && spec.body instanceof z.ZodUnion) {
        const [json, form] = spec.body.options as [z.ZodType, z.ZodType];
        bodyContent['application/x-www-form-urlencoded'] = { schema: form };
        bodyContent['application/json'] = { schema: json };
      } else {
        bodyContent['application/json'] = { schema: spec.body };
      }
    }
    registry.registerPath({
      method: spec.method,
      path: spec.path,
      operationId: spec.operationId,
      summary: spec.summary,
      ...(spec.description ? { description: spec.description } : {}),
      tags: [spec.tag],
      // Public routes say so: the document's default is a bearer token.
      security: spec.isPublic ? [] : [{ OAuth2PasswordBearer: [] }, { BearerAuth: [] }],
      request: {
        ...(spec.params ? { params: spec.params as z.ZodObject } : {}),
        ...(spec.query ? { query: spec.query as z.ZodObject } : {}),
        ...(spec.body || spec.rawBody
          ? {
              body: {
                required: true,
                content: bodyContent,
                ...(spec.rawBody ? { description: spec.rawBody } : {}),
              },
            }
          : {}),
      },
      responses,
    });
  }
}
