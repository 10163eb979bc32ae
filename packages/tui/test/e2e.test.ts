/**
 * msgr-tui in a real terminal: a real server process, `msgr-tui` (the built bin) inside tmux on
 * a private socket, keys typed with `send-keys`, the screen read with `capture-pane`. The last
 * screen is kept in artifacts/tui-e2e-screen.txt.
 */
import { fileTokenStore, stableClientId, updateConfig } from '@msgr/session';
import { MessengerClient } from '@msgr/sdk';
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServerProcesses, type ServerProcesses } from '../../server/test/support/processes.js';

const BIN = fileURLToPath(new URL('../bin/msgr-tui.js', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../../../artifacts/', import.meta.url));
const SOCKET = `msgr-e2e-${process.pid}`;
const SESSION = 'e2e';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, '-f', '/dev/null', ...args], { encoding: 'utf8' });
}

const screen = (): string => tmux('capture-pane', '-p', '-t', SESSION);

/** Polls the screen every 100 ms until `check` holds; fails with the screen after `ms`. */
async function waitForScreen(check: (text: string) => boolean, ms = 15_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const text = screen();
    if (check(text)) return text;
    if (Date.now() > deadline)
      throw new Error(`the screen never showed what we waited for:\n${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

describe('msgr-tui end to end (tmux)', function () {
  this.timeout(90_000);
  let servers: ServerProcesses | undefined;
  let dir: string;
  let configFile: string;
  let peer: MessengerClient;
  let meId: number;

  before(async function () {
    if (!hasTmux) {
      console.log('    skipping the terminal test: tmux is not installed (apt-get install tmux)');
      this.skip();
    }
    servers = await startServerProcesses(1);
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'msgr-tui-e2e-'));
    configFile = path.join(dir, 'config.json');
    // Log in the way `msgr login` does: tokens in the shared config file.
    const me = new MessengerClient({ hosts: servers.urls, tokenStore: fileTokenStore(configFile) });
    await me.login({
      email: 'test1@test.com',
      password: 'test',
      clientId: await stableClientId(configFile),
    });
    await updateConfig(configFile, { hosts: servers.urls, email: 'test1@test.com' });
    meId = (await me.me()).id;
    peer = new MessengerClient({ hosts: servers.urls });
    await peer.login({ email: 'test2@test.com', password: 'test', clientId: 'e2e-peer' });
    await peer.sendToUser(meId, 'hi from two');
  });

  after(async () => {
    if (!hasTmux) return;
    try {
      await fs.mkdir(ARTIFACTS, { recursive: true });
      await fs.writeFile(path.join(ARTIFACTS, 'tui-e2e-screen.txt'), screen());
    } catch {
      // No session to capture (it failed to start): nothing to keep.
    }
    const socketPath = spawnSync(
      'tmux',
      ['-L', SOCKET, 'display-message', '-p', '#{socket_path}'],
      {
        encoding: 'utf8',
      },
    ).stdout.trim();
    spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
    // tmux leaves its socket file behind; it is ours alone.
    if (socketPath) await fs.rm(socketPath, { force: true });
    await servers?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('types and sends a message, sees a reply arrive live and its read receipt', async () => {
    // Ink draws nothing live when it believes it runs in CI, so CI's variables stay outside.
    const command = [
      'env -u CI -u CONTINUOUS_INTEGRATION',
      `MSGR_CONFIG=${quote(configFile)} MSGR_TUI_NOTIFY=off MSGR_TUI_BELL=0`,
      `${quote(process.execPath)} ${quote(BIN)};`,
      'echo "[msgr-tui exited $?]"; sleep 120',
    ].join(' ');
    tmux('new-session', '-d', '-x', '100', '-y', '30', '-s', SESSION, command);

    // At start the most recent chat is selected; Enter opens it and puts the cursor in its input.
    await waitForScreen((s) => s.includes('›@ Test User 2') && s.includes('● connected'));
    tmux('send-keys', '-t', SESSION, 'Enter');
    await waitForScreen((s) => s.includes('Test User 2: hi from two') && s.includes('Enter send'));

    tmux('send-keys', '-t', SESSION, '-l', 'hello from tmux');
    await waitForScreen((s) => s.includes('> hello from tmux'));
    tmux('send-keys', '-t', SESSION, 'Enter');
    await waitForScreen((s) => /You: hello from tmux ✓(?!✓)/.test(s));
    const chats = await peer.chats();
    const chat = chats.find((c) => c.peer_user_id === meId)!;
    expect(chat.last_message?.text).to.equal('hello from tmux');

    await peer.sendToUser(meId, 'a live reply from two');
    await waitForScreen((s) => s.includes('Test User 2: a live reply from two'));

    await peer.markRead(chat.last_message!.id);
    const final = await waitForScreen((s) => s.includes('You: hello from tmux ✓✓'));
    expect(final).to.include('Test User 1'); // the status bar names who is logged in
  });
});
