/**
 * A small HTTP client for servers on 127.0.0.1: undici (what Node's fetch, and so the SDK, is
 * built on) over keep-alive connections. The load generator shares the machine's two cores with
 * the servers it measures, so its own cost per request is kept low: undici costs about 50 µs of
 * CPU a request where `node:http` cost 73 (docs/performance.md, "The load generator").
 */
import type http from 'node:http';
import { Agent, type Dispatcher } from 'undici';

export type Answer = { status: number; headers: http.IncomingHttpHeaders; body: any };

/** Keep-alive connections to every server a scenario talks to, at most `maxSockets` to each. */
export type HttpAgent = Agent;

export function newAgent(maxSockets: number): HttpAgent {
  return new Agent({ connections: maxSockets });
}

export interface RequestOptions {
  /** Default: POST with a body, GET without. */
  method?: Dispatcher.HttpMethod;
  /** Aborting it destroys the request (the promise rejects with an AbortError). */
  signal?: AbortSignal;
}

/** One request: a JSON body (POST unless said) or none (GET unless said). */
export async function request(
  agent: HttpAgent,
  port: number,
  urlPath: string,
  body?: unknown,
  token?: string,
  options: RequestOptions = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await agent.request({
    origin: `http://127.0.0.1:${port}`,
    path: urlPath,
    method: options.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body: body === undefined ? null : JSON.stringify(body),
    signal: options.signal ?? null,
  });
  const text = await res.body.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.statusCode, headers: res.headers, body: parsed };
}

/** Throws unless `answer` has `status`. */
export function expectStatus(answer: Answer, status: number, what: string): Answer {
  if (answer.status !== status) {
    throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  return answer;
}
