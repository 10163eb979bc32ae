/**
 * The saved session shared by `msgr` and `msgr-tui`: hosts, device id and tokens, in one JSON
 * file (mode 0600) at `$MSGR_CONFIG`, else `$XDG_CONFIG_HOME/msgr/config.json`, else
 * `~/.config/msgr/config.json`.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { StoredTokens, TokenStore } from '@msgr/sdk';

/** What the config file holds. */
export interface SavedConfig {
  /** Hosts saved at login; used when neither --host nor MSGR_HOSTS is given. */
  hosts?: string[];
  /** This machine's device id, made once and kept. */
  clientId?: string;
  /** Who is logged in (for display). */
  email?: string;
  tokens?: StoredTokens;
}

/** The host used when neither flags, `MSGR_HOSTS` nor the config name one. */
export const DEFAULT_HOST = 'http://127.0.0.1:8000';

/** Where the config file lives, given the environment. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MSGR_CONFIG) return path.resolve(env.MSGR_CONFIG);
  const base = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'msgr', 'config.json');
}

/** The config file's content; `{}` when the file does not exist (other failures throw). */
export async function readConfig(file: string): Promise<SavedConfig> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as SavedConfig;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
}

/** Writes atomically (temp file + rename) with mode 0600: the file holds tokens. */
export async function writeConfig(file: string, config: SavedConfig): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await fs.chmod(temp, 0o600);
  await fs.rename(temp, file);
}

/** A lock older than this is taken for one whose holder died without removing it. */
const LOCK_STALE_MS = 10_000;
/** How often a process waiting for the lock looks again (plus as much jitter). */
const LOCK_POLL_MS = 10;

/**
 * Runs `fn` holding `<file>.lock`, a file made with O_EXCL that names the holder's pid, so that
 * read-modify-write of the config is whole across processes (a `msgr send` refreshing tokens
 * while `msgr-tui` saves its own must not put an old refresh token back). A lock whose pid is
 * not running, or older than LOCK_STALE_MS, is removed and taken. (Two processes finding the
 * same dead holder's lock at once may both take it over: that takes a crash inside an update and
 * a tie, and costs at most one update.)
 */
async function withLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  for (;;) {
    try {
      const handle = await fs.open(lock, 'wx', 0o600);
      try {
        await handle.writeFile(String(process.pid));
      } finally {
        await handle.close();
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const state = await lockState(lock);
      if (state === 'stale') await fs.rm(lock, { force: true });
      if (state === 'held') await delay(LOCK_POLL_MS + Math.random() * LOCK_POLL_MS);
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lock, { force: true });
  }
}

async function lockState(lock: string): Promise<'held' | 'stale' | 'gone'> {
  let text: string;
  let ageMs: number;
  try {
    text = await fs.readFile(lock, 'utf8');
    ageMs = Date.now() - (await fs.stat(lock)).mtimeMs;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
  if (ageMs > LOCK_STALE_MS) return 'stale';
  // Empty while its maker is between open and write: held, until it is old.
  const pid = Number(text);
  if (!Number.isInteger(pid) || pid <= 0) return 'held';
  try {
    process.kill(pid, 0);
    return 'held';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH' ? 'stale' : 'held';
  }
}

/**
 * Merges `patch` into the file's content, under the config's lock: concurrent updates, from
 * this process or others, each apply whole. `patch` may be a function of the current content.
 */
export async function updateConfig(
  file: string,
  patch: Partial<SavedConfig> | ((current: SavedConfig) => Partial<SavedConfig>),
): Promise<SavedConfig> {
  return withLock(file, async () => {
    const current = await readConfig(file);
    const next = { ...current, ...(typeof patch === 'function' ? patch(current) : patch) };
    await writeConfig(file, next);
    return next;
  });
}

/** The device id saved in the config, created on first use (once, whoever asks at once). */
export async function stableClientId(file: string): Promise<string> {
  const config = await readConfig(file);
  if (config.clientId) return config.clientId;
  const made = `${os.hostname()}-${randomUUID().slice(0, 8)}`;
  const next = await updateConfig(file, (current) => ({ clientId: current.clientId ?? made }));
  return next.clientId!;
}

/**
 * Hosts in order of precedence: `--host` flags, then `MSGR_HOSTS` (comma-separated), then the
 * ones saved at login, then the default.
 */
export function resolveHosts(
  flags: string[] | undefined,
  env: NodeJS.ProcessEnv,
  saved: SavedConfig,
): string[] {
  if (flags && flags.length > 0) return flags;
  const fromEnv = env.MSGR_HOSTS?.split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  if (fromEnv && fromEnv.length > 0) return fromEnv;
  if (saved.hosts && saved.hosts.length > 0) return saved.hosts;
  return [DEFAULT_HOST];
}

/** A TokenStore over the config file, so refreshed tokens survive the process. */
export function fileTokenStore(file: string): TokenStore {
  return {
    get: async () => (await readConfig(file)).tokens,
    set: async (tokens) => {
      await updateConfig(file, { tokens });
    },
  };
}
