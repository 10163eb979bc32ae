/**
 * v1.5 bots and integrations in the CLI, against a real server: API tokens (`token create|list|
 * revoke`, `MSGR_TOKEN` and `--token` instead of a login), bots, incoming webhooks (the printed
 * curl line, posted to with fetch) and outgoing webhooks (to a receiver on 127.0.0.1, failing
 * and resumed). `run()` in-process, and the real binary where the environment matters.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { ApiToken, Bot, Hook, NewApiToken, NewBot, NewHook, User } from '@msgr/sdk';
import { startServerProcesses, type ServerProcesses } from '../../server/test/support/processes.js';
import { cleanEnv, msgr, runInProcess, tempDir, type Result } from './support/msgr.js';
import { people, type Person } from './support/people.js';

/** The JSON of a run that succeeded. */
function json<T>(result: Result): T {
  expect(result.code, result.stderr).to.equal(0);
  return JSON.parse(result.stdout) as T;
}

/** Resolves once `check()` holds; rejects after `timeoutMs`. */
async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A webhook receiver on 127.0.0.1 that answers `status` (changeable) and keeps the bodies. */
async function receiver() {
  const state = { status: 200, bodies: [] as unknown[] };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(state.status).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    state,
    url: `http://127.0.0.1:${port}/in`,
    close: () => new Promise((r) => server.close(r)),
  };
}

