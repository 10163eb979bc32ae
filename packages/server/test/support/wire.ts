/**
 * One HTTP exchange over a raw TCP socket, byte for byte as given: request lines, header values
 * and framing that fetch refuses to send. Unlike `rawRequest`, it returns as soon as the answer
 * is complete (Content-Length, last chunk, or a 101 head) and tells a connection closed without
 * an answer apart from one that hung.
 */
import net from 'node:net';

export interface WireRequest {
  method: string;
  /** The request target exactly as sent: `/a%ZZ`, `*`, `http://x/ws`… */
  target: string;
  /** In order; a Buffer value is sent as raw bytes (non-ASCII header values); `['', line]` sends `line` as is. */
  headers: [string, string | Buffer][];
  body?: Buffer;
  /** `auto` (default) adds `Content-Length` when there is a body; `none` adds nothing. */
  contentLength?: 'auto' | 'none';
  /** Half-closes the socket after the body (a client that sent all it will send). */
  halfClose?: boolean;
  /** `HTTP/1.1` unless given. */
  version?: string;
}

export interface WireAnswer {
  /** 0 when the connection ended without an answer (or hung: see `isHung`). */
  status: number;
  headers: Record<string, string>;
  body: string;
  /** No complete answer within the timeout. */
  isHung: boolean;
  ms: number;
}

/** The request's bytes: what goes on the wire. */
export function encodeRequest(r: WireRequest): Buffer {
  const parts: Buffer[] = [Buffer.from(`${r.method} ${r.target} ${r.version ?? 'HTTP/1.1'}\r\n`)];
  const names = new Set(r.headers.map(([n]) => n.toLowerCase()));
  for (const [name, value] of r.headers) {
    // An empty name sends the value as the whole line (a line without a colon).
    parts.push(Buffer.from(name ? `${name}: ` : ''), Buffer.from(value), Buffer.from('\r\n'));
  }
  if (r.body && (r.contentLength ?? 'auto') === 'auto' && !names.has('content-length')) {
    parts.push(Buffer.from(`Content-Length: ${r.body.length}\r\n`));
  }
  if (!names.has('connection')) parts.push(Buffer.from('Connection: close\r\n'));
  parts.push(Buffer.from('\r\n'));
  if (r.body) parts.push(r.body);
  return Buffer.concat(parts);
}

/** Sends `r` to `baseUrl` on a new connection and reads one answer, within `timeoutMs`. */
export function exchange(baseUrl: string, r: WireRequest, timeoutMs = 5000): Promise<WireAnswer> {
  const { hostname, port } = new URL(baseUrl);
  const startedAt = Date.now();
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    let isDone = false;
    const finish = (isHung: boolean) => {
      if (isDone) return;
      isDone = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parse(received), isHung, ms: Date.now() - startedAt });
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    socket.on('connect', () => {
      socket.write(encodeRequest(r));
      if (r.halfClose) socket.end();
    });
    socket.on('data', (d: Buffer) => {
      received = Buffer.concat([received, d]);
      if (isComplete(received)) finish(false);
    });
    // A server may reset a connection it refused: what arrived before is the answer.
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
  });
}

function headEnd(data: Buffer): number {
  return data.indexOf('\r\n\r\n');
}

/** The answer without interim `1xx` heads (`100 Continue`; a 101 is an answer). */
function final(data: Buffer): Buffer {
  for (;;) {
    const end = headEnd(data);
    if (
      end < 0 ||
      !/^HTTP\/1\.[01] 1(0[02-9]|[1-9]\d)/.test(data.subarray(0, 12).toString('latin1'))
    ) {
      return data;
    }
    data = data.subarray(end + 4);
  }
}

function isComplete(received: Buffer): boolean {
  const data = final(received);
  const end = headEnd(data);
  if (end < 0) return false;
  const { status, headers } = parseHead(data.subarray(0, end).toString('latin1'));
  if (status === 101 || status === 204 || status === 304) return true;
  const body = data.subarray(end + 4);
  if (headers['content-length'] !== undefined) {
    return body.length >= Number(headers['content-length']);
  }
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    return body.includes('0\r\n\r\n');
  }
  return false;
}

function parseHead(head: string): { status: number; headers: Record<string, string> } {
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
  return { status: status ? Number(status) : 0, headers };
}

function parse(received: Buffer): Omit<WireAnswer, 'isHung' | 'ms'> {
  const data = final(received);
  const end = headEnd(data);
  if (end < 0) return { status: 0, headers: {}, body: data.toString('latin1') };
  const { status, headers } = parseHead(data.subarray(0, end).toString('latin1'));
  let body = data.subarray(end + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = unchunk(body);
  return { status, headers, body: body.toString('utf8') };
}

function unchunk(data: Buffer): Buffer {
  const out: Buffer[] = [];
  for (let rest = data; ;) {
    const eol = rest.indexOf('\r\n');
    const size = eol < 0 ? 0 : parseInt(rest.subarray(0, eol).toString('latin1'), 16);
    if (!size) return Buffer.concat(out);
    out.push(rest.subarray(eol + 2, eol + 2 + size));
    rest = rest.subarray(eol + 2 + size + 2);
  }
}
