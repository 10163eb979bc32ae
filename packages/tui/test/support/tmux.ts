/**
 * `msgr-tui` (the built bin) in a real terminal: a tmux server on a private socket, one session
 * per test, keys typed with `send-keys`, the screen read with `capture-pane`. Every wait polls
 * the screen with a deadline (no fixed sleeps); the last screen of a session can be kept.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/msgr-tui.js', import.meta.url));
export const ARTIFACTS = fileURLToPath(new URL('../../../../artifacts/', import.meta.url));

export const hasTmux = spawnSync('tmux', ['-V']).status === 0;

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export class TmuxServer {
  readonly socket = `msgr-e2e-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  run(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], {
      encoding: 'utf8',
    });
  }

  /**
   * Starts `msgr-tui` with `configFile` in a new session of `columns`×`rows`, with `env` added
   * to its environment.
   */
  start(
    name: string,
    configFile: string,
    {
      columns = 100,
      rows = 30,
      env = {},
    }: { columns?: number; rows?: number; env?: Record<string, string> } = {},
  ): TmuxTui {
    const extra = Object.entries(env).map(([k, v]) => `${k}=${quote(v)}`);
    // Ink draws nothing live when it believes it runs in CI, so CI's variables stay outside.
    const command = [
      'env -u CI -u CONTINUOUS_INTEGRATION',
      `MSGR_CONFIG=${quote(configFile)} MSGR_TUI_NOTIFY=off MSGR_TUI_BELL=0`,
      ...extra,
      `${quote(process.execPath)} ${quote(BIN)};`,
      'echo "[msgr-tui exited $?]"; sleep 120',
    ].join(' ');
    this.run('new-session', '-d', '-x', String(columns), '-y', String(rows), '-s', name, command);
    // Each bell the program rings bumps the session's @bells (counted inside tmux, in order, with
    // no shell run per bell): see `TmuxTui.bells()`. Bells only ring with MSGR_TUI_BELL=1 in `env`.
    this.run('set-option', '-t', name, '@bells', '0');
    this.run(
      'set-hook',
      '-t',
      name,
      'alert-bell',
      `set-option -F -t ${name} @bells "#{e|+:#{@bells},1}"`,
    );
    return new TmuxTui(this, name);
  }

  /** Ends the tmux server and removes its socket file (tmux leaves it behind; it is ours). */
  async close(): Promise<void> {
    // Asked while the server runs; it has gone already when its last session was closed, and
    // then the file is where tmux puts sockets by default.
    const socketPath =
      spawnSync('tmux', ['-L', this.socket, 'display-message', '-p', '#{socket_path}'], {
        encoding: 'utf8',
      }).stdout.trim() ||
      path.join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, this.socket);
    spawnSync('tmux', ['-L', this.socket, 'kill-server']);
    await fs.rm(socketPath, { force: true });
  }
}

export class TmuxTui {
  constructor(
    private readonly server: TmuxServer,
    readonly name: string,
  ) {}

  /** The screen as text; with `withAttributes`, the SGR sequences too (to see highlights). */
  screen({ withAttributes = false } = {}): string {
    const attributes = withAttributes ? ['-e'] : [];
    return this.server.run('capture-pane', '-p', ...attributes, '-t', this.name);
  }

  /**
   * How many times the terminal bell rang in this session (tmux's `alert-bell`; bells in one
   * read of the program's output count once).
   */
  bells(): number {
    return Number(this.server.run('show-options', '-v', '-t', this.name, '@bells').trim());
  }

  /** Named keys, as tmux spells them: `Enter`, `Up`, `Escape`, `C-k`… */
  keys(...keys: string[]): void {
    this.server.run('send-keys', '-t', this.name, ...keys);
  }

  /** Text typed as it is (`+`, digits, words). */
  type(text: string): void {
    this.server.run('send-keys', '-t', this.name, '-l', text);
  }

  /**
   * Polls every 100 ms until `check` holds; fails after `ms` with the last distinct screens it
   * saw meanwhile (with how long after the start each appeared), so a failure shows the way there.
   */
  async waitFor(
    check: (text: string) => boolean,
    { ms = 15_000, withAttributes = false } = {},
  ): Promise<string> {
    const started = Date.now();
    const seen: string[] = [];
    let previous: string | undefined;
    for (;;) {
      const text = this.screen({ withAttributes });
      if (check(text)) return text;
      if (text !== previous) seen.push(`after ${Date.now() - started} ms:\n${text}`);
      previous = text;
      if (Date.now() - started > ms) {
        const way = seen.slice(-6).join('\n');
        throw new Error(
          `the screen never showed what we waited for (${seen.length} screens, the last ones):\n${way}\nnow:\n${this.screen()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Keeps the screen in `artifacts/<file>` and ends the session. */
  async close(file: string): Promise<void> {
    try {
      await fs.mkdir(ARTIFACTS, { recursive: true });
      await fs.writeFile(path.join(ARTIFACTS, file), this.screen());
    } catch {
      // No session to capture (it failed to start): nothing to keep.
    }
    spawnSync('tmux', ['-L', this.server.socket, 'kill-session', '-t', this.name]);
  }
}
