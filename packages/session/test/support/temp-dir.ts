/** A fresh folder per test, removed by the returned cleanup. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'msgr-session-test-'));
  return { dir, remove: () => fs.rm(dir, { recursive: true, force: true }) };
}
