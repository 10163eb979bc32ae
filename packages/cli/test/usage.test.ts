/**
 * `run()` in-process, no server needed: help texts, usage errors (exit 2) and where output goes.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { Capture, cleanEnv, runInProcess, tempDir } from './support/msgr.js';

describe('msgr usage (in-process)', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    ({ dir, remove } = await tempDir());
    // A closed port: nothing here may reach a server.
    env = cleanEnv({
      MSGR_CONFIG: path.join(dir, 'config.json'),
      MSGR_HOSTS: 'http://127.0.0.1:9',
    });
  });
  after(() => remove());

  it('when --help then usage, examples, hosts and exit codes on stdout, exit 0', async () => {
    const { code, stdout, stderr } = await runInProcess(['--help'], { env });
    expect(code).to.equal(0);
    expect(stderr).to.equal('');
    for (const text of ['Usage: msgr', 'Examples:', 'MSGR_HOSTS', 'Exit codes:']) {
      expect(stdout).to.include(text);
    }
    expect(stdout).to.match(/^ {2}3 +authentication/m);
    expect(stdout).to.match(/^ {2}5 +unavailable/m);
  });

  it('when a command asks for --help then its own examples', async () => {
    const commands = [
      ['login'],
      ['logout'],
      ['whoami'],
      ['register'],
      ['users'],
      ['chats'],
      ['send'],
      ['group', 'create'],
      ['history'],
      ['read'],
      ['mute'],
      ['unmute'],
      ['mentions'],
      ['unread'],
      ['threads'],
      ['thread'],
      ['follow'],
      ['unfollow'],
      ['watch'],
      ['sync'],
      ['upload'],
      ['download'],
      ['token', 'create'],
      ['token', 'list'],
      ['token', 'revoke'],
      ['bot', 'create'],
      ['bot', 'list'],
      ['bot', 'delete'],
      ['hook', 'create'],
      ['hook', 'list'],
      ['hook', 'delete'],
      ['webhook', 'create'],
      ['webhook', 'list'],
      ['webhook', 'deliveries'],
      ['webhook', 'resume'],
      ['webhook', 'delete'],
    ];
    for (const command of commands) {
      const { code, stdout } = await runInProcess([...command, '--help'], { env });
      expect(code, command.join(' ')).to.equal(0);
      expect(stdout, command.join(' ')).to.include('Examples:');
      expect(stdout, command.join(' ')).to.include(`$ msgr ${command.join(' ')}`);
    }
    const send = await runInProcess(['send', '--help'], { env });
    expect(send.stdout).to.include('echo hi | msgr send --to 2 -');
    for (const option of ['--mention <user>', '--mention-all', '--thread <root id>']) {
      expect(send.stdout).to.include(option);
    }
    expect(send.stdout).to.include('name them in it too');
  });

  it('when --help then the API token options are explained: --token, MSGR_TOKEN, never saved', async () => {
    const { stdout } = await runInProcess(['--help'], { env });
    expect(stdout).to.include('--token <token>');
    expect(stdout).to.include('MSGR_TOKEN');
    expect(stdout).to.match(/never\s+saved/);
    expect(stdout).to.include('--idempotency-key');
    for (const command of [['token'], ['bot'], ['token', 'create'], ['bot', 'create']]) {
      const help = await runInProcess([...command, '--help'], { env });
      expect(help.stdout, command.join(' ')).to.include('MSGR_TOKEN');
    }
    const send = await runInProcess(['send', '--help'], { env });
    expect(send.stdout).to.include('--idempotency-key <key>');
    expect(send.stdout).to.include('MSGR_TOKEN=$CI_TOKEN msgr send');
    const hook = await runInProcess(['hook', 'create', '--help'], { env });
    expect(hook.stdout).to.include('curl');
    const webhook = await runInProcess(['webhook', 'create', '--help'], { env });
    expect(webhook.stdout).to.include('NotificationsChanged');
  });

  it('when --version then the version on stdout', async () => {
    const { code, stdout } = await runInProcess(['--version'], { env });
    expect(code).to.equal(0);
    expect(stdout).to.match(/^\d+\.\d+\.\d+\n$/);
  });

  const usageErrors: [string[], RegExp][] = [
    [['chats', '--frobnicate'], /unknown option '--frobnicate'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [[], /Usage: msgr/],
    [['send', '--to', '2'], /give the message text, or files with --file/],
    [
      ['send', '--to', '2', ...Array.from({ length: 11 }, () => ['--file', 'x']).flat()],
      /a message carries at most 10 files \(--file\), not 11/,
    ],
    [
      ['send', '--to', '2', '--file', '/no/such/file'],
      /cannot read \/no\/such\/file: no such file/,
    ],
    [['send', '--to', '2', '--file', '/'], /\/ is not a regular file/],
    [['upload', '/no/such/file'], /cannot read \/no\/such\/file: no such file/],
    [['upload', 'x', '--name', ' '], /the name is empty/],
    [['download', 'AbCdEfGhIjKlMnOp', '-o', '-', '--json'], /-o - writes the bytes to stdout/],
    [['send', 'hi'], /give exactly one of --to <user> or --group <group id>/],
    [['send', '--to', '2', '--group', '3', 'hi'], /exactly one of/],
    [['send', '--to', 'bob', 'hi'], /"bob" is neither a user id nor an email/],
    [['send', '--group', '3', '--mention', 'bob', 'hi'], /"bob" is neither a user id nor an email/],
    [
      ['send', '--group', '3', '--thread', 'x', 'hi'],
      /option '--thread <root id>' argument 'x' is invalid/,
    ],
    [['threads', '3', '--unread'], /--unread lists the threads you follow .*leave out the chat id/],
    [['threads', '--before', '-1'], /Expected a message id/],
    [['thread'], /missing required argument 'root id'/],
    [['thread', '0'], /invalid for argument 'root id'/],
    [['follow', 'abc'], /invalid for argument 'root id'/],
    [['unfollow'], /missing required argument 'root id'/],
    [['mentions', '--limit', '101'], /the limit: an integer in 1\.\.100/],
    [['unread', 'extra'], /too many arguments/],
    [
      ['send', '--to', '2', '--operation-id', '40000', 'hi'],
      /operation id: an integer in -32768\.\.32767/,
    ],
    [['history', '0'], /invalid for argument 'chat id'/],
    [['history', 'abc'], /invalid for argument 'chat id'/],
    [['history', '1', '--after', '2', '--before', '3'], /give --after or --before, not both/],
    [['history', '1', '--all', '--before', '3'], /--all reads forwards/],
    [['users', '--limit', '500'], /the limit: an integer in 1\.\.100/],
    [['whoami', 'extra'], /too many arguments/],
    [['group', 'create', 'x'], /required option '--members <users\.\.\.>' not specified/],
    [['--host', 'ftp://x', 'whoami'], /not an http\(s\) URL: ftp:\/\/x/],
    [['sync', '--position', '12.x'], /argument '12\.x' is invalid\. Expected a position/],
    [['sync', '--position', '1', '--position-file', 'p'], /give --position or --position-file/],
    [['sync', '--wait', '-1'], /Expected seconds: an integer in 0\.\.60/],
    [['login', 'a@b.c'], /stdin is not a terminal.*--password or set MSGR_PASSWORD/],
    [['--token', ' ', 'whoami'], /--token is empty/],
    [
      ['token', 'create', 'x', '--scope', 'admin'],
      /argument 'admin' is invalid\. Expected read or write/,
    ],
    [
      ['token', 'create', 'x', '--expires-in', '59'],
      /Expected from a minute \(60, 1m\) to ten years/,
    ],
    [['token', 'create', 'x', '--expires-in', '3661d'], /to ten years/],
    [['token', 'create', 'x', '--expires-in', 'soon'], /Expected seconds \(3600\) or a duration/],
    [['token', 'create', ' '], /the name is empty/],
    [['token', 'revoke', 'x'], /invalid for argument 'token id'/],
    [['bot', 'delete'], /missing required argument 'bot id'/],
    [['hook', 'create', '7'], /missing required argument 'name'/],
    [['hook', 'list', 'x'], /invalid for argument 'chat id'/],
    [['webhook', 'create', 'https://x.example'], /required option '--event <kind>' not specified/],
    [
      ['webhook', 'create', 'https://x.example', '--event', 'Message', '--chat', 'x'],
      /Expected an id/,
    ],
    [['webhook', 'resume', '0'], /invalid for argument 'webhook id'/],
    [['send', '--to', '2', '--idempotency-key', 'a b', 'hi'], /Expected 1\.\.255 visible ASCII/],
    [
      ['send', '--to', '2', '--idempotency-key', 'k', '--operation-id', '1', 'hi'],
      /give --operation-id or --idempotency-key, not both/,
    ],
    [['register', '--name', 'A', '--password', 'xxxxxxxx'], /stdin is not a terminal.*--email/],
  ];
  for (const [argv, message] of usageErrors) {
    it(`when \`${['msgr', ...argv].join(' ')}\` then exit 2 and ${message.source}`, async () => {
      const { code, stdout, stderr } = await runInProcess(argv, { env });
      expect(code, stderr).to.equal(2);
      expect(stdout).to.equal('');
      expect(stderr).to.match(message);
      expect(stderr).to.not.match(/^\s+at .*:\d+:\d+\)?$/m); // no stack trace
    });
  }

  it('when more than 50 people are named then exit 2 before anything is sent', async () => {
    const mentions = Array.from({ length: 51 }, (_, i) => ['--mention', `${i + 1}`]).flat();
    const { code, stdout, stderr } = await runInProcess(
      ['send', '--group', '3', ...mentions, 'hi'],
      {
        env,
      },
    );
    expect(code).to.equal(2);
    expect(stdout).to.equal('');
    expect(stderr).to.match(/^msgr: a message names at most 50 people \(--mention\), not 51\n/);
  });

  it('when the text is empty then exit 2 before anything is sent', async () => {
    const { code, stderr } = await runInProcess(['send', '--to', '2', '-'], { env, stdin: '\n' });
    expect(code).to.equal(2);
    expect(stderr).to.equal('msgr: the message is empty\n');
  });

  it('when `download -o -` would write to a terminal then exit 2 unless --force', async () => {
    const stdout = new Capture(true);
    const { code, stderr } = await runInProcess(['download', 'AbCdEfGhIjKlMnOp', '-o', '-'], {
      env,
      stdout,
    });
    expect(code).to.equal(2);
    expect(stdout.text).to.equal('');
    expect(stderr).to.match(/^msgr: stdout is a terminal, .*pipe it, or add --force\n/);
  });

  it('when Ctrl-C comes during a request that cannot abort then exit 130 at once', async () => {
    // A server that accepts and never answers, and a session whose token must first be refreshed
    // (the refresh does not take the caller's signal).
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket)).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const host = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
    const file = path.join(dir, 'expired.json');
    const tokens = { accessToken: 'a', refreshToken: 'r', expiresAt: 0 };
    await writeFile(file, JSON.stringify({ hosts: [host], tokens }));
    const interrupt = new AbortController();
    const stderr = new Capture();
    const started = Date.now();
    const running = runInProcess(['chats'], {
      env: cleanEnv({ MSGR_CONFIG: file }),
      interrupt: interrupt.signal,
      stderr,
    });
    setTimeout(() => interrupt.abort(), 300);
    try {
      const { code } = await running;
      expect(code).to.equal(130);
      expect(stderr.text).to.equal('msgr: interrupted\n');
      expect(Date.now() - started).to.be.below(5000);
    } finally {
      silent.close();
      for (const socket of sockets) socket.destroy();
    }
  });

  it('when the config file is not JSON then exit 1 with what to do', async () => {
    const file = path.join(dir, 'broken.json');
    await writeFile(file, '{ not json');
    const { code, stderr } = await runInProcess(['whoami'], { env: { ...env, MSGR_CONFIG: file } });
    expect(code).to.equal(1);
    expect(stderr).to.match(/^msgr: cannot read the config file .*broken\.json.*delete it/);
  });
});
