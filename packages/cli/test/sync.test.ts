/**
 * `msgr sync`, the real binary against real server processes: cron-style runs from a position
 * file print each event once across runs, `--position` and the `position: …` line, `--wait`,
 * the first run without a position, positions that are not the server's, a lock left by a dead
 * run, and a position older than the server's log keeps (a server with a one-second retention).
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import path from 'node:path';
import { MessengerError, type MessengerClient } from '@msgr/sdk';
import { startServerProcesses, type ServerProcesses } from '../../server/test/support/processes.js';
import { tempDir, type Result } from './support/msgr.js';
import { people, type Person } from './support/people.js';

const POSITION_LINE = /^position: (\d+(?:\.\d+)*)\n$/;

/** The position a run printed on stderr (its only line there). */
function positionOf(result: Result): string {
  expect(result.code, result.stderr).to.equal(0);
  const match = POSITION_LINE.exec(result.stderr);
  expect(match, result.stderr).to.not.equal(null);
  return match![1]!;
}

/** The texts of the messages (and the kinds of the other events) of a --json run. */
function printed(result: Result): string[] {
  expect(result.code, result.stderr).to.equal(0);
  return result.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { type: string; message?: { text: string } })
    .map((e) => (e.type === 'Message' ? e.message!.text : e.type));
}

describe('msgr sync (the binary) against a real server', function () {
  this.timeout(60_000);
  let servers: ServerProcesses;
  let dir: string;
  let removeDir: () => Promise<void>;
  const person = people(
    () => servers,
    () => dir,
  );
  let alice: Person;
  let bob: Person;
  let files = 0;
  const positionFile = () => path.join(dir, `position-${++files}`);
  const send = (text: string) => bob.client.sendToUser(alice.user.id, text);

  before(async () => {
    servers = await startServerProcesses(1);
    ({ dir, remove: removeDir } = await tempDir());
    alice = await person('Alice');
    bob = await person('Bob');
  });
  after(async () => {
    await servers?.close();
    await removeDir?.();
  });

  it('when run again and again from a position file then each event is printed once across the runs', async () => {
    const file = positionFile();
    const first = await alice.run(['sync', '--json', '--position-file', file]);
    expect(first.stdout).to.equal('');
    expect(first.stderr).to.match(/No position yet: .* now holds the position of now/);
    expect(await fs.readFile(file, 'utf8')).to.match(/^\d+(\.\d+)*\n$/);

    const one = await send('one');
    await send('two');
    await bob.client.editMessage(one.id, 'one, edited');
    expect(printed(await alice.run(['sync', '--json', '--position-file', file]))).to.deep.equal([
      'one',
      'two',
      'MessageEdited',
    ]);
    expect(printed(await alice.run(['sync', '--json', '--position-file', file]))).to.deep.equal([]);
    await send('three');
    const human = await alice.run(['sync', '--position-file', file]);
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stderr).to.equal('');
    expect(human.stdout).to.match(/^\[\d\d:\d\d\] \[Bob\] #\d+ Bob: three\n$/);
  });

  it('when given --position then the events after it, and the new position on stderr', async () => {
    const now = await alice.run(['sync']);
    expect(now.stdout).to.equal('');
    const start = positionOf(now);
    const four = await send('four');
    await bob.client.react(four.id, '👍');

    const caughtUp = await alice.run(['sync', '--json', '--position', start]);
    expect(printed(caughtUp)).to.deep.equal(['four', 'Reaction']);
    const next = positionOf(caughtUp);
    expect(next).to.not.equal(start);
    // Nothing is consumed: the same position gives the same events; the new one, none.
    expect(printed(await alice.run(['sync', '--json', '--position', start]))).to.deep.equal([
      'four',
      'Reaction',
    ]);
    const none = await alice.run(['sync', '--json', '--position', next]);
    expect(none.stdout).to.equal('');
    expect(positionOf(none)).to.equal(next);

    // For people: the lines of `watch`; a change without a time of its own has none.
    const human = await alice.run(['sync', '--position', start]);
    expect(positionOf(human)).to.equal(next);
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines).to.have.lengthOf(2);
    expect(lines[0]).to.match(new RegExp(`^\\[\\d\\d:\\d\\d\\] \\[Bob\\] #${four.id} Bob: four$`));
    expect(lines[1]).to.equal(`[Bob] Bob reacted 👍 to #${four.id}`);
  });

  it('when --wait and nothing has happened yet then it returns as soon as an event comes', async () => {
    const start = positionOf(await alice.run(['sync']));
    const started = Date.now();
    const waiting = alice.run(['sync', '--json', '--position', start, '--wait', '8']);
    // Sent once the run is (most likely) waiting; sent before, it would return at once all the same.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const sentAt = Date.now();
    await send('worth the wait');
    const result = await waiting;
    expect(printed(result)).to.deep.equal(['worth the wait']);
    // A full wait would end 8 s after the start: well after this.
    expect(Date.now() - sentAt).to.be.below(4000);
    expect(Date.now() - started).to.be.below(7000);
  });

  it('when the position is not one the server gave out then exit 2 and nothing printed', async () => {
    const garbage = positionFile();
    await fs.writeFile(garbage, 'yesterday\n');
    const cases: [string[], RegExp][] = [
      [['--position', 'abc'], /argument 'abc' is invalid\. Expected a position/],
      [['--position', '99999999999'], /--position 99999999999 is a position this server never/],
      [['--position-file', garbage], /does not hold a position \("yesterday"; .*delete the file/],
      [['--position', '1', '--position-file', garbage], /give --position or --position-file/],
      [['--wait', '61'], /Expected seconds: an integer in 0\.\.60/],
    ];
    for (const [args, message] of cases) {
      const result = await alice.run(['sync', ...args]);
      expect(result.code, args.join(' ')).to.equal(2);
      expect(result.stdout).to.equal('');
      expect(result.stderr).to.match(message);
    }
  });

  it('when the lock was left by a run that died then the next run takes it over', async () => {
    const file = positionFile();
    const dead = spawn(process.execPath, ['-e', '']);
    await once(dead, 'exit');
    await fs.writeFile(`${file}.lock`, `${dead.pid}\n`);
    const result = await alice.run(['sync', '--position-file', file]);
    expect(result.code, result.stderr).to.equal(0);
    expect(await fs.readFile(file, 'utf8')).to.match(/^\d+(\.\d+)*\n$/);
    const isLocked = await fs.stat(`${file}.lock`).then(
      () => true,
      () => false,
    );
    expect(isLocked).to.equal(false);
  });
});

