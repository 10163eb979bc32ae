/**
 * A webhook receiver for tests: a real HTTP server on 127.0.0.1 that records every request
 * (headers, body, when) and answers as the test says, changeable mid-test.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { until } from './fault-cluster.js';

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Date.now() when the body had arrived. */
  at: number;
  /** The `webhook-id` header. */
  id: string;
}

/** How to answer one request; `res` is left to the answerer (it may never end it). */
export type Answerer = (res: http.ServerResponse, received: Received) => void;

export const answerWith =
  (status: number, headers: Record<string, string> = {}): Answerer =>
  (res) =>
    res.writeHead(status, headers).end();

export class Receiver {
  readonly received: Received[] = [];
  answer: Answerer = answerWith(200);
  /** Requests whose answer has not ended (the receiver holds them open). */
  open = 0;
  private readonly server: http.Server;

  private constructor() {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const received: Received = {
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
          id: String(req.headers['webhook-id']),
        };
        this.received.push(received);
        this.open++;
        res.on('close', () => this.open--);
        this.answer(res, received);
      });
    });
  }

  static async start(answer?: Answerer): Promise<Receiver> {
    const receiver = new Receiver();
    if (answer) receiver.answer = answer;
    receiver.server.listen(0, '127.0.0.1');
    await once(receiver.server, 'listening');
    return receiver;
  }

  /** `http://127.0.0.1:<port>/hook` */
  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The frames received, parsed, in arrival order. */
  frames(): any[] {
    return this.received.map((r) => JSON.parse(r.body));
  }

  /** Waits until at least `n` requests arrived. */
  async untilCount(n: number, timeoutMs = 10_000): Promise<Received[]> {
    await until(`${n} webhook requests`, () => this.received.length >= n, timeoutMs);
    return this.received;
  }

  /** Verifies every request's signature with `secret` (throws on the first that fails). */
  verifyAll(secret: string): unknown[] {
    const wh = new Webhook(secret);
    return this.received.map((r) =>
      wh.verify(r.body, {
        'webhook-id': String(r.headers['webhook-id']),
        'webhook-timestamp': String(r.headers['webhook-timestamp']),
        'webhook-signature': String(r.headers['webhook-signature']),
      }),
    );
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}
