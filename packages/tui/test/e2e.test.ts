/**
 * msgr-tui in a real terminal: a real server process, `msgr-tui` (the built bin) inside tmux on
 * a private socket (`support/tmux.ts`), keys typed with `send-keys`, the screen read with
 * `capture-pane`. The last screen is kept in artifacts/tui-e2e-screen.txt.
 */
import { fileTokenStore, stableClientId, updateConfig } from '@msgr/session';
import { MessengerClient } from '@msgr/sdk';
import { expect } from 'chai';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServerProcesses, type ServerProcesses } from '../../server/test/support/processes.js';
import { hasTmux, TmuxServer, type TmuxTui } from './support/tmux.js';

describe('msgr-tui end to end (tmux)', function () {
  this.timeout(90_000);
  let servers: ServerProcesses | undefined;
  let dir: string;
  let configFile: string;
  let peer: MessengerClient;
  let meId: number;
  let tmux: TmuxServer | undefined;
  let tui: TmuxTui | undefined;

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
    await tui?.close('tui-e2e-screen.txt');
    await tmux?.close();
    await servers?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('types and sends a message, sees a reply arrive live and its read receipt', async () => {
    tmux = new TmuxServer();
    tui = tmux.start('e2e', configFile);
    const waitForScreen = (check: (text: string) => boolean) => tui!.waitFor(check);

    // At start the most recent chat is selected; Enter opens it and puts the cursor in its input.
    await waitForScreen((s) => s.includes('›@ Test User 2') && s.includes('● connected'));
    tui.keys('Enter');
    await waitForScreen((s) => s.includes('Test User 2: hi from two') && s.includes('Enter send'));

    tui.type('hello from tmux');
    await waitForScreen((s) => s.includes('> hello from tmux'));
    tui.keys('Enter');
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
