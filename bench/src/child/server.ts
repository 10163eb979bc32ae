/**
 * One msgr server instance as a process of its own, for the benchmarks: the configuration of
 * `npm start` (the environment, so MSGR_BUS and the limits work as in production) with the
 * overrides in MSGR_BENCH_CONFIG (JSON), on 127.0.0.1 and a port the OS picks. It tells its
 * parent the port over IPC, answers `stats` and `gc`, and stops gracefully on `stop` (so that
 * `--cpu-prof` writes its profile) or when the parent goes away.
 */
import { loadConfig } from '../../../packages/server/src/config.js';
import { startServer } from '../../../packages/server/src/server.js';
import { gcMillis } from './gc.js';
import { serveParent } from './ipc.js';

const overrides = JSON.parse(process.env.MSGR_BENCH_CONFIG ?? '{}') as Record<string, unknown>;
const config = loadConfig(process.env, {
  port: 0,
  host: '127.0.0.1',
  logLevel: 'silent',
  shutdownIdleGraceMs: 0,
  shutdownTimeoutMs: 3000,
  ...overrides,
});
const server = await startServer(config);
serveParent(
  { port: server.port },
  {
    stats: () => ({ sockets: server.hub.socketCount, gc: gcMillis() }),
  },
  () => server.close(),
);
