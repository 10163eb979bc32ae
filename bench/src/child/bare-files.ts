/**
 * The files baseline: a bare Node `http` server in a process of its own that streams what msgr's
 * file routes stream, with nothing else: `POST /` writes the body to a file (as FILE_STORE=fs
 * does), `GET /` streams that file back. No auth, no database, no hashing, no checks.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { once } from 'node:events';
import { serveParent } from './ipc.js';

const folder = await fsp.mkdtemp(path.join(os.tmpdir(), 'msgr-bench-bare-'));
const file = path.join(folder, 'body');

const server = http.createServer((req, res) => {
  if (req.method === 'POST') {
    pipeline(req, fs.createWriteStream(file)).then(
      () => res.writeHead(201, { 'content-type': 'application/json' }).end('{}'),
      () => res.destroy(),
    );
    return;
  }
  fs.stat(file, (err, stat) => {
    if (err) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': stat.size, 'content-type': 'application/octet-stream' });
    pipeline(fs.createReadStream(file), res).catch(() => res.destroy());
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1');
await once(server, 'listening');
serveParent({ port: (server.address() as AddressInfo).port }, {}, async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await fsp.rm(folder, { recursive: true, force: true });
});