describe('msgr tokens, bots and webhooks against a real server', function () {
  this.timeout(90_000);
  let servers: ServerProcesses;
  let dir: string;
  let removeDir: () => Promise<void>;
  const person = people(
    () => servers,
    () => dir,
  );
  let ann: Person;
  let bob: Person;
  /** Ann and Bob's direct chat. */
  let chatId: number;

  /** `msgr args…` in-process as `who` (their config file), with `extra` in the environment. */
  const run = (who: Person, args: string[], extra: Record<string, string> = {}) =>
    runInProcess(args, { env: { ...who.env, ...extra } });

  /** An environment with no login at all: a config file that does not exist, and `token`. */
  const tokenEnv = (token: string) =>
    cleanEnv({
      MSGR_CONFIG: path.join(dir, `nobody-${Math.random()}.json`),
      MSGR_HOSTS: servers.urls[0]!,
      NO_COLOR: '1',
      MSGR_TOKEN: token,
    });

  before(async () => {
    // Receivers listen on 127.0.0.1; a webhook gives up after 3.6 s of failures.
    servers = await startServerProcesses(1, {
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_RETRY_HOURS: '0.001',
    });
    ({ dir, remove: removeDir } = await tempDir());
    [ann, bob] = await Promise.all([person('Ann'), person('Bob')]);
    chatId = (await ann.client.sendToUser(bob.user.id, 'hi Bob')).chat_id;
  });
  after(async () => {
    await servers?.close();
    await removeDir?.();
  });

  describe('API tokens', () => {
    it('when a token is made then stdout holds it alone, once, and stderr says it will not be shown again', async () => {
      const made = await run(ann, [
        'token',
        'create',
        'ci',
        '--scope',
        'write',
        '--expires-in',
        '30d',
      ]);
      expect(made.code, made.stderr).to.equal(0);
      expect(made.stdout).to.match(/^msgr_pat_\S+\n$/);
      expect(made.stderr).to.match(
        /API token \d+ "ci" \(write; expires .+\)\. Keep it now: it will not be shown again/,
      );

      const listed = await run(ann, ['token', 'list']);
      expect(listed.code, listed.stderr).to.equal(0);
      const [header, ...rows] = listed.stdout.trimEnd().split('\n');
      expect(header).to.match(/^ID +NAME +SCOPES +CREATED +EXPIRES +LAST USED$/);
      expect(rows).to.have.lengthOf(1);
      expect(rows[0]).to.match(/^\d+ +ci +write +\S.* never$/);
      expect(listed.stdout).to.not.include(made.stdout.trim());

      const list = json<ApiToken[]>(await run(ann, ['token', 'list', '--json']));
      expect(list).to.have.lengthOf(1);
      expect(list[0]).to.include({ name: 'ci', last_used_at: null });
      expect(list[0]).to.not.have.property('token');
      expect(list[0]!.expires_at).to.be.a('string');
    });

    it('when MSGR_TOKEN holds a token then commands run as its user with no login, and nothing is saved', async () => {
      const made = json<NewApiToken>(await run(ann, ['token', 'create', 'scripts', '--json']));
      expect(made.scopes).to.deep.equal(['read', 'write']);
      expect(made.expires_at).to.equal(null);
      const env = tokenEnv(made.token);
      // The real binary with the variable in its environment.
      const me = await msgr(['whoami'], { env });
      expect(me.code, me.stderr).to.equal(0);
      expect(me.stdout).to.equal(
        `Ann <${ann.email}> (user ${ann.user.id}) on ${servers.urls[0]} with the API token from MSGR_TOKEN\n`,
      );
      const sent = await msgr(['send', '--to', String(bob.user.id), 'sent with a token'], { env });
      expect(sent.code, sent.stderr).to.equal(0);
      expect(sent.stdout).to.match(/^Sent message \d+ to chat \d+\.\n$/);
      const history = await msgr(['history', String(chatId), '--json'], { env });
      expect(json<{ text: string }[]>(history).map((m) => m.text)).to.include('sent with a token');
      // The token was written nowhere: not in the (missing) config file, nor in the login's.
      await fs
        .readFile(env.MSGR_CONFIG!, 'utf8')
        .then((text) => expect(text).to.not.include(made.token))
        .catch((err: NodeJS.ErrnoException) => expect(err.code).to.equal('ENOENT'));
      expect(await fs.readFile(ann.env.MSGR_CONFIG!, 'utf8')).to.not.include(made.token);
    });

    it('when --token is given then it wins over MSGR_TOKEN and the saved login', async () => {
      const made = json<NewApiToken>(await run(ann, ['token', 'create', 'flag', '--json']));
      // Bob is logged in, and MSGR_TOKEN is garbage: the flag decides.
      const me = await run(bob, ['--token', made.token, 'whoami', '--json'], {
        MSGR_TOKEN: 'msgr_pat_garbage',
      });
      expect(json<User>(me).id).to.equal(ann.user.id);
      const garbage = await run(bob, ['whoami'], { MSGR_TOKEN: 'msgr_pat_garbage' });
      expect(garbage.code).to.equal(3);
      // An empty MSGR_TOKEN (a CI secret that is not set) counts as none: the login is used.
      const empty = await run(bob, ['whoami', '--json'], { MSGR_TOKEN: '' });
      expect(json<User>(empty).id).to.equal(bob.user.id);
    });

    it('when a read-only token sends then exit 4 (insufficient_scope), saying which scope', async () => {
      const made = json<NewApiToken>(
        await run(ann, ['token', 'create', 'reader', '--scope', 'read', '--json']),
      );
      const env = tokenEnv(made.token);
      const chats = await runInProcess(['chats', '--json'], { env });
      expect(chats.code, chats.stderr).to.equal(0);
      const sent = await runInProcess(['send', '--to', String(bob.user.id), 'nope'], { env });
      expect(sent.code).to.equal(4);
      expect(sent.stdout).to.equal('');
      expect(sent.stderr).to.match(
        /^msgr: .*write scope.*msgr token create.*\(insufficient_scope\)\n$/,
      );
    });

    it('when a token manages tokens or bots then exit 4 before any request: they need the login', async () => {
      const made = json<NewApiToken>(await run(ann, ['token', 'create', 'nomanage', '--json']));
      for (const argv of [
        ['token', 'list'],
        ['token', 'create', 'x'],
        ['bot', 'list'],
      ]) {
        const result = await runInProcess(argv, { env: tokenEnv(made.token) });
        expect(result.code, argv.join(' ')).to.equal(4);
        expect(result.stderr).to.match(
          /^msgr: `msgr (token|bot) \w+` needs your login session, not an API token \(from MSGR_TOKEN\): unset MSGR_TOKEN and use `msgr login` \(insufficient_scope\)\n$/,
        );
      }
    });

    it('when a token is revoked then it stops working: exit 3 with a clear message; revoking again is exit 4', async () => {
      const made = json<NewApiToken>(await run(ann, ['token', 'create', 'doomed', '--json']));
      const env = tokenEnv(made.token);
      expect((await runInProcess(['whoami'], { env })).code).to.equal(0);
      const revoked = await run(ann, ['token', 'revoke', String(made.id)]);
      expect(revoked.code, revoked.stderr).to.equal(0);
      expect(revoked.stdout).to.equal(`Revoked API token ${made.id}.\n`);
      expect(
        json<ApiToken[]>(await run(ann, ['token', 'list', '--json'])).map((t) => t.id),
      ).to.not.include(made.id);

      const refused = await msgr(['chats'], { env });
      expect(refused.code).to.equal(3);
      expect(refused.stdout).to.equal('');
      expect(refused.stderr).to.match(
        /^msgr: the API token from MSGR_TOKEN was refused: .*\(invalid_token\); it was revoked, its bot deleted, or it is mistyped: `msgr token list` shows yours/,
      );
      const flag = await runInProcess(['--token', made.token, 'chats'], { env: tokenEnv('') });
      expect(flag.stderr).to.match(/^msgr: the API token from --token was refused/);

      const again = await run(ann, ['token', 'revoke', String(made.id), '--json']);
      expect(again.code).to.equal(4);
      expect(again.stderr).to.match(/\(token_not_found\)\n$/);
    });
  });

  describe('bots', () => {
    it('when a bot is made then its id and token once; it writes as `Name [bot]`; listed; deleted, its token fails', async () => {
      const made = await run(ann, ['bot', 'create', 'Deploy']);
      expect(made.code, made.stderr).to.equal(0);
      const [, id, token] =
        /^Created bot Deploy \[bot\] \(user (\d+)\)\.\nToken: (msgr_pat_\S+)\n$/.exec(made.stdout)!;
      expect(made.stderr).to.include('it will not be shown again');
      const botId = Number(id);

      // The bot is a member of a group of Ann's and writes there with its token.
      const group = await ann.client.createGroup({ name: 'Ops', participantUserIds: [botId] });
      const env = tokenEnv(token!);
      const me = await runInProcess(['whoami'], { env });
      expect(me.stdout).to.equal(
        `Deploy [bot] (user ${botId}) on ${servers.urls[0]} with the API token from MSGR_TOKEN\n`,
      );
      expect(me.stdout).to.not.include('null');
      const sent = await runInProcess(
        ['send', '--group', String(group.group_id), 'build 42 passed'],
        {
          env,
        },
      );
      expect(sent.code, sent.stderr).to.equal(0);
      const history = await run(ann, ['history', String(group.chat_id)]);
      expect(history.stdout).to.match(/#\d+ Deploy \[bot\]: build 42 passed\n$/);

      const bots = json<Bot[]>(await run(ann, ['bot', 'list', '--json']));
      expect(bots.map((b) => b.user)).to.deep.equal([
        { id: botId, email: null, name: 'Deploy', is_bot: true },
      ]);
      const table = await run(ann, ['bot', 'list']);
      expect(table.stdout).to.match(
        new RegExp(`^ID +NAME +CREATED\\n${botId} +Deploy \\[bot\\] +\\S`),
      );

      const deleted = await run(ann, ['bot', 'delete', String(botId)]);
      expect(deleted.code, deleted.stderr).to.equal(0);
      expect(deleted.stdout).to.equal(`Deleted bot ${botId}.\n`);
      expect((await runInProcess(['whoami'], { env })).code).to.equal(3);
      expect(json<Bot[]>(await run(ann, ['bot', 'list', '--json']))).to.deep.equal([]);
    });

    it('when users are listed then a bot shows as `Name [bot]` with no email, never "null"', async () => {
      const made = json<NewBot>(await run(ann, ['bot', 'create', 'Lister', '--json']));
      expect(made.user).to.include({ email: null, is_bot: true });
      const users = await run(ann, ['users', 'Lister']);
      expect(users.code, users.stderr).to.equal(0);
      expect(users.stdout).to.not.include('null');
      expect(users.stdout).to.match(new RegExp(`^${made.user.id} {2,}Lister \\[bot\\]$`, 'm'));
    });

    it('when a bot, a token or a hook has a hostile name then every listing shows stand-ins, never controls', async () => {
      const hostile = 'x\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202ey';
      const bot = json<NewBot>(await run(ann, ['bot', 'create', `Bot${hostile}`, '--json']));
      await ann.client.createToken({ name: `Tok${hostile}`, scopes: ['read'] });
      const group = await ann.client.createGroup({
        name: 'Hostile',
        participantUserIds: [bot.user.id],
      });
      await ann.client.createHook(group.chat_id, { name: `Hook${hostile}` });
      await runInProcess(['send', '--group', String(group.group_id), 'hi'], {
        env: tokenEnv(bot.token),
      });
      for (const argv of [
        ['bot', 'list'],
        ['token', 'list'],
        ['hook', 'list', String(group.chat_id)],
        ['users', 'Bot'],
        ['history', String(group.chat_id)],
      ]) {
        const result = await run(ann, argv);
        expect(result.code, result.stderr).to.equal(0);
        expect(result.stdout + result.stderr, argv.join(' ')).to.not.match(
          // eslint-disable-next-line no-control-regex -- looking for control characters
          /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/,
        );
        expect(result.stdout, argv.join(' ')).to.include('x␛]0;pwned␇␛[2J');
      }
    });
  });

  describe('incoming webhooks', () => {
    it('when a hook is made then a curl line whose URL, POSTed to, writes into the chat as the hook', async () => {
      const made = await run(ann, ['hook', 'create', String(chatId), 'CI']);
      expect(made.code, made.stderr).to.equal(0);
      const lines = made.stdout.trimEnd().split('\n');
      expect(lines[0]).to.match(
        /^Created hook \d+ "CI" in chat \d+ \(it posts as bot user \d+\)\. Post with:$/,
      );
      const prefix = `curl -X POST -H 'Content-Type: application/json' -d '{"text":"hello"}' `;
      expect(lines[1]!.startsWith(prefix), lines[1]).to.be.true;
      const url = lines[1]!.slice(prefix.length);
      expect(url).to.match(new RegExp(`^${servers.urls[0]}/hooks/\\d+/[\\w-]+$`));
      expect(made.stderr).to.include('it will not be shown again');

      const posted = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'from curl' }),
      });
      expect(posted.status).to.equal(201);
      const history = await run(bob, ['history', String(chatId)]);
      expect(history.stdout).to.match(/#\d+ CI \[bot\]: from curl\n$/);

      const hooks = json<Hook[]>(await run(ann, ['hook', 'list', String(chatId), '--json']));
      expect(hooks.map((h) => h.name)).to.deep.equal(['CI']);
      expect(hooks[0]).to.not.have.property('url');
      const table = await run(bob, ['hook', 'list', String(chatId)]);
      expect(table.stdout).to.match(
        /^ID +NAME +BOT +MADE BY +CREATED\n\d+ +CI +user \d+ +user \d+ +\S/,
      );

      const deleted = await run(ann, ['hook', 'delete', String(hooks[0]!.id)]);
      expect(deleted.stdout).to.equal(`Deleted hook ${hooks[0]!.id}.\n`);
      const gone = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'too late' }),
      });
      expect(gone.status).to.equal(404);
      const again = await run(ann, ['hook', 'delete', String(hooks[0]!.id)]);
      expect(again.code).to.equal(4);
      expect(again.stderr).to.match(/\(hook_not_found\)\n$/);
    });

    it('when --json then the hook with its relative url, once', async () => {
      const made = json<NewHook>(
        await run(ann, ['hook', 'create', String(chatId), 'Json', '--json']),
      );
      expect(made.url).to.match(new RegExp(`^/hooks/${made.id}/`));
      expect(made).to.include({ chat_id: chatId, name: 'Json', creator_id: ann.user.id });
    });
  });

  describe('outgoing webhooks', () => {
    it('when made, listed, delivered, failing, resumed and deleted then each command says so', async function () {
      const r = await receiver();
      try {
        const made = await run(ann, [
          'webhook',
          'create',
          r.url,
          '--event',
          'Message',
          '--chat',
          String(chatId),
        ]);
        expect(made.code, made.stderr).to.equal(0);
        const [, id] =
          /^Created webhook (\d+): Message of chat (?:\d+) to (?:\S+)\nSecret: whsec_\S+\n$/.exec(
            made.stdout,
          )!;
        expect(made.stderr).to.include('it will not be shown again');
        const webhookId = Number(id);

        const listed = await run(ann, ['webhook', 'list']);
        expect(listed.stdout).to.match(
          new RegExp(
            `^ID +STATE +EVENTS +CHATS +URL +LAST ERROR\\n${webhookId} +active +Message +${chatId} +${r.url}$`,
            'm',
          ),
        );

        await bob.client.sendToUser(ann.user.id, 'to the webhook');
        await until('a delivery', () => r.state.bodies.length > 0);
        expect(r.state.bodies[0]).to.deep.include({ type: 'Message' });
        const deliveries = await run(ann, ['webhook', 'deliveries', String(webhookId)]);
        expect(deliveries.code, deliveries.stderr).to.equal(0);
        expect(deliveries.stdout).to.match(
          /^WHEN +SEQ +TYPE +ATTEMPT +STATUS +MS +ERROR\n\d\d:\d\d:\d\d +\d+ +Message +1 +200 +\d+$/m,
        );

        // The receiver fails until the retry window (3.6 s) runs out: the webhook is failing.
        r.state.status = 500;
        await bob.client.sendToUser(ann.user.id, 'refused');
        await until(
          'the webhook to fail',
          async () =>
            json<{ state: string }[]>(await run(ann, ['webhook', 'list', '--json']))[0]!.state ===
            'failing',
          30_000,
        );
        const failing = await run(ann, ['webhook', 'list']);
        expect(failing.stdout).to.match(
          new RegExp(`^${webhookId} +failing +Message .*answered 500$`, 'm'),
        );
        const tried = await run(ann, ['webhook', 'deliveries', String(webhookId), '--json']);
        expect(json<{ status: number }[]>(tried)[0]).to.include({ status: 500 });

        r.state.status = 200;
        const count = r.state.bodies.length;
        const resumed = await run(ann, ['webhook', 'resume', String(webhookId)]);
        expect(resumed.code, resumed.stderr).to.equal(0);
        expect(resumed.stdout).to.equal(
          `Webhook ${webhookId} is active: it goes on from the event it stopped at.\n`,
        );
        await until('the retried event', () => r.state.bodies.length > count);
        expect(r.state.bodies.at(-1)).to.deep.include({ type: 'Message' });

        const deleted = await run(ann, ['webhook', 'delete', String(webhookId)]);
        expect(deleted.stdout).to.equal(`Deleted webhook ${webhookId}.\n`);
        const gone = await run(ann, ['webhook', 'deliveries', String(webhookId)]);
        expect(gone.code).to.equal(4);
        expect(gone.stderr).to.match(/\(webhook_not_found\)\n$/);
      } finally {
        await r.close();
      }
    });

    it('when the URL is a cloud metadata address then exit 4 (webhook_url_forbidden) saying why', async () => {
      const result = await run(ann, [
        'webhook',
        'create',
        'http://169.254.169.254/latest',
        '--event',
        'Message',
      ]);
      expect(result.code).to.equal(4);
      expect(result.stdout).to.equal('');
      expect(result.stderr).to.match(
        /^msgr: the server will not deliver to that URL, .*metadata.*: give a public http\(s\) URL \(webhook_url_forbidden\)\n$/,
      );
    });
  });
});
