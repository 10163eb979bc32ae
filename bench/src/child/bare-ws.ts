/**
 * The fan-out baseline: a bare `ws` WebSocketServer (no database, no auth, no
 * permessage-deflate, like msgr's) in a process of its own. On `broadcast` it serialises one
 * Message frame of msgr's shape once and sends that string to every client.
 */
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { WebSocketServer } from 'ws';
import { serveParent } from './ipc.js';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
await once(wss, 'listening');
serveParent(
  { port: (wss.address() as AddressInfo).port },
  {
    stats: () => ({ sockets: wss.clients.size }),
    broadcast: (m) => {
      const frame = JSON.stringify({ type: 'Message', message: m.message });
      for (const ws of wss.clients) ws.send(frame);
      return true;
    },
  },
  () =>
    new Promise<void>((resolve) => {
      for (const ws of wss.clients) ws.terminate();
      wss.close(() => resolve());
    }),
);
