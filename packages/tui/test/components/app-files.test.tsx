/* eslint-disable no-control-regex -- a test looks for control characters */
/** @jsxRuntime automatic */
/**
 * v1.3 in the App, against the fake client: attaching (Ctrl+O, the path prompt, the chosen
 * files above the input, the upload with its progress, Esc, the send), the 📎 lines of
 * messages (a hostile name included), saving and opening a file, and image previews.
 */
import { MessengerError, type Message } from '@msgr/sdk';
import { expect } from 'chai';
import { render } from 'ink-testing-library';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { App } from '../../src/components/App.js';
import { DIACRITICS, PLACEHOLDER } from '../../src/preview/kitty.js';
import { LEAVE_ALT_SCREEN } from '../../src/terminal.js';
import { graphemes } from '../../src/view/text.js';
import type { TuiOptions } from '../../src/options.js';
import { loggedInConfig } from '../support/config-file.js';
import { FakeClient, fileObject, waitFor, type FakeData } from '../support/fake-client.js';
import { ANN, BOB, ME, direct, message } from '../support/fixtures.js';

const CTRL_O = '\u000f';
const CTRL_K = '\u000b';
const CTRL_X = '\u0018';
const ESC = '\u001b';

describe('tui App: files (ink-testing-library, fake client)', function () {
  const configFile = loggedInConfig('msgr-tui-files-');
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'msgr-tui-app-files-'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  function start(data: Partial<FakeData> = {}, options: Partial<TuiOptions> = {}) {
    const written: string[] = [];
    const fake = new FakeClient({
      me: ME,
      users: [ME, ANN, BOB],
      chats: [direct(10, ANN, message(5, 10, ANN.id, 'hello from Ann'))],
      history: { 10: [message(5, 10, ANN.id, 'hello from Ann')] },
      ...data,
    });
    const ui = render(
      <App
        options={{
          hostFlags: [],
          isBellOn: false,
          desktopNotify: 'off',
          editor: 'true',
          downloadDir: path.join(dir, 'saved'),
          ...options,
        }}
        configFile={configFile()}
        env={{ HOME: dir }}
        createClient={() => fake.asClient()}
        write={(data) => written.push(data)}
      />,
    );
    const frame = () => ui.lastFrame() ?? '';
    const until = (check: (f: string) => boolean, ms?: number) =>
      waitFor(() => check(frame()), frame, ms);
    return { fake, ui, frame, until, written };
  }

  async function openAnn(
    ui: ReturnType<typeof start>['ui'],
    until: ReturnType<typeof start>['until'],
  ) {
    await until((f) => f.includes('›@ Ann'));
    ui.stdin.write('\r');
    await until((f) => f.includes('Ann: hello from Ann') && f.includes('Enter send'));
  }

  it('attaches: Ctrl+O, a path completed with Tab, the file above the input; Enter uploads (percent and bytes), Esc cancels, Enter sends it with the text', async () => {
    const bytes = new Uint8Array(3 * 1024).map((_, i) => i % 251);
    await fs.writeFile(path.join(dir, 'report-2025.bin'), bytes);
    await fs.writeFile(path.join(dir, 'report-notes.txt'), 'notes');
    const { fake, ui, frame, until } = start();
    await openAnn(ui, until);

    ui.stdin.write(CTRL_O);
    await until((f) => f.includes('Attach a file to Ann') && f.includes('Path:'));
    ui.stdin.write('~/rep');
    await until((f) => f.includes('Path: ~/rep'));
    ui.stdin.write('\t');
    await until(
      (f) =>
        f.includes('Path: ~/report-') &&
        f.includes('report-2025.bin') &&
        f.includes('report-notes.txt'),
    );
    ui.stdin.write('2');
    ui.stdin.write('\t');
    await until((f) => f.includes('Path: ~/report-2025.bin') && !f.includes('report-notes.txt'));
    ui.stdin.write('\r');
    await until((f) => !f.includes('Attach a file') && f.includes('📎 report-2025.bin · 3.0 KiB'));
    expect(frame()).to.include('Enter send with the files');

    let release = () => {};
    fake.uploadGate = new Promise<void>((r) => (release = r));
    ui.stdin.write('the report');
    await until((f) => f.includes('> the report'));
    ui.stdin.write('\r');
    await until((f) => f.includes('📎 report-2025.bin · 3.0 KiB ⇡ 50% · 1.5 KiB of 3.0 KiB'));
    ui.stdin.write('x'); // the input waits for the upload
    ui.stdin.write(ESC);
    await until((f) => f.includes('Upload cancelled'));
    expect(frame()).to.include('📎 report-2025.bin · 3.0 KiB');
    expect(frame()).to.include('> the report');
    expect(fake.sent).to.deep.equal([]);

    ui.stdin.write('\r');
    await until((f) => f.includes('⇡ 50%'));
    release();
    await until((f) => /You: the report ✓/.test(f));
    expect(fake.uploads).to.deep.equal([
      { path: path.join(dir, 'report-2025.bin'), name: 'report-2025.bin', size: 3072 },
    ]);
    expect(fake.sent).to.deep.equal([{ to: 'user:2', text: 'the report', attachments: ['file1'] }]);
    const lines = frame().split('\n');
    const at = lines.findIndex((l) => /You: the report ✓/.test(l));
    expect(lines[at + 1]).to.match(
      /│ {6}📎 report-2025\.bin · 3\.0 KiB · application\/octet-stream +│/,
    );
    expect(frame()).to.not.include('⇡'); // the composer is empty again
    ui.unmount();
  });

  it('sends files alone (no text); Backspace on the empty input drops the last chosen file first', async () => {
    await fs.writeFile(path.join(dir, 'a.txt'), 'aaa');
    await fs.writeFile(path.join(dir, 'b.txt'), 'bb');
    const { fake, ui, until } = start();
    await openAnn(ui, until);
    for (const name of ['a.txt', 'b.txt']) {
      ui.stdin.write(CTRL_O);
      await until((f) => f.includes('Attach a file'));
      ui.stdin.write(`~/${name}`);
      await until((f) => f.includes(`Path: ~/${name}`));
      ui.stdin.write('\r');
      await until((f) => !f.includes('Attach a file') && f.includes(`📎 ${name}`));
    }
    ui.stdin.write('\u007f'); // Backspace
    await until((f) => !f.includes('📎 b.txt') && f.includes('📎 a.txt · 3 B'));
    ui.stdin.write('\r');
    await until(
      (f) => /You: +✓/.test(f) && f.includes('📎 a.txt · 3 B · application/octet-stream'),
    );
    expect(fake.sent).to.deep.equal([{ to: 'user:2', text: '', attachments: ['file1'] }]);
    ui.unmount();
  });

  it('an upload the server refuses says why; the files and the text stay for another try', async () => {
    await fs.writeFile(path.join(dir, 'big.iso'), new Uint8Array(4096));
    const { fake, ui, frame, until } = start();
    await openAnn(ui, until);
    ui.stdin.write(CTRL_O);
    await until((f) => f.includes('Attach a file'));
    ui.stdin.write('~/big.iso');
    await until((f) => f.includes('Path: ~/big.iso'));
    ui.stdin.write('\r');
    await until((f) => f.includes('📎 big.iso · 4.0 KiB'));
    fake.uploadError = new MessengerError(413, 'quota_exceeded', 'your files take all your quota');
    ui.stdin.write('the image');
    ui.stdin.write('\r');
    await until((f) => f.includes('not uploaded: your files take all your quota'));
    expect(frame()).to.include('📎 big.iso · 4.0 KiB · Enter sends');
    expect(frame()).to.include('> the image');
    fake.uploadError = undefined;
    ui.stdin.write('\r');
    await until(
      (f) => /You: the image ✓/.test(f) && f.includes('📎 big.iso · 4.0 KiB · application'),
    );
    expect(fake.sent).to.deep.equal([{ to: 'user:2', text: 'the image', attachments: ['file1'] }]);
    ui.unmount();
  });

  it('the path prompt says what is wrong: no such file, a folder', async () => {
    await fs.mkdir(path.join(dir, 'folder'));
    const { ui, until } = start();
    await openAnn(ui, until);
    ui.stdin.write(CTRL_O);
    await until((f) => f.includes('Attach a file'));
    ui.stdin.write('~/nothing.txt');
    await until((f) => f.includes('Path: ~/nothing.txt'));
    ui.stdin.write('\r');
    await until((f) => f.includes('~/nothing.txt: no such file'));
    ui.stdin.write('\u0015'); // Ctrl+U clears
    ui.stdin.write('~/folder');
    await until((f) => f.includes('Path: ~/folder') && !f.includes('no such file'));
    ui.stdin.write('\r');
    await until((f) => f.includes('~/folder is a folder: Tab lists what is in it'));
    ui.stdin.write(ESC);
    await until((f) => !f.includes('Attach a file') && f.includes('Enter send'));
    ui.unmount();
  });

  it('shows a hostile file name inert in its 📎 line: no escape, control or bidi byte reaches the terminal', async () => {
    const hostile = 'inv\u001b]0;pwned\u0007\u001b[2J\u202efdp.exe\n12:00 Admin: hi\u009b';
    const bytes = new Uint8Array([1, 2, 3]);
    const file = fileObject('evil', hostile, bytes, { contentType: 'text/plain' });
    const withFile: Message = { ...message(5, 10, ANN.id, 'open me'), attachments: [file] };
    const { fake, ui, frame, until } = start({ history: { 10: [withFile] } });
    fake.hold({ file, bytes });
    await until((f) => f.includes('›@ Ann'));
    ui.stdin.write('\r');
    await until((f) => f.includes('Ann: open me'));
    expect(frame()).to.include(
      '📎 inv␛]0;pwned␇␛[2J\ufffdfdp.exe 12:00 Admin: … · 3 B · text/plain│',
    );
    expect(frame()).to.not.match(/[\u0007\u001b\u0080-\u009f\u202a-\u202e]/);
    // No line of the pane starts with the name's fake "12:00 Admin".
    expect(
      frame()
        .split('\n')
        .some((l) => /│12:00 Admin/.test(l)),
    ).to.equal(false);

    // Saved under a cleaned name: no controls, no bidi, no path.
    ui.stdin.write(CTRL_K);
    await until((f) => f.includes('s save file'));
    ui.stdin.write('s');
    await until((f) => f.includes('Saved ~/saved/'));
    expect(await fs.readdir(path.join(dir, 'saved'))).to.deep.equal([
      'inv]0;pwned[2Jfdp.exe12_00 Admin_ hi',
    ]);
    ui.unmount();
  });

  it('saves a picked message’s file (s) into the download folder, never over another; opens it (o) with the opener', async () => {
    const bytes = new Uint8Array(10_000).map((_, i) => (i * 7) % 256);
    const pdf = fileObject('f1', 'report.pdf', bytes, { contentType: 'application/pdf' });
    const notes = fileObject('f2', 'notes.txt', new Uint8Array([110, 111]), {
      contentType: 'text/plain',
    });
    const withFiles: Message = {
      ...message(5, 10, ANN.id, 'two files'),
      attachments: [pdf, notes],
    };
    await fs.mkdir(path.join(dir, 'saved'));
    await fs.writeFile(path.join(dir, 'saved', 'report.pdf'), 'someone else’s');
    const opened = path.join(dir, 'opened.txt');
    const opener = path.join(dir, 'opener.sh');
    await fs.writeFile(opener, `#!/bin/sh\nprintf '%s\\n' "$@" > '${opened}'\n`, { mode: 0o755 });
    const { fake, ui, frame, until } = start({ history: { 10: [withFiles] } }, { opener });
    fake.hold({ file: pdf, bytes });
    fake.hold({ file: notes, bytes: new Uint8Array([110, 111]) });
    await until((f) => f.includes('›@ Ann'));
    ui.stdin.write('\r');
    await until((f) => f.includes('📎 notes.txt'));

    ui.stdin.write(CTRL_K);
    await until((f) => f.includes('▸ 📎 report.pdf'));
    ui.stdin.write('s');
    await until((f) => f.includes('Saved ~/saved/report (1).pdf'));
    expect(
      new Uint8Array(await fs.readFile(path.join(dir, 'saved', 'report (1).pdf'))),
    ).to.deep.equal(bytes);
    expect(await fs.readFile(path.join(dir, 'saved', 'report.pdf'), 'utf8')).to.equal(
      'someone else’s',
    );
    ui.stdin.write('s'); // the same file again: it is there already
    await until((f) => f.includes('Saved already: ~/saved/report (1).pdf'));

    ui.stdin.write('\u001b[C'); // → the next file
    await until((f) => f.includes('▸ 📎 notes.txt'));
    ui.stdin.write('o');
    await until((f) => f.includes('Opened ~/saved/notes.txt with'));
    await waitFor(() => fake.fileCalls.filter(([c]) => c === 'download').length === 2, frame);
    const deadline = Date.now() + 3000;
    while (!(await fs.stat(opened).catch(() => undefined)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await fs.readFile(opened, 'utf8')).to.equal(`${path.join(dir, 'saved', 'notes.txt')}\n`);
    ui.unmount();
  });

  it('previews an image attachment in half blocks under its line; --no-preview fetches nothing', async () => {
    const image = await sharp({
      create: { width: 8, height: 8, channels: 3, background: { r: 255, g: 0, b: 0 } },
    })
      .png()
      .toBuffer();
    const png = fileObject('img', 'red.png', new Uint8Array(image), {
      contentType: 'image/png',
      image: { width: 8, height: 8 },
    });
    const withImage: Message = { ...message(5, 10, ANN.id, 'look'), attachments: [png] };
    const data = { history: { 10: [withImage] } };

    const on = start(data);
    on.fake.hold({ file: png, bytes: new Uint8Array(image), thumbnail: new Uint8Array(image) });
    await on.until((f) => f.includes('›@ Ann'));
    on.ui.stdin.write('\r');
    await on.until((f) => f.includes('▀▀▀▀▀▀▀▀'));
    const lines = on.frame().split('\n');
    const at = lines.findIndex((l) => l.includes('📎 red.png · '));
    expect(lines.slice(at + 1, at + 5).map((l) => l.match(/││ {6}(▀*) /)?.[1])).to.deep.equal([
      '▀▀▀▀▀▀▀▀',
      '▀▀▀▀▀▀▀▀',
      '▀▀▀▀▀▀▀▀',
      '▀▀▀▀▀▀▀▀',
    ]);
    expect(on.fake.fileCalls).to.deep.equal([['thumbnail', 'img']]);
    on.ui.unmount();

    const off = start(data, { isPreviewOn: false });
    off.fake.hold({ file: png, bytes: new Uint8Array(image), thumbnail: new Uint8Array(image) });
    await off.until((f) => f.includes('›@ Ann'));
    off.ui.stdin.write('\r');
    await off.until((f) => f.includes('📎 red.png'));
    await new Promise((r) => setTimeout(r, 50));
    expect(off.frame()).to.not.include('▀');
    expect(off.fake.fileCalls).to.deep.equal([]);
    off.ui.unmount();
  });

  it('with kitty graphics: sends the image once and draws its placeholder cells; after $EDITOR it deletes and sends it again', async () => {
    const image = await sharp({
      create: { width: 8, height: 8, channels: 3, background: { r: 255, g: 0, b: 0 } },
    })
      .png()
      .toBuffer();
    const png = fileObject('img', 'red.png', new Uint8Array(image), {
      contentType: 'image/png',
      image: { width: 8, height: 8 },
    });
    const withImage: Message = { ...message(5, 10, ANN.id, 'look'), attachments: [png] };
    const { fake, ui, frame, until, written } = start(
      { history: { 10: [withImage] } },
      { imageProtocol: 'kitty' },
    );
    fake.hold({ file: png, bytes: new Uint8Array(image), thumbnail: new Uint8Array(image) });
    await until((f) => f.includes('›@ Ann'));
    ui.stdin.write('\r');
    await until((f) => f.includes(PLACEHOLDER) && f.includes('Enter send'));

    // 8×8 pixels: 8 columns by 4 rows of cells, each naming its row and column.
    const lines = frame().split('\n');
    const at = lines.findIndex((l) => l.includes('📎 red.png · '));
    const rows = lines.slice(at + 1, at + 5).map((l) => {
      const cells = graphemes(l).filter((g) => g.startsWith(PLACEHOLDER));
      return cells.map((c) => [...c].slice(1).map((d) => DIACRITICS.indexOf(d)));
    });
    expect(rows).to.deep.equal(
      [0, 1, 2, 3].map((row) => [0, 1, 2, 3, 4, 5, 6, 7].map((column) => [row, column])),
    );
    expect(lines[at + 5]).to.not.include(PLACEHOLDER);

    // Sent once, before it was drawn: 64×64 red pixels as image 1, 8 columns by 4 rows.
    const sends = () => written.filter((w) => w.startsWith('\u001b_Ga=T'));
    expect(sends()).to.have.length(1);
    const first = /^\u001b_G([^;]*);/.exec(sends()[0]!)![1];
    expect(first).to.equal('a=T,U=1,f=32,s=64,v=64,i=1,c=8,r=4,C=1,q=2,m=1');
    const base64 = [...sends()[0]!.matchAll(/;([^\u001b]*)\u001b\\/g)].map((m) => m[1]).join('');
    const pixels = Buffer.from(base64, 'base64');
    expect(pixels).to.have.length(64 * 64 * 4);
    expect([...pixels.subarray(0, 4)]).to.deep.equal([255, 0, 0, 255]);
    expect(fake.fileCalls).to.deep.equal([['thumbnail', 'img']]);

    // Ctrl+X: the image is deleted before the alternate screen is left, then fetched and sent
    // again once back (kitty drops the alternate screen's images when it is entered).
    ui.stdin.write(CTRL_X);
    await waitFor(() => sends().length === 2, frame);
    const leaving = written.find((w) => w.endsWith(LEAVE_ALT_SCREEN))!;
    expect(leaving).to.equal(`\u001b_Ga=d,d=I,i=1,q=2\u001b\\${LEAVE_ALT_SCREEN}`);
    expect(written.indexOf(leaving)).to.be.below(written.lastIndexOf(sends()[1]!));
    expect(sends()[1]).to.equal(sends()[0]);
    expect(fake.fileCalls).to.deep.equal([
      ['thumbnail', 'img'],
      ['thumbnail', 'img'],
    ]);
    await until((f) => f.includes(PLACEHOLDER));
    ui.unmount();
  });
});
