/**
 * Every command through `run()` in-process against a real server: human output, prompts on a
 * (fake) terminal, watch ended by Ctrl-C, logout, several hosts.
 */
import { expect } from 'chai';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { MessengerClient, type User } from '@msgr/sdk';
import {
  freePort,
  startServerProcesses,
  type ServerProcesses,
} from '../../server/test/support/processes.js';
import type { InStream } from '../src/io.js';
import { Capture, cleanEnv, runInProcess, tempDir } from './support/msgr.js';

/** A stdin that says it is a terminal, as readline needs for a prompt. */
function fakeTty(): InStream & PassThrough {
  return Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => undefined });
}

describe('msgr commands (in-process) against a real server', function () {
  this.timeout(60_000);
  let servers: ServerProcesses;
  let dir: string;
  let remove: () => Promise<void>;
  let env: NodeJS.ProcessEnv;
  const email = `cli-${Date.now()}@example.com`;
  const password = 'an-unusual-secret';

  before(async () => {
    servers = await startServerProcesses(1);
    ({ dir, remove } = await tempDir());
    env = cleanEnv({ MSGR_CONFIG: path.join(dir, 'config.json'), MSGR_HOSTS: servers.urls[0]! });
  });
  after(async () => {
    await servers?.close();
    await remove?.();
  });

  it('when registering with options then the user; twice then exit 4 (409)', async () => {
    const argv = ['register', '--email', email, '--name', 'Cli User', '--password', password];
    const first = await runInProcess([...argv, '--json'], { env });
    expect(first.code, first.stderr).to.equal(0);
    expect(JSON.parse(first.stdout)).to.include({ email, name: 'Cli User' });
    const again = await runInProcess(argv, { env });
    expect(again.code).to.equal(4);
    expect(again.stderr).to.match(/^msgr: .*\(email_taken\)\n$/);
  });

  it('when the password is asked on a terminal then it is not echoed', async () => {
    const stdin = fakeTty();
    const stderr = new Capture();
    const running = runInProcess(['login', email], { env, stdin, stderr });
    await stderr.until((text) => text.includes(`Password for ${email}: `));
    stdin.write(`${password}\r`);
    const { code } = await running;
    expect(code, stderr.text).to.equal(0);
    expect(stderr.text).to.not.include(password);
    expect(stderr.text).to.include(`Logged in as ${email}`);
  });

  it('when people read the output then tables and `[time] name: text` lines', async () => {
    const sent = await runInProcess(['send', '--to', 'test2@test.com', 'hello', 'people'], { env });
    expect(sent.code, sent.stderr).to.equal(0);
    const chatId = Number(/chat (\d+)/.exec(sent.stdout)![1]);

    const users = await runInProcess(['users', 'test2'], { env });
    expect(users.stdout).to.match(/^ID +EMAIL +NAME\n2 +test2@test\.com +\S/);

    const chats = await runInProcess(['chats'], { env });
    expect(chats.stdout.split('\n')[0]).to.match(
      /^ID +KIND +TITLE +SEND WITH +UNREAD +NOTIFY +LAST MESSAGE$/,
    );
    expect(chats.stdout).to.match(
      new RegExp(`^${chatId} +direct +.+ +--to 2 +0 +Cli User: hello people$`, 'm'),
    );

    const history = await runInProcess(['history', String(chatId)], { env });
    expect(history.stdout).to.match(/^\[\d\d:\d\d\] #\d+ Cli User: hello people\n$/);
  });

  it('when group members are beyond the first page of users then history, chats and watch name them', async () => {
    // 101 more users: the last ones are not on the first page of `users` (ids ascending).
    const stamp = Date.now();
    const anonymous = new MessengerClient({ hosts: servers.urls });
    const registered: User[] = [];
    for (let i = 0; i < 101; i += 25) {
      const batch = Array.from({ length: Math.min(25, 101 - i) }, (_, j) =>
        anonymous.register({
          email: `crowd-${stamp}-${i + j}@example.com`,
          name: `Crowd ${i + j}`,
          password: 'crowd-password',
        }),
      );
      registered.push(...(await Promise.all(batch)));
    }
    const [late, later] = registered.slice(-2) as [User, User];
    const member = async (user: User) => {
      const client = new MessengerClient({ hosts: servers.urls });
      // People registered here all have an email (only bots have none).
      await client.login({ email: user.email!, password: 'crowd-password' });
      return client;
    };
    const lateClient = await member(late);
    const firstPage = (await lateClient.users({ limit: 100 })).map((u) => u.id);
    expect(firstPage).to.not.include.members([late.id, later.id]);

    const created = await runInProcess(
      ['group', 'create', 'Crowd', '--members', `${late.id},${later.id}`, '--json'],
      { env },
    );
    expect(created.code, created.stderr).to.equal(0);
    const group = JSON.parse(created.stdout);
    await lateClient.sendToGroup(group.group_id, 'hello from far away');

    const history = await runInProcess(['history', String(group.chat_id)], { env });
    expect(history.code, history.stderr).to.equal(0);
    expect(history.stdout).to.match(/^\[\d\d:\d\d\] #\d+ Crowd 99: hello from far away\n$/);
    const all = await runInProcess(['history', String(group.chat_id), '--all', '--limit', '1'], {
      env,
    });
    expect(all.stdout).to.include('Crowd 99: hello from far away');
    const chats = await runInProcess(['chats'], { env });
    expect(chats.stdout).to.match(/Crowd +--group \d+ +\d+ +Crowd 99: hello from far away/);

    const interrupt = new AbortController();
    const stdout = new Capture();
    const stderr = new Capture();
    const watching = runInProcess(['watch', String(group.chat_id)], {
      env,
      stdout,
      stderr,
      interrupt: interrupt.signal,
    });
    try {
      await stderr.until((text) => text.includes('Connected to'));
      await (await member(later)).sendToGroup(group.group_id, 'me too');
      await stdout.until((text) => text.includes('me too'));
      expect(stdout.text).to.match(/\] #\d+ Crowd 100: me too\n/);
    } finally {
      interrupt.abort();
    }
    expect((await watching).code, stderr.text).to.equal(0);
  });

  it('when watching until Ctrl-C then messages and read receipts come, and the exit is 0', async () => {
    const mine = await runInProcess(['send', '--to', '2', 'please read', '--json'], { env });
    const message = JSON.parse(mine.stdout);
    const interrupt = new AbortController();
    const stdout = new Capture();
    const stderr = new Capture();
    const watching = runInProcess(['watch', String(message.chat_id), '--json'], {
      env,
      stdout,
      stderr,
      interrupt: interrupt.signal,
    });
    try {
      await stderr.until((text) => text.includes('Connected to'));
      const bob = new MessengerClient({ hosts: servers.urls });
      await bob.login({ email: 'test2@test.com', password: 'test' });
      const reply = await bob.sendToUser(message.sender_id, 'read it');
      await bob.markRead(reply.id);
      // One Read per message that became read: the chat's earlier messages come first.
      const readOfMine = `"message_id":${message.id},`;
      await stdout.until((text) => text.includes(readOfMine));
      const events = stdout.text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(events[0]).to.deep.equal({ type: 'Message', message: reply });
      expect(events.at(-1)).to.deep.equal({
        type: 'Read',
        chat_id: message.chat_id,
        message_id: message.id,
        reader_ids: [2],
      });
    } finally {
      interrupt.abort();
    }
    expect((await watching).code, stderr.text).to.equal(0);
  });

  it('when --operation-id repeats with the same text then the same message, not a new one', async () => {
    const argv = ['send', '--to', '3', '--operation-id', '-1234', 'once only', '--json'];
    const first = await runInProcess(argv, { env });
    const second = await runInProcess(argv, { env });
    expect(first.code, first.stderr).to.equal(0);
    expect(JSON.parse(second.stdout)).to.deep.equal(JSON.parse(first.stdout));
    const other = await runInProcess(['send', '--to', '3', '--operation-id', '-1234', 'else'], {
      env,
    });
    expect(other.code).to.equal(4);
    expect(other.stderr).to.include('(operation_id_conflict)');
  });

  it('when read then the pointer; in JSON as the contract shapes it', async () => {
    const history = JSON.parse((await runInProcess(['chats', '--json'], { env })).stdout);
    const last = history[0].last_message;
    const read = await runInProcess(['read', String(last.id), '--json'], { env });
    expect(read.code, read.stderr).to.equal(0);
    expect(JSON.parse(read.stdout)).to.deep.equal({
      chat_id: last.chat_id,
      last_read_message_id: last.id,
    });
  });

  it('when one of the hosts is down then --race and failover still succeed', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    for (const extra of [['--race'], []]) {
      const argv = [...extra, '--host', closed, '--host', servers.urls[0]!, 'whoami', '--json'];
      const result = await runInProcess(argv, { env });
      expect(result.code, result.stderr).to.equal(0);
      expect(JSON.parse(result.stdout).email).to.equal(email);
    }
  });

  it('when logged out then commands need a login again (exit 3); a second logout is fine', async () => {
    const out = await runInProcess(['logout', '--json'], { env });
    expect(out.code, out.stderr).to.equal(0);
    expect(JSON.parse(out.stdout)).to.deep.equal({ logged_out: true, email });
    const me = await runInProcess(['whoami'], { env });
    expect(me.code).to.equal(3);
    const again = await runInProcess(['logout'], { env });
    expect(again.code).to.equal(0);
    expect(again.stderr).to.equal('Not logged in.\n');
  });
});
