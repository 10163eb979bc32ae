/**
 * The real `msgr` binary on a real pseudo-terminal: util-linux `script -qefc <cmd> /dev/null`
 * runs it on a pty and copies every byte the terminal would receive (stdout and stderr alike)
 * to our pipe. Keys, Ctrl-C included, go in through `write()` and reach the program through the
 * pty's line discipline, as typed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { BIN } from './msgr.js';

/** Whether util-linux `script` is there (the pty tests skip, saying so, without it). */
export const hasScript = spawnSync('script', ['--version']).status === 0;

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export interface PtyRun {
  /** Every byte the terminal received so far. */
  readonly bytes: () => Buffer;
  /** The same bytes as UTF-8 text. */
  readonly text: () => string;
  /** Types into the terminal. */
  write(keys: string): void;
  /** No more input (script then waits for the program to end). */
  end(): void;
  /** Resolves once `predicate(text)` holds; rejects after `timeoutMs`. */
  until(predicate: (text: string) => boolean, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code of `msgr`; the process is killed after `timeoutMs`. */
  exited(timeoutMs?: number): Promise<number | null>;
}

/** Starts `msgr args…` on a pty with `env` (no input unless `write()` types some). */
export function msgrInPty(args: string[], env: NodeJS.ProcessEnv): PtyRun {
  // `exec`: the shell gives the pty to msgr alone, so Ctrl-C and the exit code are msgr's.
  const command = `exec ${[process.execPath, BIN, ...args].map(quote).join(' ')}`;
  const child = spawn('script', ['-qefc', command, '/dev/null'], {
    env: { ...env, SHELL: '/bin/sh' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let received = Buffer.alloc(0);
  const listeners = new Set<() => void>();
  child.stdout.on('data', (d: Buffer) => {
    received = Buffer.concat([received, d]);
    for (const listener of listeners) listener();
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  const text = () => received.toString('utf8');
  return {
    bytes: () => received,
    text,
    write: (keys) => child.stdin.write(keys),
    end: () => child.stdin.end(),
    until(predicate, timeoutMs = 15_000) {
      if (predicate(text())) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(text())) return;
          done();
          resolve();
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${timeoutMs} ms; got: ${JSON.stringify(text())}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
      });
    },
    async exited(timeoutMs = 15_000) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`msgr ${args.join(' ')} ran over ${timeoutMs} ms: ${text()} ${stderr}`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([exit, deadline]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** `msgr args…` on a pty to its end: the terminal's bytes and the exit code. */
export async function msgrOnTerminal(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; bytes: Buffer; text: string }> {
  const run = msgrInPty(args, env);
  run.end();
  const code = await run.exited();
  return { code, bytes: run.bytes(), text: run.text() };
}
