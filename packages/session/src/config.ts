/**
 * The saved session shared by `msgr` and `msgr-tui`: hosts, device id and tokens, in one JSON
 * file (mode 0600) at `$MSGR_CONFIG`, else `$XDG_CONFIG_HOME/msgr/config.json`, else
 * `~/.config/msgr/config.json`.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
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

/** Merges `patch` into the file's content. */
export async function updateConfig(
  file: string,
  patch: Partial<SavedConfig>,
): Promise<SavedConfig> {
  const next = { ...(await readConfig(file)), ...patch };
  await writeConfig(file, next);
  return next;
}

/** The device id saved in the config, created on first use. */
export async function stableClientId(file: string): Promise<string> {
  const config = await readConfig(file);
  if (config.clientId) return config.clientId;
  const clientId = `${os.hostname()}-${randomUUID().slice(0, 8)}`;
  await updateConfig(file, { clientId });
  return clientId;
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
