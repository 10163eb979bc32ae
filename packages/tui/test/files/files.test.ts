/** Files on this machine: completing paths, choosing a file, saving downloads, opening them. */
import type { Download } from '@msgr/sdk';
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openFile } from '../../src/files/opener.js';
import {
  chooseFile,
  completeAmong,
  completePath,
  expandHome,
  shortPath,
} from '../../src/files/paths.js';
import { cleanFileName, downloadFolder, saveDownload } from '../../src/files/save.js';

function downloadOf(bytes: Uint8Array, sha256?: string): Download {
  return {
    body: new ReadableStream({
      start(c) {
        c.enqueue(bytes);
        c.close();
      },
    }),
    status: 200,
    size: bytes.length,
    totalSize: bytes.length,
    contentType: 'application/octet-stream',
    name: undefined,
    sha256: sha256 ?? createHash('sha256').update(bytes).digest('hex'),
  };
}

async function waitForFile(file: string, ms = 5000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const text = await fs.readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined && text.endsWith('\n')) return text;
    if (Date.now() > deadline) throw new Error(`${file} never appeared`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('tui files on this machine', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'msgr-tui-files-'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('completes a path as a shell does: one match filled in, several as far as they agree and listed', async () => {
    const entries = [
      { name: 'Documents', isFolder: true },
      { name: 'Downloads', isFolder: true },
      { name: 'notes.txt', isFolder: false },
      { name: '.secret', isFolder: false },
    ];
    expect(completeAmong('~/Doc', entries)).to.deep.equal({
      text: '~/Documents/',
      candidates: [],
    });
    expect(completeAmong('~/D', entries)).to.deep.equal({
      text: '~/Do',
      candidates: ['Documents/', 'Downloads/'],
    });
    expect(completeAmong('~/Do', entries)).to.deep.equal({
      candidates: ['Documents/', 'Downloads/'],
    });
    expect(completeAmong('', entries).candidates).to.deep.equal([
      'Documents/',
      'Downloads/',
      'notes.txt',
    ]);
    expect(completeAmong('.s', entries)).to.deep.equal({ text: '.secret', candidates: [] });
    expect(completeAmong('x', entries)).to.deep.equal({ candidates: [] });
    expect(completeAmong('~', [])).to.deep.equal({ text: '~/', candidates: [] });

    await fs.mkdir(path.join(dir, 'reports'));
    await fs.writeFile(path.join(dir, 'report.pdf'), 'x');
    await fs.symlink(path.join(dir, 'reports'), path.join(dir, 'linked'));
    const context = { home: dir, cwd: '/' };
    expect(await completePath('~/rep', context)).to.deep.equal({
      text: '~/report',
      candidates: ['report.pdf', 'reports/'],
    });
    expect(await completePath('~/li', context)).to.deep.equal({
      text: '~/linked/',
      candidates: [],
    });
    expect(await completePath('rep', { home: '/', cwd: dir })).to.deep.equal({
      text: 'report',
      candidates: ['report.pdf', 'reports/'],
    });
    expect(expandHome('~/a', '/home/ann')).to.equal('/home/ann/a');
    expect(expandHome('a~/b', '/home/ann')).to.equal('a~/b');
    expect(shortPath('/home/ann/Downloads/x', '/home/ann')).to.equal('~/Downloads/x');
    expect(shortPath('/home/annie/x', '/home/ann')).to.equal('/home/annie/x');
  });

  it('chooses only a readable regular file, and says why not otherwise', async () => {
    await fs.writeFile(path.join(dir, 'a.bin'), new Uint8Array(1234));
    const context = { home: dir, cwd: dir };
    expect(await chooseFile('~/a.bin', context)).to.deep.equal({
      path: path.join(dir, 'a.bin'),
      name: 'a.bin',
      size: 1234,
    });
    expect(await chooseFile('a.bin', context)).to.include({ name: 'a.bin' });
    const failure = (typed: string) =>
      chooseFile(typed, context).then(
        () => 'chosen',
        (err: Error) => err.message,
      );
    expect(await failure('~/nope')).to.equal('~/nope: no such file');
    expect(await failure('~')).to.equal('~ is a folder: Tab lists what is in it');
  });

  it('cleans a name from a server into one harmless file name', () => {
    expect(cleanFileName('report.pdf')).to.equal('report.pdf');
    expect(cleanFileName('../../.bashrc')).to.equal('bashrc');
    expect(cleanFileName('..\\..\\evil.bat')).to.equal('evil.bat');
    expect(cleanFileName('invoice\u202efdp.exe')).to.equal('invoicefdp.exe');
    expect(cleanFileName('a\u001b]0;pwned\u0007b\n.txt')).to.equal('a]0;pwnedb.txt');
    expect(cleanFileName('what?*:<>|".txt')).to.equal('what_______.txt');
    expect(cleanFileName('...')).to.equal('download');
    expect(cleanFileName('CON.txt')).to.equal('_CON.txt');
    const long = cleanFileName(`${'é'.repeat(300)}.tar.gz`);
    expect(Buffer.byteLength(long)).to.be.at.most(200);
    expect(long.endsWith('é.gz')).to.equal(true);
  });

  it('saves a download under its name, then name (1), never over a file or a link that is there', async () => {
    const bytes = new Uint8Array([1, 2, 3, 4, 5]);
    const first = await saveDownload(downloadOf(bytes), dir, 'a.bin');
    expect(first).to.equal(path.join(dir, 'a.bin'));
    await fs.symlink('/etc/passwd', path.join(dir, 'b.bin'));
    const second = await saveDownload(downloadOf(bytes), dir, 'b.bin');
    expect(second).to.equal(path.join(dir, 'b (1).bin'));
    expect(await saveDownload(downloadOf(bytes), dir, 'a.bin')).to.equal(
      path.join(dir, 'a (1).bin'),
    );
    expect(new Uint8Array(await fs.readFile(first))).to.deep.equal(bytes);
    expect(await fs.readlink(path.join(dir, 'b.bin'))).to.equal('/etc/passwd');
    // Bytes that are not the file: nothing is left behind, no name is taken.
    const wrong = saveDownload(downloadOf(bytes, 'f'.repeat(64)), dir, 'c.bin');
    await wrong.then(
      () => expect.fail('saved bytes whose sha256 differs'),
      (err: Error) => expect(err.message).to.contain('sha256'),
    );
    expect((await fs.readdir(dir)).sort()).to.deep.equal([
      'a (1).bin',
      'a.bin',
      'b (1).bin',
      'b.bin',
    ]);
  });

  it('saves into $MSGR_DOWNLOAD_DIR (made if missing), else ~/Downloads, else the current folder', async () => {
    const context = { home: dir, cwd: '/somewhere' };
    expect(await downloadFolder(undefined, context)).to.equal('/somewhere');
    await fs.mkdir(path.join(dir, 'Downloads'));
    expect(await downloadFolder(undefined, context)).to.equal(path.join(dir, 'Downloads'));
    expect(await downloadFolder('~/in/here', context)).to.equal(path.join(dir, 'in/here'));
    expect((await fs.stat(path.join(dir, 'in/here'))).isDirectory()).to.equal(true);
  });

  it('opens a file with the opener, the path as one argument, through no shell', async () => {
    const out = path.join(dir, 'args.txt');
    const opener = path.join(dir, 'opener.sh');
    await fs.writeFile(
      opener,
      `#!/bin/sh\nprintf '%s|' "$@" > '${out}.tmp'\necho >> '${out}.tmp'\nmv '${out}.tmp' '${out}'\n`,
      {
        mode: 0o755,
      },
    );
    const file = path.join(dir, 'a $(touch pwned) `id`; b.txt');
    await openFile(opener, file);
    expect(await waitForFile(out)).to.equal(`${file}|\n`);
    expect(await fs.stat(path.join(dir, 'pwned')).catch(() => 'absent')).to.equal('absent');
    await openFile(path.join(dir, 'no-such-opener'), file).then(
      () => expect.fail('started an opener that does not exist'),
      (err: NodeJS.ErrnoException) => expect(err.code).to.equal('ENOENT'),
    );
  });
});
