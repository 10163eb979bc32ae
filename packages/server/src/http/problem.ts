import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
  UnprocessableError,
} from '../domain/errors.js';
import { contextOf } from './observe.js';

/** An error raised by the HTTP layer itself (validation, content type, body size…). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors?: { path: string; message: string }[],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'HttpError';
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function domainStatus(err: DomainError): number {
  if (err instanceof NotFoundError) return 404;
  if (err instanceof ForbiddenError) return 403;
  if (err instanceof ConflictError) return 409;
  if (err instanceof UnprocessableError) return 422;
  if (err instanceof UnauthorizedError) return 401;
  return 400;
}

/** body-parser's own failures, keyed by its `type`, turned into our codes. */
const BODY_PARSER_ERRORS: Record<string, [number, string, string]> = {
  'entity.too.large': [413, 'payload_too_large', 'the request body is too large'],
  'entity.parse.failed': [400, 'malformed_json', 'the request body is not valid JSON'],
  'encoding.unsupported': [415, 'unsupported_media_type', 'unsupported content encoding'],
  'charset.unsupported': [415, 'unsupported_media_type', 'unsupported charset'],
  'request.aborted': [400, 'request_aborted', 'the request was aborted'],
  'request.size.invalid': [400, 'bad_request', 'the request body does not match its length'],
  'parameters.too.many': [413, 'payload_too_large', 'too many form parameters'],
};

export function sendProblem(
  res: Response,
  status: number,
  code: string,
  detail: string,
  errors?: { path: string; message: string }[],
): void {
  res
    .status(status)
    .type('application/problem+json')
    .json({
      type: `urn:msgr:problem:${code}`,
      title: TITLES[status] ?? 'Error',
      status,
      detail,
      code,
      ...(errors ? { errors } : {}),
    });
}

/**
 * The one place where errors become HTTP answers. Unknown errors are logged (with the request's
 * id) and become 500.
 */
export function problemHandler(): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    if (err instanceof HttpError) {
      sendProblem(res, err.status, err.code, err.message, err.errors);
    } else if (err instanceof DomainError) {
      if (err instanceof UnauthorizedError) res.set('WWW-Authenticate', 'Bearer');
      sendProblem(res, domainStatus(err), err.code, err.message);
    } else if (isBodyParserError(err) && BODY_PARSER_ERRORS[err.type]) {
      const [status, code, detail] = BODY_PARSER_ERRORS[err.type]!;
      sendProblem(res, status, code, detail);
    } else {
      contextOf(res).log.error({ err, method: req.method, path: req.path }, 'unhandled error');
      sendProblem(res, 500, 'internal_error', 'the server failed to answer this request');
    }
  };
}

function isBodyParserError(err: unknown): err is { type: string } {
  return (
    typeof err === 'object' && err !== null && typeof (err as { type?: unknown }).type === 'string'
  );
}

export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(res, 404, 'route_not_found', `no route for ${req.method} ${req.path}`);
};
