/** `NODE_ENV=production` refuses to start on development defaults, as a real process. */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

async function start(
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    // Blank values count as unset: nothing leaks in from the environment the tests run in.
    env: { ...process.env, JWT_SECRET: '', DATABASE_URL: '', PORT: '0', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

describe('production start', function () {
  this.timeout(30_000);

  it('when NODE_ENV=production has neither JWT_SECRET nor DATABASE_URL then it exits 2 naming both', async () => {
    const { code, stderr } = await start({ NODE_ENV: 'production' });
    expect(code).to.equal(2);
    expect(stderr).to.contain('NODE_ENV=production needs JWT_SECRET and DATABASE_URL');
  });

  it('when NODE_ENV=production lacks only JWT_SECRET then it exits 2 naming it alone', async () => {
    const { code, stderr } = await start({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://msgr@127.0.0.1:1/never-reached',
    });
    expect(code).to.equal(2);
    expect(stderr).to.contain('needs JWT_SECRET:');
    expect(stderr).not.to.contain('DATABASE_URL');
  });

  it('when NODE_ENV=production lacks only DATABASE_URL then it exits 2 naming it alone', async () => {
    const { code, stderr } = await start({
      NODE_ENV: 'production',
      JWT_SECRET: 'a-production-secret-long-enough',
    });
    expect(code).to.equal(2);
    expect(stderr).to.contain('needs DATABASE_URL:');
    expect(stderr).not.to.contain('JWT_SECRET');
  });
});
