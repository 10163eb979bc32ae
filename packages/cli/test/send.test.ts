/**
 * `msgr send`, run after run, against a real server process: the operation-id counter kept
 * beside the config makes every run a new message, and a replay says so.
 */
import { expect } from 'chai';
import fs from 'node:fs/promises';
import path from 'node:path';
import { MessengerClient } from '@msgr/sdk';
import { operationIdsDir } from '@msgr/session';
import { startServerProcesses, type ServerProcesses } from '../../server/test/support/processes.js';
import { cleanEnv, msgr, tempDir } from './support/msgr.js';

/** The int16 ids the claims folder beside `configFile` has handed out. */
async function claimedIds(configFile: string): Promise<number[]> {
  const names = await fs.readdir(operationIdsDir(configFile));
  return names.map((n) => Number(n.split('-')[0]) - 32_768).sort((a, b) => a - b);
}

describe('msgr send, run after run (operation ids kept beside the config)', function () {
  this.timeout(90_000);
  let servers: ServerProcesses;
  let dir: string;
  let removeDir: () => Promise<void>;
  let count = 0;

  async function loggedIn(): Promise<NodeJS.ProcessEnv> {
    const env = cleanEnv({
      MSGR_CONFIG: path.join(dir, `config-${++count}.json`),
      MSGR_HOSTS: servers.urls[0]!,
    });
    const login = await msgr(['login', 'test1@test.com', '--password', 'test'], { env });
    expect(login.code, login.stderr).to.equal(0);
    return env;
  }

  /** Texts of the direct chat test1 ↔ test2 that equal `text`. */
  async function copiesOf(text: string): Promise<number[]> {
    const reader = new MessengerClient({ hosts: servers.urls });
    await reader.login({ email: 'test2@test.com', password: 'test' });
    const chat = (await reader.chats()).find((c) => c.peer_user_id === 1)!;
    const ids: number[] = [];
    for await (const m of reader.iterateHistory(chat.chat_id)) if (m.text === text) ids.push(m.id);
    return ids;
  }

  before(async () => {
    servers = await startServerProcesses(1);
    ({ dir, remove: removeDir } = await tempDir());
  });
  after(async () => {
    await servers?.close();
    await removeDir?.();
  });

  it('when the same text goes to the same user twice in a row then two messages, and the second run took the next id', async () => {
    const env = await loggedIn();
    const text = `twice ${Date.now()}`;
    const first = await msgr(['send', '--to', '2', text], { env });
    const second = await msgr(['send', '--to', '2', text], { env });
    expect(first.code, first.stderr).to.equal(0);
    expect(second.code, second.stderr).to.equal(0);
    expect(first.stdout).to.match(/^Sent message \d+ to chat \d+\.\n$/);
    expect(second.stdout).to.match(/^Sent message \d+ to chat \d+\.\n$/);
    expect(second.stdout).to.not.equal(first.stdout);
    expect(await copiesOf(text)).to.have.lengthOf(2);
    const [a, b] = await claimedIds(env.MSGR_CONFIG!);
    expect(b === a! + 1 || (a === -32_768 && b === 32_767), `${a}, ${b}`).to.be.true;
  });

  it('when 10 sends of the same text run at the same time then 10 messages', async () => {
    const env = await loggedIn();
    const text = `parallel ${Date.now()}`;
    const runs = await Promise.all(
      Array.from({ length: 10 }, () => msgr(['send', '--to', '2', text, '--json'], { env })),
    );
    for (const run of runs) expect(run.code, run.stderr).to.equal(0);
    const ids = runs.map((run) => JSON.parse(run.stdout).id);
    expect(new Set(ids).size).to.equal(10);
    expect(await copiesOf(text)).to.have.lengthOf(10);
    // At least 10 ids were claimed (a run that met a rival for an id left its claim and took
    // the next one).
    expect(new Set(await claimedIds(env.MSGR_CONFIG!)).size).to.be.at.least(10);
  });

  it('when the same --operation-id is sent again then it says it is a replay, and nothing new exists', async () => {
    const env = await loggedIn();
    const text = `replayed ${Date.now()}`;
    const operationId = String(20_000 + (Date.now() % 10_000));
    const sent = await msgr(['send', '--to', '2', '--operation-id', operationId, text], { env });
    expect(sent.code, sent.stderr).to.equal(0);
    const [, id] = /^Sent message (\d+) /.exec(sent.stdout) ?? [];

    const again = await msgr(['send', '--to', '2', '--operation-id', operationId, text], { env });
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.equal(
      `Already sent: message ${id} (a repeat of operation ${operationId}).\n`,
    );

    const json = await msgr(['send', '--to', '2', '--operation-id', operationId, text, '--json'], {
      env,
    });
    expect(json.code, json.stderr).to.equal(0);
    expect(JSON.parse(json.stdout)).to.include({ id: Number(id), text });
    expect(json.stderr).to.include(`Already sent: message ${id} (a repeat of operation`);
    expect(await copiesOf(text)).to.deep.equal([Number(id)]);
  });

  it('when the same --idempotency-key is sent again then one message, and the second run says it was a replay', async () => {
    const env = await loggedIn();
    const text = `keyed ${Date.now()}`;
    const key = `ci-run-${Date.now()}`;
    const sent = await msgr(['send', '--to', '2', '--idempotency-key', key, text], { env });
    expect(sent.code, sent.stderr).to.equal(0);
    const [, id] = /^Sent message (\d+) /.exec(sent.stdout) ?? [];

    const again = await msgr(['send', '--to', '2', '--idempotency-key', key, text], { env });
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.equal(
      `Already sent: message ${id} (a repeat of idempotency key ${key}).\n`,
    );
    const json = await msgr(['send', '--to', '2', '--idempotency-key', key, text, '--json'], {
      env,
    });
    expect(JSON.parse(json.stdout)).to.include({ id: Number(id), text });
    expect(json.stderr).to.include(
      `Already sent: message ${id} (a repeat of idempotency key ${key})`,
    );
    expect(await copiesOf(text)).to.deep.equal([Number(id)]);

    const other = await msgr(['send', '--to', '2', '--idempotency-key', key, 'other text'], {
      env,
    });
    expect(other.code).to.equal(4);
    expect(other.stderr).to.match(/^msgr: .*\(idempotency_key_conflict\)\n$/);
  });
});
