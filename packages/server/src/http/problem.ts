/**
 * The one mapping from errors to problem answers (RFC 9457), for HTTP routes and WebSocket
 * upgrades alike. Known errors carry their status; an error of a library that says it is the
 * client's (a 4xx `status` or `statusCode`: the router's bad percent-encoding, body-parser's
 * lying Content-Encoding…) is answered with that status; anything else is a 500 and is logged.
 */
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  GoneError,
  NotFoundError,
  TooLargeError,
  RateLimitedError,
  UnauthorizedError,
  UnavailableError,
  UnprocessableError,
} from '../domain/errors.js';
import { DatabaseUnavailableError } from '../db/errors.js';
import { contextOf } from './observe.js';

/** An error raised by the HTTP layer itself (validation, content type, body size…). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors?: { path: string; message: string }[],
    options?: ErrorOptions & { headers?: Record<string, string> },
  ) {
    super(message, options);
    this.name = 'HttpError';
    this.headers = options?.headers;
  }

  /** Extra response headers (`Content-Range` of a 416). */
  readonly headers: Record<string, string> | undefined;
}

/** A problem answer, before it is written to an HTTP response or a refused upgrade. */
export interface ProblemAnswer {
  status: number;
  code: string;
  detail: string;
  errors?: { path: string; message: string }[];
  /** Extra response headers (`Retry-After`, `WWW-Authenticate`). */
  headers?: Record<string, string>;
}

export const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  417: 'Expectation Failed',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function domainStatus(err: DomainError): number {
  if (err instanceof NotFoundError) return 404;
  if (err instanceof ForbiddenError) return 403;
  if (err instanceof ConflictError) return 409;
  if (err instanceof GoneError) return 410;
  if (err instanceof TooLargeError) return 413;
  if (err instanceof UnprocessableError) return 422;
  if (err instanceof UnauthorizedError) return 401;
  if (err instanceof RateLimitedError) return 429;
  if (err instanceof UnavailableError) return 503;
  return 400;
}

/** body-parser's own failures, keyed by its `type`, turned into our codes. */
const BODY_PARSER_ERRORS: Record<string, [number, string, string]> = {
  'entity.too.large': [413, 'payload_too_large', 'the request body is too large'],
  'entity.parse.failed': [400, 'malformed_json', 'the request body is not valid JSON'],
  'entity.verify.failed': [400, 'bad_request', 'the request body was refused'],
  'encoding.unsupported': [415, 'unsupported_media_type', 'unsupported content encoding'],
  'charset.unsupported': [415, 'unsupported_media_type', 'unsupported charset'],
  'request.aborted': [400, 'request_aborted', 'the request was aborted'],
  'request.size.invalid': [400, 'bad_request', 'the request body does not match its length'],
  'stream.encoding.set': [400, 'bad_request', 'the request body could not be read'],
  'parameters.too.many': [413, 'payload_too_large', 'too many form parameters'],
};

/** What an unknown 4xx from a library is called: a stable code, never the library's text. */
const CLIENT_STATUS_CODES: Record<number, [string, string]> = {
  400: ['bad_request', 'the request is malformed (its URL, encoding or body)'],
  413: ['payload_too_large', 'the request is too large'],
  414: ['uri_too_long', 'the URL is too long'],
  415: ['unsupported_media_type', 'unsupported content type or encoding'],
  431: ['headers_too_large', 'the request headers are too large'],
};

function retryAfter(seconds: number): Record<string, string> {
  return { 'Retry-After': String(Math.max(1, Math.ceil(seconds))) };
}

/** The 4xx status an error of a library claims (`status` or `statusCode`), if any. */
function clientStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { status, statusCode } = err as { status?: unknown; statusCode?: unknown };
  const value = typeof status === 'number' ? status : statusCode;
  return typeof value === 'number' && Number.isInteger(value) && value >= 400 && value < 500
    ? value
    : undefined;
}

