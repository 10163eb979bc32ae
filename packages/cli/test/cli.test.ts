/**
 * The real `msgr` binary (node bin/msgr.js) against a real server process: what a shell script
 * sees — stdout, stderr, exit codes, the config file.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import path from 'node:path';
import { MessengerClient } from '@msgr/sdk';
import {
  freePort,
  startServerProcesses,
  type ServerProcesses,
} from '../../server/test/support/processes.js';
import { cleanEnv, msgr, spawnMsgr, StreamReader, tempDir } from './support/msgr.js';

describe('msgr (the binary) against a real server', function () {
  this.timeout(60_000);
  let servers: ServerProcesses;
  let dir: string;
  let removeDir: () => Promise<void>;
  let count = 0;

  /** An environment with a config file of its own and the server as the only host. */
  const userEnv = (extra: Record<string, string> = {}) =>
    cleanEnv({
      MSGR_CONFIG: path.join(dir, `config-${++count}.json`),
      MSGR_HOSTS: servers.urls[0]!,
      ...extra,
    });

  async function loggedIn(email: string): Promise<NodeJS.ProcessEnv> {
    const env = userEnv();
    const result = await msgr(['login', email, '--password', 'test'], { env });
    expect(result.code, result.stderr).to.equal(0);
    return env;
  }

  before(async () => {
    servers = await startServerProcesses(1);
    ({ dir, remove: removeDir } = await tempDir());
  });
  after(async () => {
    await servers?.close();
    await removeDir?.();
  });

  it('when logged in then send and history --json round-trip the message', async () => {
    const env = await loggedIn('test1@test.com');
    const sent = await msgr(['send', '--to', 'test2@test.com', 'round', 'trip', '--json'], { env });
    expect(sent.code, sent.stderr).to.equal(0);
    const message = JSON.parse(sent.stdout);
    expect(message).to.include({ text: 'round trip', sender_id: 1 });
    expect(message).to.have.all.keys(
      'id',
      'chat_id',
      'sender_id',
      'text',
      'timestamp',
      'is_read',
      'edited_at',
      'deleted',
      'reply_to',
      'reactions',
      'attachments',
      'mentions',
      'mention_all',
      'thread_id',
      'thread',
    );

    const history = await msgr(['history', String(message.chat_id), '--json'], { env });
    expect(history.code, history.stderr).to.equal(0);
    const page = JSON.parse(history.stdout);
    expect(page).to.be.an('array');
    expect(page[page.length - 1]).to.deep.equal(message);
  });

  it('when --json comes before or after the command then stdout is the same JSON', async () => {
    const env = await loggedIn('test2@test.com');
    const before = await msgr(['--json', 'whoami'], { env });
    const after = await msgr(['whoami', '--json'], { env });
    expect(before.code).to.equal(0);
    expect(after.code).to.equal(0);
    expect(JSON.parse(before.stdout)).to.include({ id: 2, email: 'test2@test.com' });
    expect(after.stdout).to.equal(before.stdout);
  });

  it('when the text is - then it is read from stdin, less one trailing newline', async () => {
    const env = await loggedIn('test1@test.com');
    const sent = await msgr(['send', '--to', '3', '-', '--json'], {
      env,
      input: 'line one\nline two\n\n',
    });
    expect(sent.code, sent.stderr).to.equal(0);
    expect(JSON.parse(sent.stdout).text).to.equal('line one\nline two\n');
  });

  it('when watching with --json then a message from another user arrives as NDJSON; SIGINT exits 0', async () => {
    const env = await loggedIn('test3@test.com');
    const child = spawnMsgr(['watch', '--json'], env);
    const stdout = new StreamReader(child.stdout);
    const stderr = new StreamReader(child.stderr);
    const exited = once(child, 'exit');
    try {
      await stderr.until((text) => text.includes('Connected to'));
      const other = new MessengerClient({ hosts: servers.urls });
      await other.login({ email: 'test2@test.com', password: 'test' });
      const sent = await other.sendToUser(3, `watched ${Date.now()}`);
      await stdout.until((text) => text.includes(sent.text));
      const events = stdout.lines.map((line) => JSON.parse(line));
      expect(events).to.deep.include({ type: 'Message', message: sent });
      expect(events.every((e) => e.type !== 'State')).to.be.true;
    } finally {
      child.kill('SIGINT');
    }
    const [code] = await exited;
    expect(code, stderr.text).to.equal(0);
  });

  it('when the password is wrong then exit 3 with one line on stderr', async () => {
    const result = await msgr(['login', 'test1@test.com', '--password', 'nope'], {
      env: userEnv(),
    });
    expect(result.code).to.equal(3);
    expect(result.stdout).to.equal('');
    expect(result.stderr.trimEnd().split('\n')).to.have.lengthOf(1);
    expect(result.stderr).to.match(/wrong email or password/);
  });

  it('when the chat does not exist then exit 4', async () => {
    const env = await loggedIn('test1@test.com');
    const result = await msgr(['history', '987654'], { env });
    expect(result.code).to.equal(4);
    expect(result.stderr).to.match(/^msgr: .*chat_not_found/);
  });

  it('when an option is unknown then exit 2', async () => {
    const result = await msgr(['chats', '--frobnicate'], { env: userEnv() });
    expect(result.code).to.equal(2);
    expect(result.stderr).to.match(/unknown option '--frobnicate'/);
  });

  it('when no host is reachable then exit 5', async () => {
    const env = await loggedIn('test1@test.com');
    const closed = `http://127.0.0.1:${await freePort()}`;
    const result = await msgr(['--host', closed, 'chats'], { env });
    expect(result.code).to.equal(5);
    expect(result.stderr).to.include(`cannot reach ${closed}`);
    expect(result.stderr.trimEnd().split('\n')).to.have.lengthOf(1);
  });

  it('when not logged in then exit 3 and a hint to log in', async () => {
    const result = await msgr(['chats'], { env: userEnv() });
    expect(result.code).to.equal(3);
    expect(result.stderr).to.match(/not logged in: run `msgr login <email>`/);
  });

  it('when logged in then the config file has mode 0600 and the saved hosts, email and tokens', async () => {
    const env = await loggedIn('test1@test.com');
    const file = env.MSGR_CONFIG!;
    const stat = await fs.stat(file);
    expect(stat.mode & 0o777).to.equal(0o600);
    const saved = JSON.parse(await fs.readFile(file, 'utf8'));
    expect(saved).to.include({ email: 'test1@test.com' });
    expect(saved.hosts).to.deep.equal(servers.urls);
    expect(saved.tokens.refreshToken).to.be.a('string');
    // Later commands need neither --host nor MSGR_HOSTS: the saved hosts are used.
    const withoutHosts = { ...env };
    delete withoutHosts.MSGR_HOSTS;
    const me = await msgr(['whoami', '--json'], { env: withoutHosts });
    expect(me.code, me.stderr).to.equal(0);
    expect(JSON.parse(me.stdout).email).to.equal('test1@test.com');
  });

  it('when logging in with --json then it prints the email and hosts, never tokens', async () => {
    const env = userEnv();
    const result = await msgr(['login', 'test2@test.com', '--json'], {
      env: { ...env, MSGR_PASSWORD: 'test' },
    });
    expect(result.code, result.stderr).to.equal(0);
    expect(JSON.parse(result.stdout)).to.deep.equal({
      email: 'test2@test.com',
      hosts: servers.urls,
    });
  });

  it('when a group is created with member emails then they are resolved to ids', async () => {
    const env = await loggedIn('test1@test.com');
    const result = await msgr(
      ['group', 'create', 'CLI team', '--members', 'test2@test.com', 'TEST3@test.com', '--json'],
      { env },
    );
    expect(result.code, result.stderr).to.equal(0);
    const group = JSON.parse(result.stdout);
    expect(group).to.include({ name: 'CLI team', creator_id: 1 });
    expect(group.member_ids).to.have.members([1, 2, 3]);

    const unknown = await msgr(['group', 'create', 'x', '--members', 'nobody@nowhere.test'], {
      env,
    });
    expect(unknown.code).to.equal(4);
    expect(unknown.stderr).to.include('no user has the email nobody@nowhere.test');
  });

  it('when history --all --json then every message comes as one NDJSON line, in order', async () => {
    const env = await loggedIn('test2@test.com');
    const group = JSON.parse(
      (await msgr(['group', 'create', 'paged', '--members', '3', '--json'], { env })).stdout,
    );
    const client = new MessengerClient({ hosts: servers.urls });
    await client.login({ email: 'test2@test.com', password: 'test' });
    const texts = Array.from({ length: 7 }, (_, i) => `page ${i}`);
    for (const text of texts) await client.sendToGroup(group.group_id, text);

    const result = await msgr(
      ['history', String(group.chat_id), '--all', '--limit', '3', '--json'],
      {
        env,
      },
    );
    expect(result.code, result.stderr).to.equal(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l).text)).to.deep.equal(texts);
  });

  it('when NO_COLOR is set then no escape codes, even with FORCE_COLOR', async () => {
    const env = await loggedIn('test1@test.com');
    const colored = await msgr(['chats'], { env: { ...env, FORCE_COLOR: '1' } });
    expect(colored.code, colored.stderr).to.equal(0);
    expect(colored.stdout).to.include('\u001b['); // the check below means something
    const plain = await msgr(['chats'], { env: { ...env, FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(plain.code).to.equal(0);
    expect(plain.stdout).to.not.include('\u001b[');
    const failed = await msgr(['history', '987654'], { env: { ...env, NO_COLOR: '1' } });
    expect(failed.stderr).to.not.include('\u001b[');
  });
});
