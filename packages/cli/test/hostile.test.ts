/* eslint-disable no-control-regex -- these tests look for control characters */
/**
 * Hostile names and texts against the real binary on a real terminal (a pty through util-linux
 * `script`) and a real server: whatever another user wrote, the terminal receives no escape
 * sequence, BEL, C1 control or bidi override from it, only the visible stand-ins; `--json` keeps
 * the exact characters.
 */
import { expect } from 'chai';
import path from 'node:path';
import { MessengerClient, type Group } from '@msgr/sdk';
import { startServerProcesses, type ServerProcesses } from '../../server/test/support/processes.js';
import { cleanEnv, msgr, tempDir } from './support/msgr.js';
import { hasScript, msgrInPty, msgrOnTerminal } from './support/pty.js';

/** Window title, clear screen, an OSC 8 hyperlink, an 8-bit CSI, a right-to-left override. */
const HOSTILE =
  '\u001b]0;pwned\u0007\u001b[2J\u001b]8;;http://evil.test\u001b\\link\u001b]8;;\u001b\\\u009b31m\u202e';
/** How HOSTILE must look on the terminal (see @msgr/safe-text). */
const SHOWN = '␛]0;pwned␇␛[2J␛]8;;http://evil.test␛\\link␛]8;;␛\\\ufffd31m\ufffd';

/** What must never reach the terminal from the data: ESC, BEL, C1 and bidi controls. */
function expectHarmless(bytes: Buffer, what: string): void {
  expect(bytes.includes(0x1b), `${what}: an ESC reached the terminal`).to.be.false;
  expect(bytes.includes(0x07), `${what}: a BEL reached the terminal`).to.be.false;
  const text = bytes.toString('utf8');
  expect(text, `${what}: a C1 or bidi control`).to.not.match(/[\u0080-\u009f\u202a-\u202e]/);
}

