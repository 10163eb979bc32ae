/**
 * An example program run as its own process (`node --import tsx examples/src/<name>.ts`), the
 * way a user runs it: its stdout read line by line as it comes, its stderr kept for messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../../packages/server/test/support/fault-cluster.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class Program {
  /** Every line written to stdout so far. */
  readonly lines: string[] = [];
  /** Everything written to stderr so far. */
  stderr = '';
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;

  /** Starts `examples/src/<name>.ts` with `env` (and PATH; nothing else of this process's). */
  constructor(
    readonly name: string,
    env: Record<string, string>,
  ) {
    this.child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL(`../../src/${name}.ts`, import.meta.url))],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.exited = once(this.child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.lines.push(line));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first line from index `from` on that matches `pattern`, once it has been written. */
  line(pattern: RegExp, { from = 0, timeoutMs = 20_000 } = {}): Promise<string> {
    return waitFor(
      `${this.name} to print ${String(pattern)}`,
      () => {
        const line = this.lines.slice(from).find((l) => pattern.test(l));
        if (line === undefined && !this.isRunning) {
          throw new Error(`${this.name} ended before printing ${String(pattern)}: ${this.stderr}`);
        }
        return line;
      },
      { timeoutMs, everyMs: 20 },
    );
  }

  /** Its exit, or an error when it takes longer than `timeoutMs`. */
  async exit(timeoutMs = 20_000): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.name} still running`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  kill(signal: NodeJS.Signals): void {
    if (this.isRunning) this.child.kill(signal);
  }

  /** What it wrote, for assertion messages. */
  transcript(): string {
    return `--- ${this.name} (pid ${this.pid}) stdout:\n${this.lines.join('\n')}\n--- stderr:\n${this.stderr}`;
  }
}
