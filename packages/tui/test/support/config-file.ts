/** Test support: a config file holding a logged-in session, as `msgr login` leaves one. */
import { writeConfig } from '@msgr/session';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ME } from './fixtures.js';

/**
 * Before each test of the suite, a fresh folder with a config file logged in as ME (hosts and
 * tokens that the fake client never uses); removed after. Answers the file's path, per test.
 */
export function loggedInConfig(prefix: string): () => string {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
    file = path.join(dir, 'config.json');
    await writeConfig(file, {
      hosts: ['http://127.0.0.1:1'],
      email: ME.email,
      tokens: { accessToken: 'a', refreshToken: 'r', expiresAt: Date.now() + 600_000 },
    });
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));
  return () => file;
}
