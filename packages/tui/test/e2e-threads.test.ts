/**
 * v1.4 in real terminals against a real server process: Ann's `msgr-tui` rings (the terminal
 * bell, counted by tmux's `alert-bell` hook) for a message naming her in a chat at `mentions`
 * (and not for the plain one before it); muted with `n` (all → mentions → none), a chat stays
 * silent — proved by a later message elsewhere that rings while the muted one never did
 * (`MSGR_TUI_RING_LOG` says which messages rang, in order); and a reply typed in Bob's thread
 * pane moves the root's `💬 N replies` live in Ann's pane, as do Cat's reply and its deletion.
 * Every wait polls with a deadline; the last screens are kept in artifacts/tui-e2e-threads-*.txt.
 */
import { fileTokenStore, stableClientId, updateConfig } from '@msgr/session';
import { MessengerClient } from '@msgr/sdk';
import { expect } from 'chai';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServerProcesses, type ServerProcesses } from '../../server/test/support/processes.js';
import { hasTmux, TmuxServer, type TmuxTui } from './support/tmux.js';

interface Person {
  client: MessengerClient;
  id: number;
  configFile: string;
  email: string;
}

interface Ring {
  chat_id: number;
  message_ids: number[];
}

/** Polls `check` every 100 ms until it holds; fails after `ms` with `what()`. */
async function until(check: () => Promise<boolean> | boolean, what: () => string, ms = 15_000) {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Is `word` drawn dim in `line` (a row of `capture-pane -e`): SGR 2 set and not reset before it? */
function isDimAt(line: string, word: string): boolean {
  let isDim = false;
  // eslint-disable-next-line no-control-regex
  for (const [, params] of line.slice(0, line.indexOf(word)).matchAll(/\u001b\[([0-9;]*)m/g)) {
    for (const p of params!.split(';')) {
      if (p === '' || p === '0' || p === '22') isDim = false;
      else if (p === '2') isDim = true;
    }
  }
  return isDim;
}

describe('msgr-tui end to end: mentions, levels and threads (tmux)', function () {
  this.timeout(90_000);
  let servers: ServerProcesses | undefined;
  let tmux: TmuxServer | undefined;
  let dir: string;
  const screens: [TmuxTui, string][] = [];
  let ann: Person;
  let bob: Person;
  let cat: Person;
  /** Ann's other device (her phone): changes levels the TUI hears of. */
  let annPhone: MessengerClient;
  let annTui: TmuxTui;
  let ringLog: string;
  let crew: { groupId: number; chatId: number };
  let quiet: { groupId: number; chatId: number };
  let direct: number;

  before(async function () {
    if (!hasTmux) {
      console.log('    skipping the terminal tests: tmux is not installed (apt-get install tmux)');
      this.skip();
    }
    servers = await startServerProcesses(1);
    tmux = new TmuxServer();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'msgr-tui-e2e-threads-'));
    ann = await person('Ann');
    bob = await person('Bob');
    cat = await person('Cat');
    annPhone = new MessengerClient({ hosts: servers.urls });
    await annPhone.login({ email: ann.email, password: 'secret-e2e', clientId: 'e2e-phone' });
    const crewGroup = await ann.client.createGroup({
      name: 'Crew',
      participantUserIds: [bob.id, cat.id],
    });
    crew = { groupId: crewGroup.group_id, chatId: crewGroup.chat_id };
    const quietGroup = await cat.client.createGroup({
      name: 'Quiet',
      participantUserIds: [ann.id],
    });
    quiet = { groupId: quietGroup.group_id, chatId: quietGroup.chat_id };
    direct = (await cat.client.sendToUser(ann.id, 'hello Ann')).chat_id;
    await bob.client.sendToGroup(crew.groupId, 'crew, assemble');

    ringLog = path.join(dir, 'ann-rings.log');
    annTui = tmux.start('ann', ann.configFile, {
      env: { MSGR_TUI_BELL: '1', MSGR_TUI_RING_LOG: ringLog },
    });
    screens.push([annTui, 'tui-e2e-threads-ann.txt']);
    await annTui.waitFor((s) => s.includes('# Crew') && s.includes('● connected'));
  });

  after(async () => {
    for (const [screen, file] of screens) await screen.close(file);
    await tmux?.close();
    await servers?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  /** A new person, logged in the way `msgr login` does (tokens in their own config file). */
  async function person(name: string): Promise<Person> {
    const email = `${name.toLowerCase()}-${process.pid}@e2e-threads.test`;
    const configFile = path.join(dir, `${name}.json`);
    const client = new MessengerClient({
      hosts: servers!.urls,
      tokenStore: fileTokenStore(configFile),
    });
    const user = await client.register({ email, name, password: 'secret-e2e' });
    await client.login({
      email,
      password: 'secret-e2e',
      clientId: await stableClientId(configFile),
    });
    await updateConfig(configFile, { hosts: servers!.urls, email });
    return { client, id: user.id, configFile, email };
  }

  async function rings(): Promise<Ring[]> {
    const text = await fs.readFile(ringLog, 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Ring);
  }

  const rang = async (messageId: number) =>
    (await rings()).some((r) => r.message_ids.includes(messageId));

  /** Moves the list's selection to `title` (its line starts `›# title` or `›@ title`). */
  async function select(tui: TmuxTui, title: string): Promise<void> {
    const selected = new RegExp(`›[#@] ${title}\\b`);
    for (let i = 0; i < 4; i++) tui.type('k');
    for (let i = 0; i < 6 && !selected.test(tui.screen()); i++) {
      const before = tui.screen();
      tui.type('j');
      await tui.waitFor((s) => s !== before || selected.test(s), { ms: 3000 }).catch(() => '');
    }
    await tui.waitFor((s) => selected.test(s));
  }

  it('(a) a message naming me in a chat at “mentions” rings; the plain one before it does not', async () => {
    // From Ann's phone: the TUI hears of it (NotificationsChanged) before the messages after it.
    await annPhone.setNotifications(crew.chatId, 'mentions');
    const plain = await cat.client.sendToGroup(crew.groupId, 'anyone around?');
    const naming = await cat.client.sendToGroup(crew.groupId, '@Ann can you bring the cake?', {
      mentions: [ann.id],
    });
    await until(
      () => rang(naming.id),
      () => `no ring for the mention; rings: ${JSON.stringify(rings())}`,
    );
    expect(await rang(plain.id)).to.equal(false);
    await until(
      () => annTui.bells() >= 1,
      () => `tmux counted ${annTui.bells()} bells`,
    );
    expect(annTui.bells()).to.equal(1);
    // The list counts the unread mention: `@1` before the unread count.
    await annTui.waitFor((s) => /# Crew +@1 3/.test(s));
  });

  it('(b) n, n mutes a chat: a message there shows but never rings; a later one elsewhere does', async () => {
    await select(annTui, 'Quiet');
    annTui.type('n');
    await annTui.waitFor((s) => s.includes('Quiet: only messages that name you ring'));
    annTui.type('n');
    await annTui.waitFor((s) => s.includes('Quiet: muted: nothing rings'));
    await until(
      async () =>
        (await annPhone.chats()).find((c) => c.chat_id === quiet.chatId)?.notifications.level ===
        'none',
      () => 'the server never had Quiet at none',
    );
    const ringsBefore = (await rings()).length;
    // Even everyone named: a muted chat is silent. It shows in the list all the same, dimmed.
    const hush = await cat.client.sendToGroup(quiet.groupId, '@all party at mine?', {
      mentionAll: true,
    });
    await annTui.waitFor((s) => /# Quiet +@1 1/.test(s));
    const coloured = annTui.screen({ withAttributes: true });
    const quietLine = coloured.split('\n').find((l) => l.includes('Quiet'))!;
    expect(isDimAt(quietLine, 'Quiet'), quietLine).to.equal(true);
    const crewLine = coloured.split('\n').find((l) => l.includes('Crew'))!;
    expect(isDimAt(crewLine, 'Crew'), crewLine).to.equal(false);
    // A message in a chat at `all` rings: once its ring is logged, the muted one's would be.
    const ding = await cat.client.sendToUser(ann.id, 'ding');
    expect(ding.chat_id).to.equal(direct);
    await until(
      () => rang(ding.id),
      () => 'no ring for the direct message',
    );
    const after = await rings();
    expect(after.slice(ringsBefore).map((r) => r.message_ids)).to.deep.equal([[ding.id]]);
    expect(await rang(hush.id)).to.equal(false);
    await until(
      () => annTui.bells() >= 2,
      () => `tmux counted ${annTui.bells()} bells`,
    );
    expect(annTui.bells()).to.equal(2);
  });

  it('(c) a reply typed in Bob’s thread pane moves the root’s count live in Ann’s pane; so do Cat’s reply and its deletion', async () => {
    await select(annTui, 'Crew');
    annTui.keys('Enter');
    await annTui.waitFor(
      (s) => s.includes('Cat: @Ann can you bring the cake?') && s.includes('Enter send'),
    );
    // The message naming Ann stands out (bright magenta, bold).
    const annOpen = annTui.screen({ withAttributes: true });
    const namingLine = annOpen.split('\n').find((l) => l.includes('can you bring the cake'))!;
    expect(namingLine).to.match(/\u001b\[[0-9;]*95m/); // eslint-disable-line no-control-regex

    const bobTui = tmux!.start('bob', bob.configFile);
    screens.push([bobTui, 'tui-e2e-threads-bob.txt']);
    await bobTui.waitFor((s) => s.includes('›# Crew') && s.includes('● connected'));
    bobTui.keys('Enter');
    await bobTui.waitFor((s) => s.includes('can you bring the cake?') && s.includes('Enter send'));
    // Ctrl+K picks the newest message (Cat's); t opens its thread beside the chat.
    bobTui.keys('C-k');
    await bobTui.waitFor((s) => s.includes('t thread'));
    bobTui.type('t');
    await bobTui.waitFor((s) => s.includes('Thread · #Crew') && s.includes('no replies yet'));
    bobTui.type('I can, @Ca');
    await bobTui.waitFor((s) => s.includes('› @Cat'));
    bobTui.keys('Tab');
    await bobTui.waitFor((s) => s.includes('> I can, @Cat '));
    bobTui.keys('Enter');
    await bobTui.waitFor((s) => /You: I can, @Cat +✓/.test(s) && s.includes('─ 1 reply ─'));
    await annTui.waitFor((s) => s.includes('💬 1 reply'));
    // Cat was named in the reply (the server has it).
    const root = (await cat.client.history(crew.chatId, { topLevel: true })).at(-1)!;
    const thread = await cat.client.history(crew.chatId, { threadId: root.id });
    expect(thread.at(-1)).to.deep.include({ text: 'I can, @Cat ', mentions: [cat.id] });

    const catReply = await cat.client.sendToGroup(crew.groupId, 'thanks Bob!', {
      threadId: root.id,
    });
    await bobTui.waitFor((s) => s.includes('Cat: thanks Bob!') && s.includes('─ 2 replies ─'));
    await annTui.waitFor((s) => s.includes('💬 2 replies'));
    expect(annTui.screen()).to.not.include('thanks Bob!'); // replies stay in the thread
    await cat.client.deleteMessage(catReply.id);
    await annTui.waitFor((s) => s.includes('💬 1 reply') && !s.includes('💬 2 replies'));
    await bobTui.waitFor((s) => s.includes('─ 1 reply ─') && s.includes('message deleted'));
  });
});
