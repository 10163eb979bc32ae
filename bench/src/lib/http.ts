/** A small HTTP client for servers on 127.0.0.1 over a keep-alive agent. */
import http from 'node:http';

export type Answer = { status: number; headers: http.IncomingHttpHeaders; body: any };

export function newAgent(maxSockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets });
}

export interface RequestOptions {
  /** Default: POST with a body, GET without. */
  method?: string;
  /** Aborting it destroys the request (the promise rejects with an AbortError). */
  signal?: AbortSignal;
}

/** One request: a JSON body (POST unless said) or none (GET unless said). */
export function request(
  agent: http.Agent,
  port: number,
  urlPath: string,
  body?: unknown,
  token?: string,
  options: RequestOptions = {},
): Promise<Answer> {
  const payload = body === undefined ? '' : JSON.stringify(body);
  const headers: http.OutgoingHttpHeaders = {};
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = Buffer.byteLength(payload);
  }
  if (token) headers.authorization = `Bearer ${token}`;
  const method = options.method ?? (body === undefined ? 'GET' : 'POST');
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        headers,
        agent,
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode!, headers: res.headers, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Throws unless `answer` has `status`. */
export function expectStatus(answer: Answer, status: number, what: string): Answer {
  if (answer.status !== status) {
    throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  return answer;
}
