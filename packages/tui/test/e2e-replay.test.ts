/**
 * v1.2 in a real terminal: `msgr-tui` in tmux reaches a real server process through a loopback
 * TCP proxy that the test cuts. While the TUI is away, the others edit, delete, react, rename
 * the group and add a member, and I read a chat on another device; when the path is back, the
 * subscription replays all of it and the screen shows every change — without reading the chat
 * list or any history again (the server's request counters say so). Bounded waits; the last
 * screen is kept in artifacts/tui-e2e-replay.txt.
 */
import { fileTokenStore, stableClientId, updateConfig } from '@msgr/session';
import { MessengerClient } from '@msgr/sdk';
import { expect } from 'chai';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { listen, type NetProxy } from '../../server/test/support/net-proxy.js';
import { startServerProcesses, type ServerProcesses } from '../../server/test/support/processes.js';
import { hasTmux, TmuxServer, type TmuxTui } from './support/tmux.js';

const PASSWORD = 'secret-e2e';

describe('msgr-tui end to end: a reconnect replays every change (tmux, a cut connection)', function () {
  this.timeout(60_000);
  let servers: ServerProcesses | undefined;
  let proxy: NetProxy | undefined;
  let tmux: TmuxServer | undefined;
  let tui: TmuxTui | undefined;
  let dir: string;

  before(async function () {
    if (!hasTmux) {
      console.log('    skipping the terminal test: tmux is not installed (apt-get install tmux)');
      this.skip();
    }
    servers = await startServerProcesses(1);
    proxy = await listen(Number(new URL(servers.urls[0]!).port));
    tmux = new TmuxServer();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'msgr-tui-e2e-replay-'));
  });

  after(async () => {
    await tui?.close('tui-e2e-replay.txt');
    await tmux?.close();
    await proxy?.close();
    await servers?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  /** Requests the server answered on `route` so far (its /metrics, asked directly). */
  async function answered(route: string): Promise<number> {
    const text = await (await fetch(`${servers!.urls[0]}/metrics`)).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith('msgr_http_requests_total{') && l.includes(`route="${route}"`))
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  }

  async function person(name: string, clientId = `e2e-${name}`) {
    const email = `${name.toLowerCase()}-${process.pid}@e2e.test`;
    const client = new MessengerClient({ hosts: servers!.urls });
    const user = await client.register({ email, name, password: PASSWORD });
    await client.login({ email, password: PASSWORD, clientId });
    return { client, id: user.id, email };
  }

  it('cut while others change things: edit, delete, reaction, rename, a new member and a read elsewhere all show once it is back', async () => {
    // Me, logged in as `msgr login` does, with the proxy as my only host.
    const configFile = path.join(dir, 'config.json');
    const myEmail = `rhea-${process.pid}@e2e.test`;
    const me = new MessengerClient({
      hosts: servers!.urls,
      tokenStore: fileTokenStore(configFile),
    });
    const myId = (await me.register({ email: myEmail, name: 'Rhea', password: PASSWORD })).id;
    await me.login({
      email: myEmail,
      password: PASSWORD,
      clientId: await stableClientId(configFile),
    });
    await updateConfig(configFile, { hosts: [proxy!.url], email: myEmail });
    const pat = await person('Pat');
    const theo = await person('Theo');

    // Pat writes to me directly (2 unread), then in a group with me (the most recent chat).
    await pat.client.sendToUser(myId, 'ping one');
    const lastPing = await pat.client.sendToUser(myId, 'ping two');
    const team = await pat.client.createGroup({ name: 'Replay Team', participantUserIds: [myId] });
    const first = await pat.client.sendToGroup(team.group_id, 'first words');
    const second = await pat.client.sendToGroup(team.group_id, 'second words');
    const third = await pat.client.sendToGroup(team.group_id, 'third words');

    tui = tmux!.start('replay', configFile);
    await tui.waitFor(
      (s) => s.includes('›# Replay Team') && /@ Pat +2│/.test(s) && s.includes('● connected'),
    );
    tui.keys('Enter');
    await tui.waitFor(
      (s) => s.includes('Pat: third words') && s.includes('2 members') && s.includes('Enter send'),
    );
    // The pane marked the group read: wait until the server has it, before the cut.
    for (const deadline = Date.now() + 10_000; ;) {
      const listed = (await me.chats()).find((c) => c.chat_id === team.chat_id);
      if (listed?.unread_count === 0) break;
      if (Date.now() > deadline) throw new Error('the TUI never marked the group read');
      await new Promise((r) => setTimeout(r, 100));
    }
    // What the TUI has read so far; a reconnect must add nothing to it.
    const chatsBefore = await answered('/chats');
    const historyBefore = await answered('/history/{chat_id}');
    expect(historyBefore, 'the counters are read').to.be.above(0);

    // Cut: every connection reset, new ones refused.
    proxy!.refuse();
    proxy!.reset();
    await tui.waitFor((s) => s.includes('reconnecting') || s.includes('offline'));

    await pat.client.editMessage(first.id, 'first words, edited');
    await pat.client.deleteMessage(second.id);
    await pat.client.react(third.id, '🎉');
    await pat.client.renameGroup(team.group_id, 'Replay Team 2');
    await pat.client.addMembers(team.group_id, [theo.id]);
    // Me on my phone (another device) reads the direct chat.
    const phone = new MessengerClient({ hosts: servers!.urls });
    await phone.login({ email: myEmail, password: PASSWORD, clientId: 'e2e-phone' });
    await phone.markRead(lastPing.id);

    proxy!.pass();
    const shown = await tui.waitFor(
      (s) =>
        s.includes('● connected') &&
        s.includes('Pat: first words, edited (edited)') &&
        s.includes('Pat: message deleted') &&
        s.includes('🎉 1') &&
        s.includes('# Replay Team 2') &&
        s.includes('3 members') &&
        /@ Pat +│/.test(s),
      { ms: 30_000 },
    );
    expect(shown).to.not.include('second words');
    // Replayed, not reloaded: no chat list, no history page was asked for since the cut.
    expect(await answered('/chats')).to.equal(chatsBefore);
    expect(await answered('/history/{chat_id}')).to.equal(historyBefore);
  });
});
