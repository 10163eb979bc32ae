/**
 * v1.3 in real terminals against a real server process: Ann attaches a file in her `msgr-tui`
 * (Ctrl+O, the path completed with Tab) and sends it, its preview in half blocks; it arrives
 * live in Bob's `msgr-tui` (a second tmux session, with MSGR_TUI_IMAGES=kitty) with its 📎 line
 * and its preview as kitty placeholder cells (tmux swallows the image itself and shows the
 * cells as text); Bob saves it (Ctrl+K, s) and the saved bytes are the ones Ann had. Every wait polls the screen with a deadline; the last
 * screens are kept in artifacts/tui-e2e-files-{ann,bob}.txt.
 */
import { fileTokenStore, stableClientId, updateConfig } from '@msgr/session';
import { MessengerClient } from '@msgr/sdk';
import { expect } from 'chai';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { startServerProcesses, type ServerProcesses } from '../../server/test/support/processes.js';
import { DIACRITICS, PLACEHOLDER } from '../src/preview/kitty.js';
import { hasTmux, TmuxServer, type TmuxTui } from './support/tmux.js';

interface Person {
  client: MessengerClient;
  id: number;
  configFile: string;
}

describe('msgr-tui end to end: files (tmux)', function () {
  this.timeout(60_000);
  let servers: ServerProcesses | undefined;
  let tmux: TmuxServer | undefined;
  let dir: string;
  const screens: [TmuxTui, string][] = [];

  before(async function () {
    if (!hasTmux) {
      console.log('    skipping the terminal tests: tmux is not installed (apt-get install tmux)');
      this.skip();
    }
    servers = await startServerProcesses(1);
    tmux = new TmuxServer();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'msgr-tui-e2e-files-'));
  });

  after(async () => {
    for (const [screen, file] of screens) await screen.close(file);
    await tmux?.close();
    await servers?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  /** A new person, logged in the way `msgr login` does (tokens in their own config file). */
  async function tuiPerson(name: string): Promise<Person> {
    const email = `${name.toLowerCase()}-${process.pid}@e2e-files.test`;
    const configFile = path.join(dir, `${name}.json`);
    const client = new MessengerClient({
      hosts: servers!.urls,
      tokenStore: fileTokenStore(configFile),
    });
    const user = await client.register({ email, name, password: 'secret-e2e' });
    await client.login({
      email,
      password: 'secret-e2e',
      clientId: await stableClientId(configFile),
    });
    await updateConfig(configFile, { hosts: servers!.urls, email });
    return { client, id: user.id, configFile };
  }

  it('Ann attaches a file and sends it; it arrives live in Bob’s TUI with its 📎 line; Bob saves it, byte for byte', async () => {
    const ann = await tuiPerson('Ann');
    const bob = await tuiPerson('Bob');
    // The chat exists for both before the TUIs start (sent from Ann's device: Bob sees it).
    await ann.client.sendToUser(bob.id, 'a photo is coming');

    // Noise does not compress: a PNG of about 70 KiB, so the upload has some way to go.
    const original = await sharp({
      create: {
        width: 160,
        height: 120,
        channels: 3,
        background: { r: 0, g: 0, b: 0 },
        noise: { type: 'gaussian', mean: 128, sigma: 60 },
      },
    })
      .png()
      .toBuffer();
    const folder = path.join(dir, 'ann-files');
    await fs.mkdir(folder);
    await fs.writeFile(path.join(folder, 'holiday-photo.png'), original);
    await fs.writeFile(path.join(folder, 'holiday-notes.txt'), 'notes');
    const saved = path.join(dir, 'bob-downloads');

    const annScreen = tmux!.start('ann', ann.configFile);
    screens.push([annScreen, 'tui-e2e-files-ann.txt']);
    const bobScreen = tmux!.start('bob', bob.configFile, {
      env: { MSGR_DOWNLOAD_DIR: saved, MSGR_TUI_IMAGES: 'kitty' },
    });
    screens.push([bobScreen, 'tui-e2e-files-bob.txt']);
    for (const [screen, peer] of [
      [annScreen, 'Bob'],
      [bobScreen, 'Ann'],
    ] as const) {
      await screen.waitFor((s) => s.includes(`›@ ${peer}`) && s.includes('● connected'));
      screen.keys('Enter');
      await screen.waitFor((s) => s.includes('a photo is coming') && s.includes('Enter send'));
    }

    // Ann: Ctrl+O, a path completed with Tab, Enter: the file waits above the input.
    annScreen.keys('C-o');
    await annScreen.waitFor((s) => s.includes('Attach a file to Bob'));
    annScreen.type(`${folder}/holiday-p`);
    await annScreen.waitFor((s) => s.includes('holiday-p'));
    annScreen.keys('Tab');
    await annScreen.waitFor((s) => s.includes(`${folder}/holiday-photo.png`));
    annScreen.keys('Enter');
    await annScreen.waitFor(
      (s) => !s.includes('Attach a file') && /📎 holiday-photo\.png · \d/.test(s),
    );
    annScreen.type('photos from the trip');
    await annScreen.waitFor((s) => s.includes('> photos from the trip'));
    annScreen.keys('Enter');
    const sent = await annScreen.waitFor(
      (s) => /You: photos from the trip ✓/.test(s) && s.includes('· image/png') && s.includes('▀'),
    );
    expect(sent).to.match(/📎 holiday-photo\.png · \d+\.\d KiB · image\/png/);
    expect(sent).to.not.include(PLACEHOLDER);

    // Bob: it arrives live, with its line and its preview: 160×120 is 21 columns by 8 rows of
    // placeholder cells, each naming its row and column, in the colour of image 1.
    const arrived = await bobScreen.waitFor(
      (s) =>
        s.includes('Ann: photos from the trip') &&
        /📎 holiday-photo\.png · \d+\.\d KiB · image\/png/.test(s) &&
        s.includes(PLACEHOLDER),
    );
    expect(arrived).to.not.include('▀');
    const cells = arrived
      .split('\n')
      .filter((line) => line.includes(PLACEHOLDER))
      .map((line) =>
        [...line.matchAll(new RegExp(`${PLACEHOLDER}(.)(.)`, 'gu'))].map((m) =>
          [m[1]!, m[2]!].map((d) => DIACRITICS.indexOf(d)),
        ),
      );
    expect(cells).to.deep.equal(
      Array.from({ length: 8 }, (_, row) => Array.from({ length: 21 }, (_, col) => [row, col])),
    );
    const coloured = bobScreen.screen({ withAttributes: true });
    expect(coloured).to.include(`\u001b[38;5;1m${PLACEHOLDER}`);
    // Ctrl+K picks it, s saves it.
    bobScreen.keys('C-k');
    await bobScreen.waitFor((s) => s.includes('▸ 📎 holiday-photo.png') && s.includes('s save'));
    bobScreen.type('s');
    await bobScreen.waitFor((s) => s.includes('Saved ') && s.includes('holiday-photo.png'));
    const bytes = await fs.readFile(path.join(saved, 'holiday-photo.png'));
    expect(bytes.equals(original)).to.equal(true);
  });
});
