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

function refuse(socket: Duplex, { status, code, message }: UpgradeError): void {
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
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    authorize(services, req).then(
      (target) => {
        wss.handleUpgrade(req, socket, head, (ws) => {
          const conn = new Connection(ws, target.user, target.chatId, {
            isReplaying: target.after !== undefined,
          });
          ws.on('error', (err) => services.logger.debug({ err, socket: conn.id }, 'socket error'));
          hub.add(conn, target.after).catch((err: unknown) => {
            services.logger.error({ err, socket: conn.id }, 'socket setup failed');
            conn.close(1011, 'setup failed');
          });
        });
      },
      (err: unknown) => {
        if (err instanceof UpgradeError) refuse(socket, err);
        else {
          services.logger.error({ err }, 'upgrade failed');
          refuse(socket, new UpgradeError(500, 'internal_error', 'the server failed to answer'));
        }
      },
    );
  });
  return wss;
}
