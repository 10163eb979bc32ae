/**
 * The request-cost baselines: the same small JSON answer to `POST /m/:id` from bare `node:http`
 * (`BARE_HTTP=node`) or from an Express app with `express.json()` and `res.json()`, its requests
 * made with the app's prototypes as msgr's are (`BARE_HTTP=express`). No auth, no database.
 * Its `stats` add the time spent in garbage collection (ms, by kind) since it started.
 */
import express from 'express';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpServer } from '../../../packages/server/src/http/http-server.js';
import { gcMillis } from './gc.js';
import { serveParent } from './ipc.js';

const answer = (text: unknown) => ({
  id: 1,
  chat_id: 2,
  text,
  created_at: new Date().toISOString(),
});

function bareNode(): http.Server {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { text?: unknown };
      const out = JSON.stringify(answer(body.text));
      res.writeHead(201, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(out),
      });
      res.end(out);
    });
  });
}

function bareExpress(): http.Server {
  const app = express();
  app.use(express.json());
  app.post('/m/:id', (req, res) => {
    res.status(201).json(answer((req.body as { text?: unknown }).text));
  });
  return createHttpServer(app);
}

const server = process.env.BARE_HTTP === 'express' ? bareExpress() : bareNode();
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1');
await once(server, 'listening');
serveParent(
  { port: (server.address() as AddressInfo).port },
  { stats: () => ({ gc: gcMillis() }) },
  async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  },
);
