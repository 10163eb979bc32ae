/**
 * v1.1 in a real terminal against a real server process: `msgr-tui` in tmux edits, deletes,
 * replies, reacts, searches, and sees itself removed from a group, while the other side acts
 * through the SDK. Each test registers fresh people (so its chat list is its own), runs its
 * own tmux session, bounds every wait, and keeps its last screen in artifacts/.
 */
import { fileTokenStore, stableClientId, updateConfig } from '@msgr/session';
import { MessengerClient, type Message } from '@msgr/sdk';
import { expect } from 'chai';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServerProcesses, type ServerProcesses } from '../../server/test/support/processes.js';
import { hasTmux, TmuxServer, type TmuxTui } from './support/tmux.js';

interface Person {
  client: MessengerClient;
  id: number;
  name: string;
}

// SGR "reverse video" (7) among the attributes tmux reports for a run of text.
// eslint-disable-next-line no-control-regex -- it looks for the escape that starts SGR
const INVERSE = /\u001b\[(?:[0-9;]*;)?7(?:;[0-9;]*)?m/;

describe('msgr-tui end to end: conversations that change (tmux)', function () {
  this.timeout(90_000);
  let servers: ServerProcesses | undefined;
  let tmux: TmuxServer | undefined;
  let dir: string;
  let tui: TmuxTui | undefined;
  let artifact = '';
  let serial = 0;

  before(async function () {
    if (!hasTmux) {
      console.log('    skipping the terminal tests: tmux is not installed (apt-get install tmux)');
      this.skip();
    }
    servers = await startServerProcesses(1);
    tmux = new TmuxServer();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'msgr-tui-e2e-v11-'));
  });

  afterEach(async () => {
    await tui?.close(artifact);
    tui = undefined;
  });

  after(async () => {
    await tmux?.close();
    await servers?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  /** Someone new on the server, logged in through the SDK. */
  async function person(name: string): Promise<Person> {
    const email = `${name.toLowerCase()}-${process.pid}-${++serial}@e2e.test`;
    const client = new MessengerClient({ hosts: servers!.urls });
    const user = await client.register({ email, name, password: 'secret-e2e' });
    await client.login({ email, password: 'secret-e2e', clientId: `e2e-${name}` });
    return { client, id: user.id, name };
  }

  /**
   * A new person whose session `msgr-tui` uses (logged in as `msgr login` does: tokens in the
   * config file), and the TUI running for them, on its chat list.
   */
  async function tuiPerson(name: string, file: string): Promise<Person> {
    const email = `${name.toLowerCase()}-${process.pid}-${++serial}@e2e.test`;
    const configFile = path.join(dir, `${file}.json`);
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
    return { client, id: user.id, name };
  }

  function startTui(file: string): TmuxTui {
    artifact = `tui-e2e-${file}.txt`;
    tui = tmux!.start(file, path.join(dir, `${file}.json`));
    return tui;
  }

  /** Opens the chat selected at start (the most recent) and waits for `text` in it. */
  async function openFirstChat(screen: TmuxTui, title: string, text: string): Promise<void> {
    await screen.waitFor((s) => s.includes(`›${title}`) && s.includes('● connected'));
    screen.keys('Enter');
    await screen.waitFor((s) => s.includes(text) && s.includes('Enter send'));
  }

  async function last(client: MessengerClient, chatId: number): Promise<Message> {
    const page = await client.history(chatId, { limit: 1 });
    return page[0]!;
  }

  it('edit: ↑ on the empty input edits my last message; a peer’s edit shows live', async () => {
    const me = await tuiPerson('Edna', 'edit');
    const peer = await person('Pat');
    const theirs = await peer.client.sendToUser(me.id, 'helo there');
    const screen = startTui('edit');
    await openFirstChat(screen, '@ Pat', 'Pat: helo there');

    screen.type('see you tomorow');
    screen.keys('Enter');
    await screen.waitFor((s) => /You: see you tomorow ✓/.test(s));
    screen.keys('Up');
    await screen.waitFor(
      (s) => s.includes('Editing your message') && s.includes('> see you tomorow'),
    );
    screen.keys('C-u');
    await screen.waitFor((s) => !s.includes('> see you tomorow'));
    screen.type('see you tomorrow');
    screen.keys('Enter');
    await screen.waitFor((s) => s.includes('You: see you tomorrow (edited) ✓'));
    const mine = await last(peer.client, theirs.chat_id);
    expect(mine.text).to.equal('see you tomorrow');
    expect(mine.edited_at).to.be.a('string');

    await peer.client.editMessage(theirs.id, 'hello there');
    await screen.waitFor((s) => s.includes('Pat: hello there (edited)'));
  });

  it('delete: Ctrl+K, d asks first, y makes a tombstone; a peer’s delete shows live', async () => {
    const me = await tuiPerson('Dora', 'delete');
    const peer = await person('Dan');
    const theirs = await peer.client.sendToUser(me.id, 'this will vanish');
    await me.client.sendToUser(peer.id, 'regrettable words');
    const screen = startTui('delete');
    await openFirstChat(screen, '@ Dan', 'You: regrettable words');

    screen.keys('C-k'); // the newest message, mine
    await screen.waitFor((s) => s.includes('e edit · d delete'));
    screen.type('d');
    await screen.waitFor((s) => s.includes('Delete message') && s.includes('“regrettable words”'));
    screen.type('y');
    await screen.waitFor((s) => s.includes('You: message deleted') && !s.includes('regrettable'));
    const gone = await last(peer.client, theirs.chat_id);
    expect(gone).to.include({ deleted: true, text: '' });

    await peer.client.deleteMessage(theirs.id);
    await screen.waitFor((s) => s.includes('Dan: message deleted') && !s.includes('vanish'));
  });

  it('reply: Ctrl+K, r quotes the message above the input; the reply carries reply_to and its quote', async () => {
    const me = await tuiPerson('Rita', 'reply');
    const peer = await person('Ray');
    const question = await peer.client.sendToUser(me.id, 'lunch at noon?');
    const screen = startTui('reply');
    await openFirstChat(screen, '@ Ray', 'Ray: lunch at noon?');

    screen.keys('C-k');
    await screen.waitFor((s) => s.includes('e edit · d delete'));
    screen.type('r');
    await screen.waitFor((s) => s.includes('↳ Reply to Ray: lunch at noon? · Esc cancel'));
    screen.type('yes, see you there');
    screen.keys('Enter');
    const shown = await screen.waitFor((s) => s.includes('You: yes, see you there ✓'));
    expect(shown).to.match(/↳ Ray: lunch at noon\?[^\n]*\n[^\n]*You: yes, see you there ✓/);
    expect(shown).to.not.include('Reply to');
    const answer = await last(peer.client, question.chat_id);
    expect(answer).to.include({ text: 'yes, see you there', reply_to: question.id });
  });

  it('react: Ctrl+K, + and a digit react; a peer’s reaction shows live; again takes mine back', async () => {
    const me = await tuiPerson('Rosa', 'react');
    const peer = await person('Rex');
    const news = await peer.client.sendToUser(me.id, 'we shipped it');
    const screen = startTui('react');
    await openFirstChat(screen, '@ Rex', 'Rex: we shipped it');

    screen.keys('C-k');
    await screen.waitFor((s) => s.includes('e edit · d delete'));
    screen.type('+');
    await screen.waitFor((s) => s.includes('React: [1👍]'));
    screen.type('5'); // 🎉
    await screen.waitFor((s) => /🎉 1/.test(s) && !s.includes('React:'));
    expect((await last(peer.client, news.chat_id)).reactions).to.deep.equal([
      { emoji: '🎉', count: 1, me: false },
    ]);

    await peer.client.react(news.id, '🎉');
    await peer.client.react(news.id, '👍');
    await screen.waitFor((s) => /🎉 2 +👍 1/.test(s));

    screen.type('+');
    await screen.waitFor((s) => s.includes('React:'));
    screen.type('5');
    await screen.waitFor((s) => /🎉 1/.test(s) && /👍 1/.test(s) && !s.includes('React:'));
    const counts = (await last(peer.client, news.chat_id)).reactions;
    expect(counts).to.deep.include({ emoji: '🎉', count: 1, me: true });
  });

  it('search: Ctrl+F finds an old message; Enter opens the chat there, highlighted, with its history around it', async () => {
    const me = await tuiPerson('Sue', 'search');
    const peer = await person('Sam');
    const needle = await peer.client.sendToUser(me.id, 'the password is swordfish');
    for (let i = 0; i < 70; i++) await peer.client.sendToUser(me.id, `filler ${i}`);
    const screen = startTui('search');
    await screen.waitFor((s) => s.includes('›@ Sam') && s.includes('● connected'));

    screen.keys('C-f');
    await screen.waitFor((s) => s.includes('Search messages'));
    screen.type('swordf');
    await screen.waitFor((s) => /@Sam {2}Sam: the password is swordfish/.test(s));
    screen.keys('Enter');
    const shown = await screen.waitFor(
      (s) => s.includes('Sam: the password is swordfish') && s.includes('e edit · d delete'),
    );
    expect(shown).to.not.include('Search messages');
    // Its neighbours came with it (the page after it), not the newest page.
    expect(shown).to.include('Sam: filler 0');
    expect(shown).to.not.include('filler 69');
    const painted = screen.screen({ withAttributes: true });
    const row = painted.split('\n').find((l) => l.includes('the password is swordfish'))!;
    expect(row).to.match(INVERSE);
    expect(needle.id).to.be.a('number');

    // End walks to the newest loaded message; the pages after it load up to the newest.
    screen.keys('End');
    // The page after it has landed: the highlight stays, rows of that page below it, and no
    // "newer messages" row. (Before it lands the placeholder row can be the one "more row" below
    // the highlight, out of sight: a second End then would only select what is selected.)
    await screen.waitFor(
      (s) =>
        s.includes('Sam: filler 24') &&
        s.includes('Sam: filler 25') &&
        !s.includes('newer messages') &&
        s.includes('more rows'),
    );
    screen.keys('End');
    await screen.waitFor((s) => s.includes('Sam: filler 69'), { ms: 20_000 });
    // Read up to the newest now: the unread count in the list goes.
    await screen.waitFor((s) => /›@ Sam +│/.test(s));
  });

  it('members: the owner removes me through the SDK while the TUI shows the group; it goes, with a notice', async () => {
    const me = await tuiPerson('Mia', 'members');
    const owner = await person('Olga');
    const third = await person('Theo');
    const team = await owner.client.createGroup({
      name: 'E2E Team',
      participantUserIds: [me.id, third.id],
    });
    const screen = startTui('members');
    await openFirstChat(screen, '# E2E Team', 'E2E Team · 3 members');
    // Said while the TUI shows the group, live. (This also warms the server's member cache:
    // from a cold cache the server sent the removed user no MembersChanged at all when this
    // was written — the next test shows the TUI finds out anyway.)
    await owner.client.sendToGroup(team.group_id, 'welcome, everyone');
    await screen.waitFor((s) => s.includes('Olga: welcome, everyone'));

    screen.keys('C-p');
    await screen.waitFor(
      (s) =>
        s.includes('#E2E Team · 3 members') && s.includes('Olga ★ owner') && s.includes('l leave'),
    );
    screen.keys('Escape');
    await screen.waitFor((s) => s.includes('E2E Team · 3 members') && s.includes('Olga: welcome'));

    await owner.client.removeMember(team.group_id, me.id);
    const final = await screen.waitFor(
      (s) => s.includes('You were removed from #E2E Team') && s.includes('No chat open.'),
    );
    expect(final).to.not.include('# E2E Team');
    expect((await me.client.chats()).map((c) => c.chat_id)).to.not.include(team.chat_id);
  });

  it('members: removed while writing to the group — Enter sends nothing, and the group goes', async () => {
    const me = await tuiPerson('Max', 'removed-writing');
    const owner = await person('Ola');
    const team = await owner.client.createGroup({
      name: 'Quiet Team',
      participantUserIds: [me.id],
    });
    await owner.client.sendToGroup(team.group_id, 'anyone here?');
    const screen = startTui('removed-writing');
    await openFirstChat(screen, '# Quiet Team', 'Ola: anyone here?');
    screen.type('still here');
    await screen.waitFor((s) => s.includes('> still here'));

    await owner.client.removeMember(team.group_id, me.id);
    // Whether the event came (the pane closed) or not (the send answers chat_forbidden).
    screen.keys('Enter');
    const final = await screen.waitFor(
      (s) => s.includes('You were removed from #Quiet Team') && s.includes('No chat open.'),
    );
    expect(final).to.not.include('# Quiet Team');
    const texts = (await owner.client.history(team.chat_id)).map((m) => m.text);
    expect(texts).to.deep.equal(['anyone here?']);
  });
});
