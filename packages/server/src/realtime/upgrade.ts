/**
 * WebSocket upgrades: `GET /ws` and `GET /ws/{chat_id}` (trailing slash allowed).
 * Authentication and membership are checked before the 101 answer, so a refused client never
 * sees `open` and never gets an event (express-ws would run them after the upgrade).
 *
 * Everything here runs on raw, untrusted request targets and headers: nothing may throw out of
 * the `upgrade` listener (Node would end the process). Every failure ends in a refused upgrade,
 * answered with the same problem mapping as HTTP routes.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { assertScope } from '../auth/api-tokens.js';
import { bearerToken, type AuthUser } from '../auth/tokens.js';
import { Limits } from '../contract/limits.js';
import type { Position } from '../contract/position.js';
import { NotFoundError, UnprocessableError } from '../domain/errors.js';
import { checkPosition, logBounds } from '../domain/log.js';
import { assertMember } from '../domain/messages.js';
import { invalidPosition, positionFrom } from '../domain/sync.js';
import { requestIdFrom, secondsSince } from '../http/observe.js';
import {
  HttpError,
  INTERNAL_ERROR,
  problemFor,
  rawProblemAnswer,
  type ProblemAnswer,
} from '../http/problem.js';
import { UNMATCHED_ROUTE } from '../metrics.js';
import type { Services } from '../services.js';
import { Connection, type Resume } from './connection.js';
import type { RealtimeHub } from './hub.js';

const PATH = /^\/ws(?:\/(\d{1,16}))?\/?$/;
const CURSOR = /^\d{1,16}$/;

/**
 * The path and query of a request target, without `new URL()` (which throws on `//`,
 * `//a:99999/` and the like). Only origin-form targets (`/…`) can name a socket route; anything
 * else (absolute or authority form, `*`) has no path of ours.
 */
export function requestTarget(url: string | undefined): {
  pathname: string | undefined;
  query: URLSearchParams;
} {
  const raw = url ?? '';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  return { pathname: path.startsWith('/') ? path : undefined, query };
}

/** The route template of an upgrade, for logs and metrics. */
function routeOf(pathname: string | undefined): string {
  const match = pathname === undefined ? null : PATH.exec(pathname);
  if (!match) return UNMATCHED_ROUTE;
  return match[1] === undefined ? '/ws' : '/ws/{chat_id}';
}

function refuse(socket: Duplex, requestId: string, problem: ProblemAnswer): void {
  if (socket.destroyed) return;
  socket.end(
    rawProblemAnswer({ ...problem, headers: { 'X-Request-Id': requestId, ...problem.headers } }),
  );
}

const KEY = /^[A-Za-z0-9+/]{22}==$/;

/**
 * What the ws library would refuse itself, with a text/html answer: checked first so that the
 * refusal is a problem document like every other.
 */
function checkHandshake(req: IncomingMessage): void {
  const upgrade = (req.headers.upgrade ?? '')
    .toLowerCase()
    .split(',')
    .map((t) => t.trim());
  const version = req.headers['sec-websocket-version'];
  const key = req.headers['sec-websocket-key'];
  const problem =
    req.method !== 'GET'
      ? 'a WebSocket upgrade is a GET'
      : !upgrade.includes('websocket')
        ? 'only Upgrade: websocket is served'
        : version !== '13' && version !== '8'
          ? 'Sec-WebSocket-Version must be 13'
          : typeof key !== 'string' || !KEY.test(key.trim())
            ? 'Sec-WebSocket-Key must be 16 bytes in base64'
            : undefined;
  if (problem) throw new HttpError(400, 'bad_upgrade', problem);
}

/** The token from `Authorization: Bearer …`, or from the subprotocols `bearer, <token>`. */
function tokenOf(req: IncomingMessage): string | undefined {
  const fromHeader = bearerToken(req.headers.authorization);
  if (fromHeader) return fromHeader;
  const protocols = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const i = protocols.indexOf('bearer');
  return i >= 0 ? protocols[i + 1] || undefined : undefined;
}

interface Target {
  user: AuthUser;
  chatId: number | undefined;
  resume: Resume;
}

