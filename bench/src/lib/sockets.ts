/** Client WebSockets: many at once, bounded in time, every one closed at cleanup. */
import { WebSocket, type RawData } from 'ws';
import { inParallel, onCleanup } from './run.js';

const CONNECT_CONCURRENCY = 50;
const CONNECT_TIMEOUT_MS = 15_000;
const open = new Set<WebSocket>();
onCleanup(() => {
  for (const ws of open) ws.terminate();
});

export interface SocketTarget {
  url: string;
  token?: string;
}

/**
 * Opens `n` client sockets (`target(i)` says where); `onFrame(i, data, receivedAt)` sees every
 * frame; `onClose(i, code)` every close that this side did not ask for.
 */
export function connectAll(
  n: number,
  target: (i: number) => SocketTarget,
  onFrame: (socket: number, data: RawData, receivedAt: number) => void,
  onClose: (socket: number, code: number) => void = () => undefined,
): Promise<WebSocket[]> {
  return inParallel(n, CONNECT_CONCURRENCY, (i) => {
    const { url, token } = target(i);
    const ws = new WebSocket(url, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      perMessageDeflate: false,
    });
    open.add(ws);
    ws.on('message', (data) => onFrame(i, data, performance.timeOrigin + performance.now()));
    return new Promise<WebSocket>((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`socket ${i} to ${url}: no answer in ${CONNECT_TIMEOUT_MS} ms`));
      }, CONNECT_TIMEOUT_MS);
      ws.once('open', () => {
        clearTimeout(timer);
        ws.on('close', (code) => onClose(i, code));
        resolve(ws);
      });
      ws.once('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        ws.terminate();
        reject(new Error(`socket ${i} to ${url}: refused with ${res.statusCode}`));
      });
      ws.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  });
}

/** Closes client sockets and waits for them to close (terminating stragglers after 3 s). */
export async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(
    sockets.map(async (ws) => {
      ws.removeAllListeners('close');
      if (ws.readyState !== WebSocket.CLOSED) {
        const closed = new Promise((resolve) => ws.once('close', resolve));
        ws.close();
        const timer = setTimeout(() => ws.terminate(), 3000);
        await closed;
        clearTimeout(timer);
      }
      open.delete(ws);
    }),
  );
}