/** The problem answer for `err`, or undefined when it is not a known or client error (→ 500). */
export function problemFor(err: unknown): ProblemAnswer | undefined {
  if (err instanceof HttpError) {
    return {
      status: err.status,
      code: err.code,
      detail: err.message,
      ...(err.errors ? { errors: err.errors } : {}),
      ...(err.headers ? { headers: err.headers } : {}),
    };
  }
  if (err instanceof DatabaseUnavailableError) {
    return {
      status: 503,
      code: err.code,
      detail: err.message,
      headers: retryAfter(err.retryAfterSeconds),
    };
  }
  if (err instanceof DomainError) {
    const status = domainStatus(err);
    const headers =
      err instanceof RateLimitedError || err instanceof UnavailableError
        ? retryAfter(err.retryAfterSeconds)
        : err instanceof UnauthorizedError
          ? { 'WWW-Authenticate': 'Bearer' }
          : undefined;
    return { status, code: err.code, detail: err.message, ...(headers ? { headers } : {}) };
  }
  const type = (err as { type?: unknown } | null)?.type;
  const known = typeof type === 'string' ? BODY_PARSER_ERRORS[type] : undefined;
  if (known) return { status: known[0], code: known[1], detail: known[2] };
  const status = clientStatusOf(err);
  if (status === undefined) return undefined;
  const [code, detail] = CLIENT_STATUS_CODES[status] ?? ['bad_request', 'the request was refused'];
  return { status, code, detail };
}

/** The problem document's JSON body. */
export function problemBody(p: ProblemAnswer): object {
  return {
    type: `urn:msgr:problem:${p.code}`,
    title: STATUS_TITLES[p.status] ?? 'Error',
    status: p.status,
    detail: p.detail,
    code: p.code,
    ...(p.errors ? { errors: p.errors } : {}),
  };
}

export const INTERNAL_ERROR: ProblemAnswer = {
  status: 500,
  code: 'internal_error',
  detail: 'the server failed to answer this request',
};

export function sendProblem(res: Response, problem: ProblemAnswer): void {
  if (problem.headers) res.set(problem.headers);
  res.status(problem.status).type('application/problem+json').json(problemBody(problem));
}

/**
 * The one place where errors of HTTP requests become answers. Unknown errors are logged (with
 * the request's id) and become 500.
 */
export function problemHandler(): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const problem = problemFor(err);
    if (!problem) {
      contextOf(res).log.error({ err, method: req.method, path: req.path }, 'unhandled error');
    }
    sendProblem(res, problem ?? INTERNAL_ERROR);
  };
}

export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(res, {
    status: 404,
    code: 'route_not_found',
    detail: `no route for ${req.method} ${req.path.slice(0, 200)}`,
  });
};

/** A whole HTTP/1.1 answer carrying `problem`, written to a socket that no ServerResponse owns. */
export function rawProblemAnswer(problem: ProblemAnswer): string {
  const body = JSON.stringify(problemBody(problem));
  const headers = {
    Connection: 'close',
    'Content-Type': 'application/problem+json',
    'Content-Length': String(Buffer.byteLength(body)),
    ...problem.headers,
  };
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  return `HTTP/1.1 ${problem.status} ${STATUS_TITLES[problem.status] ?? 'Error'}\r\n${lines.join('')}\r\n${body}`;
}

/** Node's HTTP parser errors (`clientError`), by code; any other is a 400. */
const PARSER_ERRORS: Record<string, ProblemAnswer> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'headers_too_large',
    detail: 'the request line and headers are too large',
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: {
    status: 413,
    code: 'payload_too_large',
    detail: 'the chunk extensions are too large',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: 'request_timeout',
    detail: 'the request did not arrive in time',
  },
};

const NOT_HTTP: ProblemAnswer = {
  status: 400,
  code: 'bad_request',
  detail: 'the request is not valid HTTP/1.1 (its request line, headers or framing)',
};

/**
 * What Node answers by itself, before any route sees the request, as problem documents too:
 * the HTTP parser's refusals (bare `400`/`431` otherwise), `CONNECT` (otherwise the connection
 * is dropped unanswered) and an `Expect` other than `100-continue` (a bare `417`).
 */
export function answerProtocolErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // As Node's default: answer unless the peer is gone or a response is already being written.
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    socket.end(rawProblemAnswer(PARSER_ERRORS[err.code ?? ''] ?? NOT_HTTP));
    // The peer may never close its side: the answer is out, the socket goes soon after.
    setTimeout(() => socket.destroy(), 1000).unref();
  });
  server.on('connect', (_req, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    socket.end(
      rawProblemAnswer({
        status: 405,
        code: 'method_not_allowed',
        detail: 'CONNECT is not served here',
        headers: { Allow: 'GET, POST, PUT, PATCH, DELETE' },
      }),
    );
    setTimeout(() => socket.destroy(), 1000).unref();
  });
  server.on('checkExpectation', (_req, res: ServerResponse) => {
    const body = JSON.stringify(
      problemBody({
        status: 417,
        code: 'expectation_failed',
        detail: 'the only expectation served is 100-continue',
      }),
    );
    res.writeHead(417, { 'Content-Type': 'application/problem+json', Connection: 'close' });
    res.end(body);
  });
}
