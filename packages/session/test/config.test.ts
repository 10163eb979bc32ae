/** The shared config file: where it is, how it is written, and which hosts win. */
import { expect } from 'chai';
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  configPath,
  DEFAULT_HOST,
  fileTokenStore,
  readConfig,
  resolveHosts,
  stableClientId,
  updateConfig,
} from '../src/config.js';
import { tempDir } from './support/temp-dir.js';

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
