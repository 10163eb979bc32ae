/**
 * A real S3-compatible server for the S3 store's tests: s3rver (the `@20minutes/s3rver` fork,
 * a devDependency) in a child Node process on a free loopback port, keeping its objects in a
 * throwaway folder; `stop()` ends that process (by its pid) and deletes the folder.
 *
 * Why s3rver: it installs from npm with the rest of the project (CI needs no apt package, no
 * Docker, no download of a server binary), starts in well under a second, and speaks S3 over
 * HTTP: ListObjectsV2 (pages, delimiters), PutObject, GetObject with `Range`, DeleteObjects,
 * HeadBucket and CreateBucket, which is all the S3 store uses. The fork rather than `s3rver` 3.7
 * itself: the same code with its dependencies (koa, busboy, fast-xml-parser) brought up to date,
 * for Node >= 20. MinIO is no Debian package and cannot be downloaded here; Debian 12 has no
 * moto, and PyPI is out of reach.
 *
 * Its quirks, and what we do about them:
 * - it encrypts ListObjectsV2 continuation tokens with DES, which Node's OpenSSL 3 offers only
 *   with `--openssl-legacy-provider`: hence a child process with that flag, not the test process;
 * - it signs bucket requests over `/<bucket>` while current SDKs send `/<bucket>/`, so it would
 *   refuse every bucket-level call: its signature check is off (credentials are still required);
 * - it answers `Range: bytes=0-0` with the whole object, which the store must cut (it does);
 * - being lenient (no aws-chunked decoding needed, no MD5 required on DeleteObjects), it proves
 *   the store's calls and their results; the tests check the request headers separately.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fsp from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** A running server; `stop()` ends it and deletes its objects. */
export interface S3Server {
  /** `http://127.0.0.1:<port>`: use it with `forcePathStyle: true`. */
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The child process's pid (for a test that wants the store's server gone). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

const PACKAGE = '@20minutes/s3rver';
const START_TIMEOUT_MS = 10_000;
const require = createRequire(import.meta.url);

/**
 * Run by the child (`node -e`, CommonJS): argv = [node, s3rver's path, options as JSON]. Prints
 * the address once listening; on SIGTERM closes the server and exits.
 */
const CHILD = `
const S3rver = require(process.argv[1]);
const server = new S3rver(JSON.parse(process.argv[2]));
server.run().then(
  (address) => process.stdout.write(JSON.stringify(address) + '\\n'),
  (error) => { console.error(error); process.exit(1); },
);
process.once('SIGTERM', () => {
  server.httpServer && server.httpServer.closeAllConnections();
  server.close().then(() => process.exit(0), () => process.exit(1));
});
`;

/** Servers still running when the test process exits (a failed run) must not outlive it. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Why no S3 server can be started here, or undefined when one can (the test skips, saying so). */
export function s3ServerUnavailable(): string | undefined {
  try {
    require.resolve(PACKAGE);
    return undefined;
  } catch {
    return `${PACKAGE} is not installed (npm ci installs it: a devDependency of @msgr/server)`;
  }
}

/**
 * Starts s3rver on a free loopback port with an empty folder; it has no buckets yet.
 *
 * @example
 * const s3 = await startS3Server();
 * const store = new S3Store({ bucket: 'files', forcePathStyle: true, ...s3 });
 * // …
 * await s3.stop();
 */
export async function startS3Server(): Promise<S3Server> {
  const directory = await fsp.mkdtemp(path.join(os.tmpdir(), 'msgr-s3-'));
  const options = {
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    allowMismatchedSignatures: true,
  };
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '-e', CHILD, require.resolve(PACKAGE), JSON.stringify(options)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  const exited = once(child, 'exit').finally(() => running.delete(child));
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-4000);
  });

  let port: number;
  try {
    port = await listeningPort(child, exited, () => stderr);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    await fsp.rm(directory, { recursive: true, force: true });
    throw error;
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    // s3rver's one account: the access key must exist even with signatures unchecked.
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    get pid() {
      return child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await fsp.rm(directory, { recursive: true, force: true });
    },
  };
}

/** The port the child prints once listening; rejects when it exits or takes too long first. */
async function listeningPort(
  child: ChildProcess,
  exited: Promise<unknown>,
  stderr: () => string,
): Promise<number> {
  if (!child.stdout) throw new Error('s3rver: no stdout');
  const lines = createInterface({ input: child.stdout });
  const timeout = AbortSignal.timeout(START_TIMEOUT_MS);
  try {
    const line = once(lines, 'line', { signal: timeout }).then(([text]) => String(text));
    const first = await Promise.race([
      line,
      exited.then(() => {
        throw new Error(`s3rver exited before listening: ${stderr()}`);
      }),
    ]);
    const { port } = JSON.parse(first) as { port: number };
    return port;
  } catch (error) {
    if (timeout.aborted) throw new Error(`s3rver did not listen within ${START_TIMEOUT_MS} ms`);
    throw error;
  } finally {
    lines.close();
    child.stdout.resume(); // nothing more is expected; never let the pipe fill
  }
}