describe('msgr sync and watch when the position has expired (a one-second log)', function () {
  this.timeout(60_000);
  let servers: ServerProcesses;
  let dir: string;
  let removeDir: () => Promise<void>;
  const person = people(
    () => servers,
    () => dir,
  );

  before(async () => {
    servers = await startServerProcesses(1, {
      EVENT_RETENTION_DAYS: String(1 / 86_400),
      EVENT_TRIM_INTERVAL_MS: '100',
    });
    ({ dir, remove: removeDir } = await tempDir());
  });
  after(async () => {
    await servers?.close();
    await removeDir?.();
  });

  /** A position of Alice's that the log has left behind (waits, with a deadline, for the trim). */
  async function expiredPosition(alice: Person, bob: Person): Promise<string> {
    const { position } = await alice.client.sync();
    await bob.client.sendToUser(alice.user.id, 'soon gone');
    await eventually(() => isExpired(alice.client, position));
    return position;
  }

  it('when sync is given an expired position then it says so, goes on from now and exits 0', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const old = await expiredPosition(alice, bob);

    const json = await alice.run(['sync', '--json', '--position', old]);
    expect(json.code, json.stderr).to.equal(0);
    expect(json.stdout).to.equal('{"type":"PositionExpired"}\n');
    const now = positionOf(json);
    expect(await isExpired(alice.client, now)).to.equal(false);

    const file = path.join(dir, 'expired.pos');
    await fs.writeFile(file, `${old}\n`);
    const human = await alice.run(['sync', '--position-file', file]);
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.equal('');
    expect(human.stderr).to.match(/^msgr: the position is older than the server keeps its log/);
    const saved = (await fs.readFile(file, 'utf8')).trim();
    expect(saved).to.not.equal(old);
    // The next run goes on from there. (An event would be trimmed a second after it happened:
    // the position is what is checked.)
    expect(await isExpired(alice.client, saved)).to.equal(false);
  });

  it('when watch starts from an expired position then it says so, saves the position of now and goes on', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const old = await expiredPosition(alice, bob);
    const file = path.join(dir, 'watch-expired.pos');
    await fs.writeFile(file, `${old}\n`);
    const w = alice.start(['watch', '--json', '--position-file', file]);
    try {
      await w.stdout.until((text) => text === '{"type":"PositionExpired"}\n');
      // Once the position of now is saved, what happens next is printed.
      await eventually(async () => (await fs.readFile(file, 'utf8')).trim() !== old);
      await bob.client.sendToUser(alice.user.id, 'live again');
      await w.stdout.until((text) => text.includes('live again'));
    } finally {
      w.kill('SIGINT');
    }
    expect(await w.exited, w.stderr.text).to.equal(0);
  });
});

async function isExpired(client: MessengerClient, position: string): Promise<boolean> {
  try {
    await client.sync({ position });
    return false;
  } catch (err) {
    if (err instanceof MessengerError && err.code === 'position_expired') return true;
    throw err;
  }
}

/** Resolves once `predicate` holds, asking every 100 ms; rejects after `timeoutMs`. */
async function eventually(predicate: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`not so after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