describe('msgr on a terminal, with hostile names and texts (pty)', function () {
  this.timeout(90_000);
  let servers: ServerProcesses;
  let dir: string;
  let removeDir: () => Promise<void>;
  let env: NodeJS.ProcessEnv;
  let eve: MessengerClient;
  let eveEnv: NodeJS.ProcessEnv;
  let directChatId: number;
  let team: Group;
  const eveEmail = `eve-${Date.now()}@example.com`;

  before(async function () {
    if (!hasScript) {
      console.log('    skipping the pty tests: util-linux `script` is not installed');
      this.skip();
    }
    servers = await startServerProcesses(1);
    ({ dir, remove: removeDir } = await tempDir());
    const hosts = servers.urls;
    eve = new MessengerClient({ hosts });
    await eve.register({ email: eveEmail, name: `Eve${HOSTILE}`, password: 'eve-password' });
    await eve.login({ email: eveEmail, password: 'eve-password', clientId: 'eve' });
    const sent = await eve.sendToUser(1, `hi ${HOSTILE} bye`);
    directChatId = sent.chat_id;
    team = await eve.createGroup({ name: `Team${HOSTILE}`, participantUserIds: [1] });

    // NO_COLOR: the CLI's own colours stay out, so any ESC on the terminal came from the data.
    const base = { MSGR_HOSTS: hosts[0]!, NO_COLOR: '1' };
    env = cleanEnv({ ...base, MSGR_CONFIG: path.join(dir, 'test1.json') });
    eveEnv = cleanEnv({ ...base, MSGR_CONFIG: path.join(dir, 'eve.json') });
    for (const [who, password, e] of [
      ['test1@test.com', 'test', env],
      [eveEmail, 'eve-password', eveEnv],
    ] as const) {
      const login = await msgr(['login', who, '--password', password], { env: e });
      expect(login.code, login.stderr).to.equal(0);
    }
  });
  after(async () => {
    await servers?.close();
    await removeDir?.();
  });

  it('history: the name and the text show their stand-ins, nothing executes', async () => {
    const run = await msgrOnTerminal(['history', String(directChatId)], env);
    expect(run.code, run.text).to.equal(0);
    expectHarmless(run.bytes, 'history');
    expect(run.text).to.include(`Eve${SHOWN}: hi ${SHOWN} bye`);
  });

  it('chats: titles and the last message preview show their stand-ins', async () => {
    const run = await msgrOnTerminal(['chats'], env);
    expect(run.code, run.text).to.equal(0);
    expectHarmless(run.bytes, 'chats');
    expect(run.text).to.include(`Team${SHOWN}`);
    expect(run.text).to.include(`Eve${SHOWN}`);
    expect(run.text).to.include('hi ␛]0;pwned␇'); // the preview, cut at 40 characters
  });

  it('users and whoami: the name shows its stand-ins', async () => {
    const users = await msgrOnTerminal(['users', 'eve-'], env);
    expect(users.code, users.text).to.equal(0);
    expectHarmless(users.bytes, 'users');
    expect(users.text).to.include(`Eve${SHOWN}`);

    const whoami = await msgrOnTerminal(['whoami'], eveEnv);
    expect(whoami.code, whoami.text).to.equal(0);
    expectHarmless(whoami.bytes, 'whoami');
    expect(whoami.text).to.include(`Eve${SHOWN} <${eveEmail}>`);
  });

  it('watch: a live hostile message and typing show their stand-ins; Ctrl-C ends it with 0', async () => {
    const watch = msgrInPty(['watch'], env);
    try {
      await watch.until((text) => text.includes('Connected to'));
      const live = eve.subscribe({ chatId: directChatId });
      // Not `for await … return`: leaving that loop would close the subscription.
      const events = live[Symbol.asyncIterator]();
      for (let e = await events.next(); live.state !== 'open'; e = await events.next()) {
        if (e.done) throw new Error('the subscription ended before it opened');
      }
      live.typing();
      await watch.until((text) => text.includes('is typing in'));
      await eve.sendToUser(1, `live ${HOSTILE} end`);
      await watch.until((text) => text.includes(' end'));
      live.close();
      watch.write('\u0003'); // Ctrl-C, typed
      expect(await watch.exited()).to.equal(0);
    } finally {
      watch.end();
    }
    expectHarmless(watch.bytes(), 'watch');
    expect(watch.text()).to.include(`Eve${SHOWN}: live ${SHOWN} end`);
    expect(watch.text()).to.include(`Eve${SHOWN} is typing in`);
  });

  it('v1.1: group changes, edits, replies and reactions in watch and history show their stand-ins', async () => {
    const mallory = `mallory-${Date.now()}@example.com`;
    const anonymous = new MessengerClient({ hosts: servers.urls });
    const added = await anonymous.register({
      email: mallory,
      name: `Mallory${HOSTILE}`,
      password: 'mallory-password',
    });
    const me = new MessengerClient({ hosts: servers.urls });
    await me.login({ email: 'test1@test.com', password: 'test', clientId: 'hostile-sdk' });
    const watch = msgrInPty(['watch'], env);
    let edited: { id: number } | undefined;
    try {
      await watch.until((text) => text.includes('Connected to'));
      // Changes are not replayed: make them once a message shows the socket is live.
      await eve.sendToUser(1, 'probe');
      await watch.until((text) => text.includes('probe'));
      await eve.addMembers(team.group_id, [added.id]);
      await eve.renameGroup(team.group_id, `Renamed${HOSTILE}`);
      const m = await eve.sendToGroup(team.group_id, 'plain');
      edited = await eve.editMessage(m.id, `edited ${HOSTILE} end`);
      await me.sendToGroup(team.group_id, `reply ${HOSTILE} done`, { replyTo: m.id });
      await eve.react(m.id, '👍');
      await watch.until((text) => text.includes(`reacted 👍 to #${m.id}`));
      watch.write('\u0003');
      expect(await watch.exited()).to.equal(0);
    } finally {
      watch.end();
    }
    expectHarmless(watch.bytes(), 'watch');
    const shown = watch.text();
    expect(shown).to.include(`added Mallory${SHOWN}`);
    expect(shown).to.include(`renamed to "Renamed${SHOWN}"`);
    expect(shown).to.include(`Eve${SHOWN} edited #${edited.id}: edited ${SHOWN} end`);
    expect(shown).to.include(`↳ reply to #${edited.id} Eve${SHOWN}: edited ␛]0;pwned␇`);
    expect(shown).to.include(`: reply ${SHOWN} done`);

    const history = await msgrOnTerminal(['history', String(team.chat_id)], env);
    expect(history.code, history.text).to.equal(0);
    expectHarmless(history.bytes, 'history');
    expect(history.text).to.include(`Eve${SHOWN}: edited ${SHOWN} end (edited)  👍 1`);
    expect(history.text).to.include(`↳ reply to #${edited.id} Eve${SHOWN}: edited ␛]0;pwned␇`);
  });

  it('v1.4: mentions, threads and a thread show their stand-ins; a highlighted mention carries only our colours', async () => {
    const root = await eve.sendToGroup(team.group_id, `root ${HOSTILE} end`);
    const reply = await eve.sendToGroup(team.group_id, `@you ${HOSTILE} done`, {
      threadId: root.id,
      mentions: [1],
    });
    for (const argv of [
      ['mentions'],
      ['threads', String(team.chat_id)],
      ['threads'],
      ['thread', String(root.id)],
    ]) {
      const run = await msgrOnTerminal(argv, env);
      expect(run.code, run.text).to.equal(0);
      expectHarmless(run.bytes, argv.join(' '));
      expect(run.text, argv.join(' ')).to.include(`Eve${SHOWN}: `);
    }
    const thread = await msgrOnTerminal(['thread', String(root.id)], env);
    expect(thread.text).to.include(`Eve${SHOWN}: root ${SHOWN} end (1 reply)`);
    expect(thread.text).to.include(`#${reply.id} Eve${SHOWN}: @you ${SHOWN} done`);

    const colored: NodeJS.ProcessEnv = { ...env, FORCE_COLOR: '1' };
    delete colored.NO_COLOR;
    const run = await msgrOnTerminal(['mentions'], colored);
    expect(run.code, run.text).to.equal(0);
    const escapes = run.text.match(/\u001b[^\n]{0,8}/g) ?? [];
    for (const escape of escapes) expect(escape).to.match(/^\u001b\[\d+m/);
    expect(run.text).to.include(`\u001b[33m@you ${SHOWN} done\u001b[39m`);
  });

  it('with colours forced on, the only escape sequences are the CLI’s own SGR colours', async () => {
    const colored: NodeJS.ProcessEnv = { ...env, FORCE_COLOR: '1' };
    delete colored.NO_COLOR;
    const run = await msgrOnTerminal(['history', String(directChatId)], colored);
    expect(run.code, run.text).to.equal(0);
    // Every ESC starts an SGR sequence (ESC [ n m); none of the data's got through.
    const escapes = run.text.match(/\u001b[^\n]{0,8}/g) ?? [];
    expect(escapes.length).to.be.greaterThan(0);
    for (const escape of escapes) expect(escape).to.match(/^\u001b\[\d+m/);
    expect(run.text).to.include(`hi ${SHOWN} bye`);
  });

  it('--json keeps the original characters exactly, and is harmless on a terminal too', async () => {
    const piped = await msgr(['history', String(directChatId), '--json'], { env });
    expect(piped.code, piped.stderr).to.equal(0);
    const first = (page: { text: string }[]) => page.find((m) => m.text.startsWith('hi '))!.text;
    expect(first(JSON.parse(piped.stdout))).to.equal(`hi ${HOSTILE} bye`);

    const users = await msgr(['users', 'eve-', '--json'], { env });
    expect(JSON.parse(users.stdout)[0].name).to.equal(`Eve${HOSTILE}`);

    // JSON.stringify escapes C0 controls but not C1 or bidi ones; the CLI escapes those too.
    const onTerminal = await msgrOnTerminal(['history', String(directChatId), '--json'], env);
    expect(onTerminal.code).to.equal(0);
    expectHarmless(onTerminal.bytes, 'history --json');
    expect(first(JSON.parse(onTerminal.text))).to.equal(`hi ${HOSTILE} bye`);
  });
});
