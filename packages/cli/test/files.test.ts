/* eslint-disable no-control-regex -- these tests look for control characters */
/**
 * v1.3 files, the real binary against a real server: `send --file`, `upload`, `download`
 * (resumed, checked, to stdout), how history shows attachments, hostile names, progress bars.
 * Plain functions (names, sizes, the attachment line) first: no server needed.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FileObject, Message } from '@msgr/sdk';
import { startServerProcesses, type ServerProcesses } from '../../server/test/support/processes.js';
import { attachmentText } from '../src/format.js';
import { safeFileName } from '@msgr/safe-text';
import { pathInFolder } from '../src/local-files.js';
import { painter } from '../src/output.js';
import { msgr, tempDir, type Result } from './support/msgr.js';
import { people, type Person } from './support/people.js';
import { hasScript, msgrOnTerminal } from './support/pty.js';

const MiB = 1024 * 1024;
/** A window title, a screen clear, a path out of the folder and a right-to-left override. */
const HOSTILE_NAME = '../../\u001b]0;pwned\u0007evil\u001b[2J\u202egpj.exe';

/** What must never reach the terminal from the data: ESC, BEL, C1 and bidi controls. */
function expectHarmless(text: string, what: string): void {
  expect(text, `${what}: a control reached the terminal`).to.not.match(
    /[\u0007\u001b\u0080-\u009f\u202a-\u202e\u2066-\u2069]/,
  );
}

describe('file names and sizes (plain functions)', () => {
  const file = (fields: Partial<FileObject>): FileObject => ({
    id: 'AbCdEfGhIjKlMnOp',
    name: 'report.pdf',
    size: 1_288_490,
    content_type: 'application/pdf',
    sha256: '0'.repeat(64),
    created_at: new Date().toISOString(),
    uploader_id: 1,
    image: null,
    ...fields,
  });

  it('when an attachment is shown then `📎 name (size)  id`, its controls as pictures', () => {
    const paint = painter(false);
    expect(attachmentText(file({}), paint)).to.equal('📎 report.pdf (1.2 MiB)  AbCdEfGhIjKlMnOp');
    const shown = attachmentText(file({ name: HOSTILE_NAME, id: 'x\u001b[2J' }), paint);
    expectHarmless(shown, 'attachment');
    expect(shown).to.equal('📎 ../../␛]0;pwned␇evil␛[2J\ufffdgpj.exe (1.2 MiB)  x␛[2J');
  });

  it('when a name from the server would leave the folder then the file goes in it, under its cleaned last part', () => {
    const folder = path.resolve('/tmp/somewhere');
    expect(pathInFolder(folder, HOSTILE_NAME, 'f')).to.equal(
      path.join(folder, ']0;pwnedevil[2Jgpj.exe'),
    );
  });
});

