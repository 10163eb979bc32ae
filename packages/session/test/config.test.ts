/** The shared config file: where it is, how it is written, and which hosts win. */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  configPath,
  DEFAULT_HOST,
  fileTokenStore,
  readConfig,
  resolveHosts,
  stableClientId,
  updateConfig,
  type SavedConfig,
} from '../src/config.js';
import { tempDir } from './support/temp-dir.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** A counter in the config, bumped by read-modify-write: lost updates show as a short count. */
const bump = (key: string) => (c: SavedConfig) => {
  const counts = c as Record<string, unknown>;
  return { [key]: ((counts[key] as number | undefined) ?? 0) + 1 } as Partial<SavedConfig>;
};

/** `count` Node processes each bumping `n` (shared) and `k<i>` (its own) `times` times. */
async function bumpFromProcesses(file: string, count: number, times: number): Promise<void> {
  const script = (i: number) => `
    import { updateConfig } from '@msgr/session';
    const file = ${JSON.stringify(file)};
    for (let t = 0; t < ${times}; t++) {
      await updateConfig(file, (c) => ({ n: (c.n ?? 0) + 1, k${i}: (c.k${i} ?? 0) + 1 }));
    }`;
  const children = Array.from({ length: count }, (_, i) =>
    spawn(process.execPath, ['--input-type=module', '-e', script(i)], {
      cwd: REPO,
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
  );
  const deadline = setTimeout(() => children.forEach((c) => c.kill('SIGKILL')), 30_000);
  try {
    const codes = await Promise.all(children.map(async (c) => (await once(c, 'exit'))[0]));
    expect(codes).to.deep.equal(children.map(() => 0));
  } finally {
    clearTimeout(deadline);
  }
}

describe('config', () => {
  describe('resolveHosts', () => {
    const saved = { hosts: ['http://saved:1'] };
    const env = { MSGR_HOSTS: 'http://env:1, http://env:2,' };

    it('when --host is given (repeatable) then it wins over MSGR_HOSTS and the saved hosts', () => {
      expect(resolveHosts(['http://a:1', 'http://b:2'], env, saved)).to.deep.equal([
        'http://a:1',
        'http://b:2',
      ]);
    });

    it('when no --host then MSGR_HOSTS (comma-separated, trimmed) wins over the saved hosts', () => {
      expect(resolveHosts(undefined, env, saved)).to.deep.equal(['http://env:1', 'http://env:2']);
      expect(resolveHosts([], env, saved)).to.deep.equal(['http://env:1', 'http://env:2']);
    });

    it('when neither --host nor MSGR_HOSTS then the hosts saved at login', () => {
      expect(resolveHosts(undefined, {}, saved)).to.deep.equal(['http://saved:1']);
      expect(resolveHosts(undefined, { MSGR_HOSTS: ' , ' }, saved)).to.deep.equal([
        'http://saved:1',
      ]);
    });

    it('when nothing at all then the default host', () => {
      expect(resolveHosts(undefined, {}, {})).to.deep.equal([DEFAULT_HOST]);
      expect(DEFAULT_HOST).to.equal('http://127.0.0.1:8000');
    });
  });

  describe('configPath', () => {
    it('when MSGR_CONFIG is set then that file, else the XDG folder', () => {
      expect(configPath({ MSGR_CONFIG: '/x/y.json' })).to.equal('/x/y.json');
      expect(configPath({ XDG_CONFIG_HOME: '/xdg' })).to.equal('/xdg/msgr/config.json');
      expect(configPath({})).to.match(/\.config\/msgr\/config\.json$/);
    });
  });

  describe('the file', () => {
    let dir: string;
    let remove: () => Promise<void>;
    beforeEach(async () => ({ dir, remove } = await tempDir()));
    afterEach(() => remove());

    it('when written then mode 0600 in a folder created as needed, and merged on update', async () => {
      const file = path.join(dir, 'nested', 'config.json');
      await updateConfig(file, { email: 'a@b.c' });
      await updateConfig(file, { hosts: ['http://h:1'] });
      expect((await fs.stat(file)).mode & 0o777).to.equal(0o600);
      expect(await readConfig(file)).to.deep.equal({ email: 'a@b.c', hosts: ['http://h:1'] });
    });

    it('when missing then reads as empty', async () => {
      expect(await readConfig(path.join(dir, 'none.json'))).to.deep.equal({});
    });

    it('when asked twice for the client id then the same one, kept in the file', async () => {
      const file = path.join(dir, 'config.json');
      const first = await stableClientId(file);
      expect(await stableClientId(file)).to.equal(first);
      expect((await readConfig(file)).clientId).to.equal(first);
    });

    it('when updates run at once in one process then each applies whole', async () => {
      const file = path.join(dir, 'config.json');
      await Promise.all(Array.from({ length: 40 }, () => updateConfig(file, bump('n'))));
      expect(await readConfig(file)).to.deep.equal({ n: 40 });
      const ids = await Promise.all(Array.from({ length: 5 }, () => stableClientId(file)));
      expect(new Set(ids).size).to.equal(1);
    });

    it('when 4 processes update at once then no update is lost (the config lock)', async function () {
      this.timeout(40_000);
      const file = path.join(dir, 'config.json');
      await bumpFromProcesses(file, 4, 25);
      expect(await readConfig(file)).to.deep.equal({ n: 100, k0: 25, k1: 25, k2: 25, k3: 25 });
      await fs.access(`${file}.lock`).then(
        () => expect.fail('the lock was left behind'),
        () => undefined,
      );
    });

    it('when the lock is held then an update waits for it; a dead holder or an old lock is taken over', async () => {
      const file = path.join(dir, 'config.json');
      const lock = `${file}.lock`;
      await fs.writeFile(lock, String(process.pid));
      let isDone = false;
      const waiting = updateConfig(file, { email: 'held@b.c' }).then(() => (isDone = true));
      await new Promise((r) => setTimeout(r, 200));
      expect(isDone, 'updated while the lock was held').to.equal(false);
      await fs.rm(lock);
      await waiting;
      expect(await readConfig(file)).to.deep.equal({ email: 'held@b.c' });

      const gone = spawn(process.execPath, ['-e', '']);
      await once(gone, 'exit');
      await fs.writeFile(lock, String(gone.pid));
      await updateConfig(file, { email: 'dead@b.c' });
      expect((await readConfig(file)).email).to.equal('dead@b.c');

      await fs.writeFile(lock, String(process.pid));
      const old = new Date(Date.now() - 60_000);
      await fs.utimes(lock, old, old);
      await updateConfig(file, { email: 'old@b.c' });
      expect((await readConfig(file)).email).to.equal('old@b.c');
    });

    it('when the token store is set then the tokens land in the file next to the rest', async () => {
      const file = path.join(dir, 'config.json');
      await updateConfig(file, { email: 'a@b.c' });
      const store = fileTokenStore(file);
      const tokens = { accessToken: 'a', refreshToken: 'r', expiresAt: 1 };
      await store.set(tokens);
      expect(await store.get()).to.deep.equal(tokens);
      expect(await readConfig(file)).to.include({ email: 'a@b.c' });
      await store.set(undefined);
      expect(await store.get()).to.equal(undefined);
    });
  });
});
