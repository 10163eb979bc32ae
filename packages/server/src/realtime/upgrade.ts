/**
 * WebSocket upgrades: `GET /ws` and `GET /ws/{chat_id}` (trailing slash allowed).
 * Authentication and membership are checked before the 101 answer, so a refused client never
 * sees `open` and never gets an event (express-ws would run them after the upgrade).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { AuthUser } from '../auth/tokens.js';
import { DomainError, ForbiddenError, NotFoundError } from '../domain/errors.js';
import { assertMember } from '../domain/messages.js';
import { requestIdFrom, secondsSince } from '../http/observe.js';
import { UNMATCHED_ROUTE } from '../metrics.js';
import type { Services } from '../services.js';
import { Connection } from './connection.js';
import type { RealtimeHub } from './hub.js';
import { MAX_FRAME_BYTES } from './protocol.js';

const PATH = /^\/ws(?:\/(\d{1,16}))?\/?$/;
const CURSOR = /^\d{1,16}$/;

class UpgradeError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const STATUS_TEXT: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The route template of an upgrade, for logs and metrics. */
function routeOf(req: IncomingMessage): string {
  const match = PATH.exec(new URL(req.url ?? '/', 'http://localhost').pathname);
  if (!match) return UNMATCHED_ROUTE;
  return match[1] === undefined ? '/ws' : '/ws/{chat_id}';
}

function refuse(socket: Duplex, requestId: string, { status, code, message }: UpgradeError): void {
  const body = JSON.stringify({
    type: `urn:msgr:problem:${code}`,
    title: STATUS_TEXT[status] ?? 'Error',
    status,
    detail: message,
    code,
  });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: application/problem+json\r\n' +
      `X-Request-Id: ${requestId}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      (status === 401 ? 'WWW-Authenticate: Bearer\r\n' : '') +
      `\r\n${body}`,
  );
}

/** The token from `Authorization: Bearer …`, or from the subprotocols `bearer, <token>`. */
function tokenOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (match) return match[1];
  const protocols = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const i = protocols.indexOf('bearer');
  return i >= 0 ? protocols[i + 1] : undefined;
}

interface Target {
  user: AuthUser;
  chatId: number | undefined;
  after: number | undefined;
}

async function authorize(services: Services, req: IncomingMessage): Promise<Target> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const match = PATH.exec(url.pathname);
  if (!match) throw new UpgradeError(404, 'route_not_found', `no WebSocket at ${url.pathname}`);
  if (services.lifecycle.isShuttingDown) {
    throw new UpgradeError(503, 'shutting_down', 'this instance is shutting down: use another');
  }
  const rawAfter = url.searchParams.get('after');
  if (rawAfter !== null && (!CURSOR.test(rawAfter) || Number(rawAfter) > Number.MAX_SAFE_INTEGER)) {
    throw new UpgradeError(422, 'validation_failed', 'after must be an integer in 0..2^53-1');
  }
  const token = tokenOf(req);
  if (!token) {
    throw new UpgradeError(
      401,
      'missing_token',
      'send Authorization: Bearer <token> or the bearer subprotocol',
    );
  }
  let user: AuthUser;
  try {
    user = services.tokens.verify(token);
  } catch (err) {
    throw new UpgradeError(
      401,
      (err as DomainError).code ?? 'invalid_token',
      'the access token is not valid',
    );
  }
  const chatId = match[1] === undefined ? undefined : Number(match[1]);
  if (chatId !== undefined) {
    try {
      await assertMember(services, chatId, user.userId);
    } catch (err) {
      if (err instanceof NotFoundError) throw new UpgradeError(404, err.code, err.message);
      if (err instanceof ForbiddenError) throw new UpgradeError(403, err.code, err.message);
      throw err;
    }
  }
  return { user, chatId, after: rawAfter === null ? undefined : Number(rawAfter) };
}

/** Serves WebSocket upgrades on `server` through `hub`; returns the socket server. */
export function attachWebSockets(
  server: Server,
  services: Services,
  hub: RealtimeHub,
): WebSocketServer {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    perMessageDeflate: false,
    // Browsers that authenticate with `bearer, <token>` need `bearer` chosen in the answer.
    handleProtocols: (protocols) => (protocols.has('bearer') ? 'bearer' : false),
  });
  const requestIds = new WeakMap<IncomingMessage, string>();
  wss.on('headers', (headers, req) => {
    headers.push(`X-Request-Id: ${requestIds.get(req)}`);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const startedAt = process.hrtime.bigint();
    const requestId = requestIdFrom(req.headers['x-request-id']);
    requestIds.set(req, requestId);
    const log = services.logger.child({ req_id: requestId });
    const route = routeOf(req);
    // The upgrade is the socket's request: counted and logged like any other.
    const answered = (status: number, userId?: number) => {
      const seconds = secondsSince(startedAt);
      services.metrics.observeRequest(route, status, seconds);
      const line = {
        method: req.method,
        route,
        status,
        duration_ms: Math.round(seconds * 1e4) / 10,
      };
      log.info(userId === undefined ? line : { ...line, user_id: userId }, 'request');
    };
    socket.on('error', () => socket.destroy());
    authorize(services, req).then(
      (target) => {
        wss.handleUpgrade(req, socket, head, (ws) => {
          answered(101, target.user.userId);
          const conn = new Connection(ws, target.user, target.chatId, {
            after: target.after,
            log,
          });
          conn.log.info({ user_id: target.user.userId, chat_id: target.chatId }, 'socket opened');
          ws.on('error', (err) => conn.log.debug({ err }, 'socket error'));
          ws.on('close', (code) => {
            const duration_s = Math.round(secondsSince(startedAt) * 10) / 10;
            conn.log.info({ code, duration_s }, 'socket closed');
          });
          hub.add(conn, target.after).catch((err: unknown) => {
            conn.log.error({ err }, 'socket setup failed');
            conn.close(1011, 'setup failed');
          });
        });
      },
      (err: unknown) => {
        const refusal =
          err instanceof UpgradeError
            ? err
            : new UpgradeError(500, 'internal_error', 'the server failed to answer');
        if (!(err instanceof UpgradeError)) log.error({ err }, 'upgrade failed');
        answered(refusal.status);
        refuse(socket, requestId, refusal);
      },
    );
  });
  return wss;
}