async function authorize(services: Services, req: IncomingMessage): Promise<Target> {
  const { pathname, query } = requestTarget(req.url);
  const match = pathname === undefined ? null : PATH.exec(pathname);
  if (!match) throw new NotFoundError('route_not_found', 'no WebSocket at this path');
  checkHandshake(req);
  if (services.lifecycle.isShuttingDown) {
    throw new HttpError(503, 'shutting_down', 'this instance is shutting down: use another');
  }
  const chatId = match[1] === undefined ? undefined : Number(match[1]);
  const resume = resumeOf(query);
  const token = tokenOf(req);
  if (!token) {
    throw new HttpError(
      401,
      'missing_token',
      'send Authorization: Bearer <token> or the bearer subprotocol',
    );
  }
  const user = await services.authenticate(token);
  assertScope(user, 'read');
  if (chatId !== undefined) await assertMember(services, chatId, user.userId);
  if (resume && 'position' in resume) await assertResumable(services, resume.position);
  return { user, chatId, resume };
}

/**
 * A position this server never handed out is refused here, with 422 `position_invalid`; an
 * expired one is told on the socket (`PositionExpired`), which then goes live from now.
 */
async function assertResumable(services: Services, position: Position): Promise<void> {
  if (checkPosition(position, await logBounds(services.db)) === 'invalid') throw invalidPosition();
}

/** `?after=<message id>` or `?position=<mark>[.<seq>…]`, on either route. */
function resumeOf(query: URLSearchParams): Resume {
  const after = query.get('after');
  const position = query.get('position');
  if (after !== null && position !== null) {
    throw new UnprocessableError('validation_failed', 'give after or position, not both');
  }
  if (after !== null) {
    if (!CURSOR.test(after) || Number(after) > Number.MAX_SAFE_INTEGER) {
      throw new UnprocessableError('validation_failed', 'after must be an integer in 0..2^53-1');
    }
    return { after: Number(after) };
  }
  if (position === null) return undefined;
  return { position: positionFrom(position) };
}

/** Serves WebSocket upgrades on `server` through `hub`; returns the socket server. */
export function attachWebSockets(
  server: Server,
  services: Services,
  hub: RealtimeHub,
): WebSocketServer {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: Limits.maxFrameBytes,
    perMessageDeflate: false,
    // Browsers that authenticate with `bearer, <token>` need `bearer` chosen in the answer.
    handleProtocols: (protocols) => (protocols.has('bearer') ? 'bearer' : false),
  });
  const requestIds = new WeakMap<IncomingMessage, string>();
  wss.on('headers', (headers, req) => {
    headers.push(`X-Request-Id: ${requestIds.get(req)}`);
  });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const startedAt = process.hrtime.bigint();
    const requestId = requestIdFrom(req.headers['x-request-id']);
    requestIds.set(req, requestId);
    const log = services.logger.child({ req_id: requestId });
    const route = routeOf(requestTarget(req.url).pathname);
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
    const refuseWith = (err: unknown) => {
      const problem = problemFor(err);
      if (!problem) log.error({ err }, 'upgrade failed');
      answered((problem ?? INTERNAL_ERROR).status);
      refuse(socket, requestId, problem ?? INTERNAL_ERROR);
    };
    socket.on('error', () => socket.destroy());
    const accept = (target: Target) => {
      wss.handleUpgrade(req, socket, head, (ws) => {
        answered(101, target.user.userId);
        const conn = new Connection(ws, target.user, target.chatId, {
          resume: target.resume,
          log,
          onClose: (code) => services.metrics.socketsClosed.inc({ code: String(code) }),
        });
        conn.log.info({ user_id: target.user.userId, chat_id: target.chatId }, 'socket opened');
        ws.on('error', (err) => conn.log.debug({ err }, 'socket error'));
        ws.on('close', (code) => {
          const duration_s = Math.round(secondsSince(startedAt) * 10) / 10;
          conn.log.info({ code, duration_s }, 'socket closed');
        });
        hub.add(conn, target.resume).catch((err: unknown) => {
          const isKnown = problemFor(err) !== undefined;
          conn.log[isKnown ? 'info' : 'error']({ err }, 'socket setup failed');
          conn.close(1011, 'setup failed');
        });
      });
    };
    authorize(services, req)
      .then(accept, refuseWith)
      .catch((err: unknown) => {
        log.error({ err }, 'socket setup failed');
        socket.destroy();
      });
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    try {
      onUpgrade(req, socket, head);
    } catch (err) {
      // A bug, not the client's doing; still only this socket pays for it.
      services.logger.error({ err }, 'upgrade handler failed');
      socket.destroy();
    }
  });
  return wss;
}
