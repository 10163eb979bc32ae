/** A WebSocket test client that records every frame and waits for them with timeouts. */
import WebSocket from 'ws';

export interface TestSocket {
  readonly ws: WebSocket;
  readonly frames: any[];
  /** Resolves with the first recorded frame (from `from` on) matching `predicate`. */
  next(predicate: (f: any) => boolean, timeoutMs?: number): Promise<any>;
  /** Resolves once `count` frames match `predicate`. */
  collect(predicate: (f: any) => boolean, count: number, timeoutMs?: number): Promise<any[]>;
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  send(frame: unknown): void;
  close(): Promise<void>;
}

/** Opens `path` on `baseUrl` (http → ws) with a bearer token; resolves on `open`, rejects on refusal. */
export function openSocket(
  baseUrl: string,
  path: string,
  token: string | undefined,
  {
    viaSubprotocol = false,
    onFrame,
  }: {
    viaSubprotocol?: boolean;
    /** Sees every frame from the first: frames can arrive in the same tick as `open`. */
    onFrame?: (frame: any, socket: TestSocket) => void;
  } = {},
): Promise<TestSocket> {
  const url = baseUrl.replace(/^http/, 'ws') + path;
  const ws =
    token === undefined
      ? new WebSocket(url)
      : viaSubprotocol
        ? new WebSocket(url, ['bearer', token])
        : new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  const frames: any[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    const f = JSON.parse((data as Buffer).toString('utf8'));
    frames.push(f);
    onFrame?.(f, socket);
    for (const w of [...waiters]) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => {
      resolve({ code, reason: String(reason) });
      for (const w of [...waiters]) w();
    }),
  );

  function waitFor<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        const value = check();
        if (value !== undefined) {
          cleanup();
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(frames)}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(attempt);
      };
      waiters.add(attempt);
      attempt();
    });
  }

  const socket: TestSocket = {
    ws,
    frames,
    next: (predicate, timeoutMs = 5000) =>
      waitFor(() => frames.find(predicate), timeoutMs, 'a frame'),
    collect: (predicate, count, timeoutMs = 5000) =>
      waitFor(
        () => {
          const found = frames.filter(predicate);
          return found.length >= count ? found : undefined;
        },
        timeoutMs,
        `${count} frames`,
      ),
    closed,
    send: (frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    close: async () => {
      if (ws.readyState === WebSocket.CLOSED) return;
      ws.close();
      await closed;
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(socket));
    ws.once('unexpected-response', (_req, res) => {
      reject(
        Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode }),
      );
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

/**
 * A logged frame without its place in the log (`seq`, `mark`), after checking it has one: what
 * a test compares with the event it expects.
 */
export function unplaced(frame: any): any {
  if (!Number.isSafeInteger(frame?.seq) || frame.seq < 1) {
    throw new Error(`a logged frame without a seq: ${JSON.stringify(frame)}`);
  }
  const rest = { ...frame };
  delete rest.seq;
  delete rest.mark;
  return rest;
}
