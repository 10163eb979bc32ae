/**
 * A command's session: its global options, its writer, the config file and a MessengerClient
 * on the resolved hosts whose tokens live in that file (so refreshed tokens are kept) and whose
 * operation ids continue from run to run in the folder beside it (so two `msgr send` runs never
 * share an id, and the second is never mistaken for a replay of the first). With an API token
 * (`--token`, else `MSGR_TOKEN`) the client calls with that token instead of the saved login;
 * the token is never written anywhere.
 */
import type { Command } from 'commander';
import { MessengerClient } from '@msgr/sdk';
import {
  configPath,
  FileOperationIds,
  fileTokenStore,
  operationIdsDir,
  readConfig,
  resolveHosts,
  type SavedConfig,
} from '@msgr/session';
import { CliError, ExitCode, usageError } from './errors.js';
import type { Io } from './io.js';
import { Output, useColor } from './output.js';

/** The options every command accepts (declared on the program). */
export interface GlobalOptions {
  host: string[];
  race?: boolean;
  json?: boolean;
  /** false with `--no-color`. */
  color: boolean;
  /** An API token to call with instead of the saved login (else `MSGR_TOKEN`). */
  token?: string;
}

/** Where the API token of a run came from: error messages name it. */
export type TokenSource = '--token' | 'MSGR_TOKEN';

/** What one `run()` shares between its commands and its error handler. */
export interface RunState {
  readonly io: Io;
  /** The hosts in use, once a session exists: error messages name them. */
  hosts?: readonly string[];
  /** Set when the session calls with an API token: error messages name where it came from. */
  tokenSource?: TokenSource;
  /**
   * Set by commands that end cleanly on Ctrl-C themselves (`watch`); for the others `run()`
   * stops waiting at once and exits 130, even if a request (e.g. a token refresh) cannot abort.
   */
  isInterruptHandled?: boolean;
}

export interface Session {
  readonly io: Io;
  readonly out: Output;
  readonly options: GlobalOptions;
  readonly configFile: string;
  readonly config: SavedConfig;
  readonly hosts: string[];
  readonly client: MessengerClient;
  /** Where the API token in use came from; undefined: the saved login. */
  readonly tokenSource: TokenSource | undefined;
  /** Aborts on Ctrl-C; pass it to every SDK call. */
  readonly signal: AbortSignal | undefined;
}

/** Reads the config file, explaining what to do when it is unreadable. */
export async function loadConfig(file: string): Promise<SavedConfig> {
  try {
    return await readConfig(file);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new CliError(
      ExitCode.Unexpected,
      'config_unreadable',
      `cannot read the config file ${file} (${reason}): fix it, or delete it and log in again`,
      { cause: err },
    );
  }
}

/** The writer for a command, from its options and the streams. */
export function outputFor(io: Io, options: Pick<GlobalOptions, 'json' | 'color'>): Output {
  const isDisabled = options.color === false;
  return new Output(io.stdout, io.stderr, {
    isJson: options.json === true,
    isOutColored: useColor(io.env, io.stdout, { isDisabled }),
    isErrColored: useColor(io.env, io.stderr, { isDisabled }),
  });
}

/**
 * The API token to use instead of the saved login: `--token`, else a non-empty `MSGR_TOKEN`
 * (an empty one, as a CI job whose secret is missing sets it, counts as unset).
 */
export function apiToken(
  options: Pick<GlobalOptions, 'token'>,
  env: NodeJS.ProcessEnv,
): { token: string; source: TokenSource } | undefined {
  if (options.token !== undefined) {
    if (options.token.trim() === '') throw usageError('empty_token', '--token is empty');
    return { token: options.token.trim(), source: '--token' };
  }
  const fromEnv = env.MSGR_TOKEN?.trim();
  return fromEnv ? { token: fromEnv, source: 'MSGR_TOKEN' } : undefined;
}

export interface OpenSessionOptions {
  /**
   * The command works on the saved login itself (`login`, `logout`, `register`): an API token
   * given by `--token` or `MSGR_TOKEN` is not used.
   */
  isLoginOnly?: boolean;
}

/** Opens the session of the command being run (`command` is the action's last argument). */
export async function openSession(
  state: RunState,
  command: Command,
  { isLoginOnly = false }: OpenSessionOptions = {},
): Promise<Session> {
  const { io } = state;
  const options = command.optsWithGlobals<GlobalOptions>();
  const api = isLoginOnly ? undefined : apiToken(options, io.env);
  const configFile = configPath(io.env);
  const config = await loadConfig(configFile);
  const hosts = resolveHosts(options.host, io.env, config);
  state.hosts = hosts;
  state.tokenSource = api?.source;
  const client = new MessengerClient({
    hosts,
    // --race hedges (asks the next host only when the first is slow): in the SDK's race
    // benchmark it answers sooner than sending to every host at once, with 0-0.06 extra
    // requests a send instead of 2.
    strategy: options.race ? 'hedge' : 'failover',
    // With an API token the saved login is neither used nor touched, and the token is kept in
    // memory only.
    ...(api ? { token: api.token } : { tokenStore: fileTokenStore(configFile) }),
    operationIds: new FileOperationIds(operationIdsDir(configFile)),
  });
  return {
    io,
    out: outputFor(io, options),
    options,
    configFile,
    config,
    hosts,
    client,
    tokenSource: api?.source,
    signal: io.interrupt,
  };
}

/**
 * Refuses, before any request, what an API token may not do (tokens and bots are managed from a
 * login session), saying how to use the login instead.
 */
export function requireLogin(s: Session, what: string): void {
  if (s.tokenSource === undefined) return;
  const drop = s.tokenSource === '--token' ? 'leave out --token' : 'unset MSGR_TOKEN';
  throw new CliError(
    ExitCode.Refused,
    'insufficient_scope',
    `${what} needs your login session, not an API token (from ${s.tokenSource}): ${drop} ` +
      'and use `msgr login` (insufficient_scope)',
  );
}
