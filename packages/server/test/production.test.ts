/** `NODE_ENV=production` refuses to start on development defaults, as a real process. */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXAMPLE_JWT_SECRET } from '../src/config.js';
import { freshDatabase } from './support/harness.js';
import { freePort, spawnServer } from './support/processes.js';

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
      JWT_SECRET: 'a-production-secret-that-is-long-enough-0123',
    });
    expect(code).to.equal(2);
    expect(stderr).to.contain('needs DATABASE_URL:');
    expect(stderr).not.to.contain('JWT_SECRET');
  });

  it('when JWT_SECRET is shorter than 32 characters then it exits 2 naming JWT_SECRET', async () => {
    const { code, stderr } = await start({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://msgr@127.0.0.1:1/never-reached',
      JWT_SECRET: 'x'.repeat(31),
    });
    expect(code).to.equal(2);
    expect(stderr).to.contain('JWT_SECRET must be at least 32 characters');
  });

  it('when JWT_SECRET is the example of .env.example then it exits 2 naming JWT_SECRET', async () => {
    const example = fs.readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8');
    expect(example).to.contain(`JWT_SECRET=${EXAMPLE_JWT_SECRET}\n`);
    const { code, stderr } = await start({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://msgr@127.0.0.1:1/never-reached',
      JWT_SECRET: EXAMPLE_JWT_SECRET,
    });
    expect(code).to.equal(2);
    expect(stderr).to.contain('JWT_SECRET is the example value of .env.example');
  });

  async function demoLoginStatus(extra: Record<string, string>): Promise<number> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const server = await spawnServer(
      ['--import', 'tsx', MAIN],
      {
        ...process.env,
        NODE_ENV: 'production',
        DATABASE_URL: await freshEmptyDatabase(),
        JWT_SECRET: 'a-production-secret-that-is-long-enough-0123',
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        SEED_DEMO_USERS: '',
        ...extra,
      },
      url,
    );
    try {
      const res = await fetch(`${url}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'test1@test.com', password: 'test' }),
      });
      return res.status;
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }

  it('when NODE_ENV=production does not ask for demo users then test1@test.com does not exist', async () => {
    expect(await demoLoginStatus({})).to.equal(401);
  });

  it('when NODE_ENV=production says SEED_DEMO_USERS=true then the demo users exist', async () => {
    expect(await demoLoginStatus({ SEED_DEMO_USERS: 'true' })).to.equal(200);
  });
});

/** A migrated database without the demo users (the template has them). */
async function freshEmptyDatabase(): Promise<string> {
  const url = await freshDatabase();
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `DELETE FROM refresh_tokens; DELETE FROM users WHERE email LIKE 'test_@test.com'`,
    );
  } finally {
    await client.end();
  }
  return url;
}
