/**
 * New users for tests against real server processes: each logged in with the CLI (a config file
 * of its own) and with the SDK (another device of theirs, client id `sdk`).
 */
import { once } from 'node:events';
import path from 'node:path';
import { MessengerClient, type User } from '@msgr/sdk';
import type { ServerProcesses } from '../../../server/test/support/processes.js';
import { cleanEnv, msgr, spawnMsgr, StreamReader, type Result } from './msgr.js';

const PASSWORD = 'password123';

export interface Person {
  user: User;
  email: string;
  /** The same user on another device (the SDK, client id `sdk`). */
  client: MessengerClient;
  /** The CLI's environment: its config file, the first server, no colours. */
  env: NodeJS.ProcessEnv;
  /** Runs `msgr args…` as this person, to its end. */
  run(args: string[], input?: string): Promise<Result>;
  /** Starts `msgr args…` as this person (watch): its output, read as it comes. */
  start(args: string[]): Running;
}

export interface Running {
  stdout: StreamReader;
  stderr: StreamReader;
  pid: number;
  /** Resolves with the exit code once the process ended (a signal: null). */
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

/** Makes people on `servers` whose config files go in `dir`. */
export function people(servers: () => ServerProcesses, dir: () => string) {
  let count = 0;
  return async function person(name: string): Promise<Person> {
    // Taken before any await: people made at once (Promise.all) each get their own config file.
    const n = ++count;
    const email = `${name.toLowerCase()}-${Date.now()}-${n}@example.com`;
    const client = new MessengerClient({ hosts: servers().urls });
    const user: User = await client.register({ email, name, password: PASSWORD });
    await client.login({ email, password: PASSWORD, clientId: 'sdk' });
    const env = cleanEnv({
      MSGR_CONFIG: path.join(dir(), `config-${n}.json`),
      MSGR_HOSTS: servers().urls[0]!,
      NO_COLOR: '1',
    });
    const login = await msgr(['login', email, '--password', PASSWORD], { env });
    if (login.code !== 0) throw new Error(`msgr login: ${login.stderr}`);
    return {
      user,
      email,
      client,
      env,
      run: (args, input) => msgr(args, { env, input }),
      start: (args) => {
        const child = spawnMsgr(args, env);
        return {
          stdout: new StreamReader(child.stdout),
          stderr: new StreamReader(child.stderr),
          pid: child.pid!,
          exited: once(child, 'exit').then(([code]) => code as number | null),
          kill: (signal) => child.kill(signal),
        };
      },
    };
  };
}
