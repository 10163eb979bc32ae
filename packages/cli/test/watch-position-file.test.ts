/**
 * `msgr watch --position-file`, the real binary against a real server process: every kind of
 * event, the position saved, one watch per file, a one-chat watch, and crash safety — killed
 * with SIGKILL while events flow and started again, it prints every event, and again at most
 * the one it was printing when it died.
 */
import { expect } from 'chai';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Message } from '@msgr/sdk';
import { startServerProcesses, type ServerProcesses } from '../../server/test/support/processes.js';
import { tempDir } from './support/msgr.js';
import { people, type Running } from './support/people.js';

const POSITION = /^\d+(\.\d+)*\n$/;

describe('msgr watch --position-file (the binary) against a real server', function () {
  this.timeout(60_000);
  let servers: ServerProcesses;
  let dir: string;
  let removeDir: () => Promise<void>;
  const person = people(
    () => servers,
    () => dir,
  );
  let running: Running[] = [];

  before(async () => {
    servers = await startServerProcesses(1);
    ({ dir, remove: removeDir } = await tempDir());
  });
  afterEach(() => {
    for (const r of running) r.kill('SIGKILL');
    running = [];
  });
  after(async () => {
    await servers?.close();
    await removeDir?.();
  });

  let files = 0;
  const positionFile = () => path.join(dir, `position-${++files}`);

  /** `msgr watch args…` as `who`, once it says it is watching. */
  async function watch(who: { start: (args: string[]) => Running }, args: string[]) {
    const r = who.start(['watch', ...args]);
    running.push(r);
    await r.stderr.until((text) => text.includes('Watching'));
    return r;
  }

  /** The NDJSON records printed so far. */
  const records = (r: Running) => r.stdout.lines.map((line) => JSON.parse(line) as Event);

  it('when watching with --json then every kind of event is printed once, and the file holds the position after the last', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const carol = await person('Carol');
    const file = positionFile();
    const w = await watch(alice, ['--json', '--position-file', file]);
    expect(await fs.readFile(file, 'utf8')).to.match(POSITION); // the position of now

    // A second msgr on the same file is refused while this one runs.
    const second = await alice.run(['sync', '--position-file', file]);
    expect(second.code).to.equal(4);
    expect(second.stderr).to.include(`is in use by another msgr (process ${w.pid})`);

    const hello = await bob.client.sendToUser(alice.user.id, 'hello');
    const edited = await bob.client.editMessage(hello.id, 'hello again');
    await bob.client.react(hello.id, '👍');
    const group = await bob.client.createGroup({
      name: 'Team',
      participantUserIds: [alice.user.id],
    });
    await bob.client.renameGroup(group.group_id, 'Team B');
    // From Alice's other device: her own message comes, and so does her read there.
    const mine = await alice.client.sendToGroup(group.group_id, 'from my phone');
    await bob.client.markRead(mine.id);
    await alice.client.markRead(hello.id);
    await bob.client.deleteMessage(hello.id);
    await bob.client.addMembers(group.group_id, [carol.user.id]);

    await w.stdout.until((text) => text.includes(`"added":[${carol.user.id}]`));
    const onHello = { chat_id: hello.chat_id, message_id: hello.id };
    const onGroup = { chat_id: group.chat_id, group_id: group.group_id };
    const events = records(w);
    // A deletion redacts the events before it that carry the text: compare what stays.
    expect(events.map(withoutText)).to.deep.equal(
      [
        { type: 'Message', message: hello },
        { type: 'MessageEdited', message: edited },
        { type: 'Reaction', ...onHello, emoji: '👍', user_id: bob.user.id, added: true },
        {
          type: 'MembersChanged',
          ...onGroup,
          added: [alice.user.id, bob.user.id].sort((a, b) => a - b),
          removed: [],
          owner_id: bob.user.id,
        },
        { type: 'ChatUpdated', ...onGroup, name: 'Team B' },
        { type: 'Message', message: mine },
        { type: 'Read', chat_id: group.chat_id, message_id: mine.id, reader_ids: [bob.user.id] },
        { type: 'ReadMarker', ...onHello },
        { type: 'MessageDeleted', ...onHello },
        {
          type: 'MembersChanged',
          ...onGroup,
          added: [carol.user.id],
          removed: [],
          owner_id: bob.user.id,
        },
      ].map(withoutText),
    );
    expect(new Set(events.map((e) => e.type))).to.have.lengthOf(8);

    w.kill('SIGINT');
    expect(await w.exited, w.stderr.text).to.equal(0);
    expect(await fs.readFile(file, 'utf8')).to.match(POSITION);
    await expectGone(`${file}.lock`);
    // The file is past every event printed: a catch-up from it prints nothing.
    const after = await alice.run(['sync', '--json', '--position-file', file]);
    expect(after.code, after.stderr).to.equal(0);
    expect(after.stdout).to.equal('');
  });

  it('when killed (SIGKILL) while events flow and started again then every event is printed, at most the one at each crash twice', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const file = positionFile();
    const texts = Array.from({ length: 90 }, (_, i) => `event ${i}`);
    const runs: string[][] = [];
    const textsOf = (r: Running) =>
      records(r).map((e) => (e.type === 'Message' ? e.message!.text : `${e.type}?`));

    let w = await watch(alice, ['--json', '--position-file', file]);
    // Paced, so that the messages still come while the watch dies and starts again.
    const sending = (async () => {
      for (const text of texts) {
        await bob.client.sendToUser(alice.user.id, text);
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    })();
    // Three crashes, each at a random moment while the messages still come.
    for (const upTo of [10, 35, 60]) {
      const at = upTo - 8 + Math.floor(Math.random() * 16);
      const before = runs.flat().length;
      await w.stdout.until((text) => before + text.split('\n').length > at);
      w.kill('SIGKILL');
      expect(await w.exited).to.equal(null);
      runs.push(textsOf(w));
      w = await watch(alice, ['--json', '--position-file', file]);
    }
    await sending;
    await w.stdout.until((text) => text.includes(`"text":"${texts.at(-1)}"`));
    runs.push(textsOf(w));
    w.kill('SIGINT');
    expect(await w.exited, w.stderr.text).to.equal(0);

    // Each run goes on from the last event the one before saved: where it died, at most the
    // event it was printing then comes again, first.
    const printed: string[] = [];
    let repeats = 0;
    for (const [i, run] of runs.entries()) {
      const isRepeat = i > 0 && run.length > 0 && run[0] === printed.at(-1);
      if (isRepeat) repeats++;
      printed.push(...(isRepeat ? run.slice(1) : run));
    }
    expect(printed).to.deep.equal(texts);
    expect(repeats).to.be.at.most(3);
  });

  it('when watching one chat then only its events are printed, and being removed from it ends the watch with exit 4', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const group = await bob.client.createGroup({
      name: 'Only',
      participantUserIds: [alice.user.id],
    });
    const file = positionFile();
    const w = await watch(alice, [String(group.chat_id), '--position-file', file]);
    await bob.client.sendToUser(alice.user.id, 'elsewhere');
    const here = await bob.client.sendToGroup(group.group_id, 'in the group');
    await w.stdout.until((text) => text.includes('in the group'));
    await bob.client.removeMember(group.group_id, alice.user.id);
    expect(await w.exited, w.stderr.text).to.equal(4);
    expect(w.stdout.lines).to.have.lengthOf(2);
    expect(w.stdout.lines[0]).to.match(
      new RegExp(`^\\[\\d\\d:\\d\\d\\] #${here.id} Bob: in the group$`),
    );
    expect(w.stdout.lines[1]).to.match(/^\[\d\d:\d\d\] you are no longer a member$/);
    expect(w.stderr.text).to.match(/msgr: .*\(chat_forbidden\)\n$/);
    await expectGone(`${file}.lock`);
  });

  it('when the file does not hold a position then exit 2 before anything is printed', async () => {
    const alice = await person('Alice');
    const file = positionFile();
    await fs.writeFile(file, 'not a position\n');
    const result = await alice.run(['watch', '--position-file', file]);
    expect(result.code).to.equal(2);
    expect(result.stdout).to.equal('');
    expect(result.stderr).to.match(/does not hold a position .*delete the file/);
    await expectGone(`${file}.lock`);
  });
});

/** An event as printed with --json. */
interface Event {
  type: string;
  message?: Message;
  [key: string]: unknown;
}

/** The event less its message's text and reactions (redacted or folded in by later events). */
function withoutText(e: Event): Event {
  if (!e.message) return e;
  const message: Partial<Message> = { ...e.message };
  delete message.text;
  delete message.reactions;
  delete message.deleted;
  return { ...e, message: message as Message };
}

async function expectGone(file: string): Promise<void> {
  const exists = await fs.stat(file).then(
    () => true,
    () => false,
  );
  expect(exists, file).to.equal(false);
}
