/**
 * A command's session: its global options, its writer, the config file and a MessengerClient
 * on the resolved hosts whose tokens live in that file (so refreshed tokens are kept) and whose
 * operation ids continue from run to run in the folder beside it (so two `msgr send` runs never
 * share an id, and the second is never mistaken for a replay of the first).
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
import { CliError, ExitCode } from './errors.js';
import type { Io } from './io.js';
import { Output, useColor } from './output.js';

/** The options every command accepts (declared on the program). */
export interface GlobalOptions {
  host: string[];
  race?: boolean;
  json?: boolean;
  /** false with `--no-color`. */
  color: boolean;
}

/** What one `run()` shares between its commands and its error handler. */
export interface RunState {
  readonly io: Io;
  /** The hosts in use, once a session exists: error messages name them. */
  hosts?: readonly string[];
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

/** Opens the session of the command being run (`command` is the action's last argument). */
export async function openSession(state: RunState, command: Command): Promise<Session> {
  const { io } = state;
  const options = command.optsWithGlobals<GlobalOptions>();
  const configFile = configPath(io.env);
  const config = await loadConfig(configFile);
  const hosts = resolveHosts(options.host, io.env, config);
  state.hosts = hosts;
  const client = new MessengerClient({
    hosts,
    strategy: options.race ? 'race' : 'failover',
    tokenStore: fileTokenStore(configFile),
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
    signal: io.interrupt,
  };
}