describe('msgr files (the binary) against a real server', function () {
  this.timeout(60_000);
  let servers: ServerProcesses;
  let dir: string;
  let removeDir: () => Promise<void>;
  const person = people(
    () => servers,
    () => dir,
  );
  let ann: Person;
  let bob: Person;
  /** A direct chat of Ann and Bob. */
  let chatId: number;
  let made = 0;

  /** A fresh folder inside the test's folder. */
  async function folder(): Promise<string> {
    const made_ = path.join(dir, `folder-${++made}`);
    await fs.mkdir(made_);
    return made_;
  }

  /** A file of `size` random bytes named `name` in a fresh folder. */
  async function localFile(size: number, name = 'data.bin') {
    const bytes = randomBytes(size);
    const file = path.join(await folder(), name);
    await fs.writeFile(file, bytes);
    return { file, bytes };
  }

  function json<T>(result: Result): T {
    expect(result.code, result.stderr).to.equal(0);
    return JSON.parse(result.stdout) as T;
  }

  async function upload(who: Person, file: string, ...args: string[]): Promise<FileObject> {
    return json<FileObject>(await who.run(['upload', file, '--json', ...args]));
  }

  async function exists(file: string): Promise<boolean> {
    return fs.stat(file).then(
      () => true,
      () => false,
    );
  }

  before(async () => {
    servers = await startServerProcesses(1);
    ({ dir, remove: removeDir } = await tempDir());
    [ann, bob] = await Promise.all([person('Ann'), person('Bob')]);
    chatId = (await ann.client.sendToUser(bob.user.id, 'hello')).chat_id;
  });
  after(async () => {
    await servers?.close();
    await removeDir?.();
  });

  it('when send --file with text and without then one message each carries the files; history shows 📎 lines', async () => {
    const { file: notes } = await localFile(1500, 'notes.txt');
    const { file: photo } = await localFile(3000, 'photo.bin');
    const withText = await ann.run([
      'send',
      '--to',
      String(bob.user.id),
      '--file',
      notes,
      'the notes',
    ]);
    expect(withText.code, withText.stderr).to.equal(0);
    expect(withText.stdout).to.match(/^Sent message \d+ to chat \d+ with 1 file\.\n$/);

    const alone = json<Message>(
      await ann.run([
        'send',
        '--to',
        String(bob.user.id),
        '--file',
        notes,
        '--file',
        photo,
        '--json',
      ]),
    );
    expect(alone.text).to.equal('');
    expect(alone.attachments.map((f) => [f.name, f.size])).to.deep.equal([
      ['notes.txt', 1500],
      ['photo.bin', 3000],
    ]);

    const history = await bob.run(['history', String(chatId)]);
    expect(history.code, history.stderr).to.equal(0);
    const lines = history.stdout.split('\n');
    const at = lines.findIndex((l) => l.endsWith('Ann: the notes'));
    expect(lines[at + 1]).to.match(/^ {2}📎 notes\.txt \(1\.5 KiB\) {2}[A-Za-z0-9_-]{16,64}$/);
    const alonePrinted = lines.findIndex((l) => l.includes(`#${alone.id} Ann:`));
    expect(lines[alonePrinted]).to.match(/ Ann:$/); // no text: nothing after the colon
    expect(lines[alonePrinted + 1]).to.equal(
      `  📎 notes.txt (1.5 KiB)  ${alone.attachments[0]!.id}`,
    );
    expect(lines[alonePrinted + 2]).to.equal(
      `  📎 photo.bin (2.9 KiB)  ${alone.attachments[1]!.id}`,
    );

    const page = json<Message[]>(await bob.run(['history', String(chatId), '--json']));
    expect(page.at(-1)).to.deep.equal({ ...alone, is_read: page.at(-1)!.is_read });
  });

  it('when send --file is repeated with the same --operation-id then "Already sent" and no new upload', async () => {
    const { file } = await localFile(2000, 'once.txt');
    const args = ['send', '--to', String(bob.user.id), '--operation-id', '777', '--file', file];
    const first = json<Message>(await ann.run([...args, 'exactly once', '--json']));
    const used = (await ann.client.filesConfig()).used_bytes;
    const again = await ann.run([...args, 'exactly once']);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.equal(
      `Already sent: message ${first.id} (a repeat of operation 777).\n`,
    );
    expect((await ann.client.filesConfig()).used_bytes).to.equal(used);
  });

  it('when a file is uploaded then downloaded then the bytes are equal (3 MiB), under its own name', async () => {
    const { file, bytes } = await localFile(3 * MiB + 17, 'big.bin');
    const human = await ann.run(['upload', file]);
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.match(
      /^[A-Za-z0-9_-]{16,64} {2}big\.bin {2}3\.0 MiB {2}application\/octet-stream\n$/,
    );
    const id = human.stdout.split('  ')[0]!;
    const here = await folder();
    const saved = await msgr(['download', id], { env: ann.env, cwd: here });
    expect(saved.code, saved.stderr).to.equal(0);
    expect(saved.stdout).to.equal('Saved big.bin (3.0 MiB, sha256 checked).\n');
    expect((await fs.readFile(path.join(here, 'big.bin'))).equals(bytes)).to.be.true;
    expect(await fs.readdir(here)).to.deep.equal(['big.bin']);

    // Again: the same bytes are there already; another file in the way is kept without --force.
    const again = await msgr(['download', id], { env: ann.env, cwd: here });
    expect(again.stdout).to.equal('big.bin holds this file already (3.0 MiB, sha256 checked).\n');
    await fs.writeFile(path.join(here, 'big.bin'), 'mine');
    const refused = await msgr(['download', id], { env: ann.env, cwd: here });
    expect(refused.code).to.equal(4);
    expect(refused.stderr).to.match(/^msgr: big\.bin exists and is not this file: add --force/);
    expect(await fs.readFile(path.join(here, 'big.bin'), 'utf8')).to.equal('mine');
    const forced = await msgr(['download', id, '--force', '--json'], { env: ann.env, cwd: here });
    expect(json<{ path: string }>(forced).path).to.equal(path.join(here, 'big.bin'));
    expect((await fs.readFile(path.join(here, 'big.bin'))).equals(bytes)).to.be.true;
  });

  it('when a .part is left by a cut run then the download goes on from its size', async () => {
    const { file, bytes } = await localFile(2 * MiB + 5);
    const uploaded = await upload(ann, file);
    const target = path.join(await folder(), 'copy.bin');
    await fs.writeFile(`${target}.part`, bytes.subarray(0, MiB + 3));
    const result = json<Record<string, unknown>>(
      await ann.run(['download', uploaded.id, '-o', target, '--json']),
    );
    expect(result).to.deep.include({
      path: target,
      resumed_from: MiB + 3,
      downloaded_bytes: bytes.length - MiB - 3,
      already_there: false,
    });
    expect((result.file as FileObject).id).to.equal(uploaded.id);
    expect((await fs.readFile(target)).equals(bytes)).to.be.true;
    expect(await exists(`${target}.part`)).to.be.false;
  });

  it('when the result does not match the sha256 then exit 1 and nothing is kept; the next run starts over', async () => {
    const { file, bytes } = await localFile(MiB + 100);
    const uploaded = await upload(ann, file);
    const target = path.join(await folder(), 'copy.bin');
    await fs.writeFile(`${target}.part`, randomBytes(4096)); // not the start of this file
    const refused = await ann.run(['download', uploaded.id, '-o', target]);
    expect(refused.code).to.equal(1);
    expect(refused.stdout).to.equal('');
    expect(refused.stderr).to.match(
      /^msgr: the resumed download .* does not match the file's sha256 .*nothing was kept/,
    );
    expect(await exists(target)).to.be.false;
    expect(await exists(`${target}.part`)).to.be.false;

    const again = await ann.run(['download', uploaded.id, '-o', target]);
    expect(again.code, again.stderr).to.equal(0);
    expect((await fs.readFile(target)).equals(bytes)).to.be.true;
  });

  it('when -o - then the bytes on stdout, nothing else', async () => {
    const { file, bytes } = await localFile(MiB + 1);
    const uploaded = await upload(ann, file);
    const piped = await ann.run(['download', uploaded.id, '-o', '-']);
    expect(piped.code, piped.stderr).to.equal(0);
    expect(piped.stderr).to.equal('');
    expect(piped.stdoutBytes!.equals(bytes)).to.be.true;
  });

  it('when a name is hostile then history shows it harmlessly and download saves it in the folder', async () => {
    const { file, bytes } = await localFile(100, 'plain.txt');
    const uploaded = await upload(ann, file, '--name', HOSTILE_NAME);
    expectHarmless(uploaded.name, 'the name the server kept');
    expect(uploaded.name).to.not.include('/');
    await ann.client.sendToUser(bob.user.id, 'hostile', { attachments: [uploaded.id] });

    const piped = await bob.run(['history', String(chatId)]);
    expectHarmless(piped.stdout, 'history');
    expect(piped.stdout).to.include(`  📎 ${uploaded.name} (100 B)  ${uploaded.id}`);
    if (hasScript) {
      const shown = await msgrOnTerminal(['history', String(chatId)], bob.env);
      expect(shown.code, shown.text).to.equal(0);
      expectHarmless(shown.text, 'history on a terminal');
      expect(shown.text).to.include(`📎 ${uploaded.name} (100 B)`);
    }

    const parent = await folder();
    const here = path.join(parent, 'inside');
    await fs.mkdir(here);
    const saved = await msgr(['download', uploaded.id], { env: bob.env, cwd: here });
    expect(saved.code, saved.stderr).to.equal(0);
    expectHarmless(saved.stdout, 'download');
    const name = safeFileName(uploaded.name, { fallback: 'x' });
    expect(await fs.readdir(here)).to.deep.equal([name]);
    expect(await fs.readdir(parent)).to.deep.equal(['inside']);
    expect((await fs.readFile(path.join(here, name))).equals(bytes)).to.be.true;
  });

  it('when piped, or --quiet on a terminal, then no progress bar; on a terminal one', async function () {
    const { file } = await localFile(2 * MiB, 'bar.bin');
    const piped = await ann.run(['upload', file]);
    expect(piped.code, piped.stderr).to.equal(0);
    expect(piped.stderr).to.equal('');
    const id = piped.stdout.split('  ')[0]!;
    const target = path.join(await folder(), 'bar.bin');
    const down = await ann.run(['download', id, '-o', target]);
    expect(down.stderr).to.equal('');

    if (!hasScript) return this.skip();
    const shown = await msgrOnTerminal(['upload', file], ann.env);
    expect(shown.code, shown.text).to.equal(0);
    expect(shown.text).to.match(/\rbar\.bin \[#+-*\] +\d+%/);
    expect(shown.text).to.include('[####################] 100%  2.0 MiB / 2.0 MiB');
    const quiet = await msgrOnTerminal(['upload', file, '--quiet'], ann.env);
    expect(quiet.text).to.not.include('%');
    expect(quiet.text).to.not.include('\r bar');
  });
});
