/**
 * Runs the CLI: the real binary as a child process (`msgr()`, `spawnMsgr()`), or `run()`
 * in-process with captured streams (`runInProcess()`). Every wait has a deadline.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Io } from '../../src/io.js';
import { run } from '../../src/run.js';

export const BIN = fileURLToPath(new URL('../../bin/msgr.js', import.meta.url));

/** A fresh folder for config files; removed by the returned cleanup. */
export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'msgr-cli-test-'));
  return { dir, remove: () => fs.rm(dir, { recursive: true, force: true }) };
}

/** The parent's environment without anything that would change the CLI's behaviour. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of [
    'NO_COLOR',
    'FORCE_COLOR',
    'CLICOLOR_FORCE',
    'MSGR_HOSTS',
    'MSGR_PASSWORD',
    'MSGR_TOKEN',
  ]) {
    delete env[name];
  }
  return { ...env, ...extra };
}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout's bytes as they came (`download -o -`); child processes only. */
  stdoutBytes?: Buffer;
}

/**
 * Runs `msgr args…` to its end (killed after `timeoutMs`), feeding `input` on stdin, in `cwd`
 * (default: this process's).
 */
export function msgr(
  args: string[],
  {
    env,
    input = '',
    timeoutMs = 15_000,
    cwd,
  }: { env: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string },
): Promise<Result> {
  const child = spawnMsgr(args, env, { cwd });
  child.stdin.end(input);
  const chunks: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => chunks.push(d));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`msgr ${args.join(' ')} took over ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(chunks);
      resolve({ code, stdout: stdoutBytes.toString(), stderr, stdoutBytes });
    });
  });
}

export function spawnMsgr(
  args: string[],
  env: NodeJS.ProcessEnv,
  { cwd }: { cwd?: string } = {},
): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BIN, ...args], { env, stdio: 'pipe', cwd });
}

/** Collects a stream's text from its creation on and waits, with a deadline, until it holds what is expected. */
export class StreamReader {
  text = '';
  private listeners: (() => void)[] = [];

  constructor(stream: { on(event: 'data', listener: (d: Buffer | string) => void): unknown }) {
    stream.on('data', (d: Buffer | string) => {
      this.text += d.toString();
      for (const listener of this.listeners) listener();
    });
  }

  get lines(): string[] {
    return this.text.split('\n').filter((l) => l !== '');
  }

  /** Resolves once `predicate(text)` holds; rejects after `timeoutMs`. */
  until(predicate: (text: string) => boolean, timeoutMs = 15_000): Promise<void> {
    if (predicate(this.text)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate(this.text)) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms; got: ${JSON.stringify(this.text)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
      };
      this.listeners.push(check);
    });
  }
}

/** A writable that keeps what is written, shaped like process.stdout for `run()`. */
export class Capture extends EventEmitter {
  private readonly reader = new StreamReader(this);
  constructor(readonly isTTY = false) {
    super();
  }
  get text(): string {
    return this.reader.text;
  }
  write(chunk: string): boolean {
    this.emit('data', chunk);
    return true;
  }
  /** Resolves once everything written so far satisfies `predicate`; rejects after `timeoutMs`. */
  until(predicate: (text: string) => boolean, timeoutMs?: number): Promise<void> {
    return this.reader.until(predicate, timeoutMs);
  }
}

export interface InProcess extends Result {
  code: number;
}

/** `run(argv)` with captured streams; `stdin` is the given text (not a TTY). */
export async function runInProcess(
  argv: string[],
  {
    env,
    stdin = '',
    interrupt,
    stdout = new Capture(),
    stderr = new Capture(),
  }: {
    env: NodeJS.ProcessEnv;
    stdin?: string | Io['stdin'];
    interrupt?: AbortSignal;
    stdout?: Capture;
    stderr?: Capture;
  },
): Promise<InProcess> {
  const input = typeof stdin === 'string' ? Readable.from([Buffer.from(stdin)]) : stdin;
  const code = await run(argv, { stdout, stderr, stdin: input, env, interrupt });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
