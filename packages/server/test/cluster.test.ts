/**
 * `npm run cluster`: the real script as a process (through tsx, as npm runs it), with its own
 * PostgreSQL in a temporary folder, never the developer's `.data`.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import net from 'node:net';
import { engineBinary } from './support/engines.js';
import { Api } from './support/harness.js';
import { freeConsecutivePorts, freePort } from './support/processes.js';
import { openSocket } from './support/sockets.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSX_CLI = fileURLToPath(import.meta.resolve('tsx/cli'));

async function until(
  what: string,
  check: () => boolean,
  child: ChildProcess,
  output: () => string,
) {
  const deadline = Date.now() + 60_000;
  while (!check()) {
    if (child.exitCode !== null) throw new Error(`cluster exited before ${what}:\n${output()}`);
    if (Date.now() > deadline) throw new Error(`no ${what} within 60 s:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function refusesConnections(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.end();
    return false;
  } catch {
    return true;
  }
}

describe('npm run cluster', function () {
  this.timeout(120_000);

  it('when 2 instances run then a send through one reaches a socket on the other, and SIGINT stops all and exits 0', async () => {
    const pkg = JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts.cluster).to.equal('tsx scripts/cluster.ts');
    const dataRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'msgr-cluster-'));
    const dataDir = path.join(dataRoot, 'pg');
    const [p1, p2] = (await freeConsecutivePorts(2)) as [number, number];
    const pgPort = await freePort();
    const args = ['--instances', '2', '--base-port', String(p1)];
    const child = spawn(
      process.execPath,
      [TSX_CLI, 'scripts/cluster.ts', ...args, '--data-dir', dataDir, '--pg-port', String(pgPort)],
      {
        cwd: ROOT,
        // DATABASE_URL blank: the embedded PostgreSQL even when the tests run on another one.
        env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'info', BCRYPT_ROUNDS: '4' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const output = () => `${stderr}\n${stdout}`;
    const exited = once(child, 'exit');
    try {
      await until('ready', () => stderr.includes('instance(s) ready'), child, output);
      expect(stderr).to.contain(`MSGR_HOSTS=http://127.0.0.1:${p1},http://127.0.0.1:${p2}`);
      const [one, two] = [new Api(`http://127.0.0.1:${p1}`), new Api(`http://127.0.0.1:${p2}`)];
      const password = 'cluster-pa55word-never-logged';
      const email = `alice-${Date.now()}@example.com`;
      expect((await one.post('/register', { email, name: 'Alice', password })).status).to.equal(
        201,
      );
      const alice = await one.login(email, password);
      const bob = await two.newUser('bob');
      const socket = await openSocket(two.baseUrl, '/ws', bob.token);
      try {
        const sent = await one.send({ user: bob.userId }, 'across instances', 7, alice.token);
        expect(sent.status).to.equal(201);
        const got = await socket.next((f) => f.type === 'Message');
        expect(got.message).to.deep.equal(sent.body);
        // The same operation through the other instance (one secret for both): a replay.
        const again = await two.send({ user: bob.userId }, 'across instances', 7, alice.token);
        expect(again.status).to.equal(200);
        expect(again.body.id).to.equal(sent.body.id);
      } finally {
        await socket.close();
      }

      await until('access logs', () => stdout.includes(`[2:${p2}]`), child, output);
      child.kill('SIGINT');
      const [code] = await exited;
      expect(code, output()).to.equal(0);

      expect(stdout).to.match(new RegExp(`^\\[1:${p1}\\] \\{`, 'm'));
      expect(stdout).to.match(new RegExp(`^\\[2:${p2}\\] \\{`, 'm'));
      expect(output(), 'no colour outside a terminal').not.to.contain('\x1b[');
      for (const secret of [password, alice.token, alice.refreshToken, bob.token]) {
        expect(output()).not.to.contain(secret);
      }
      expect(existsSync(path.join(dataDir, 'postmaster.pid')), 'PostgreSQL still running').to.be
        .false;
      expect(await refusesConnections(`postgres://postgres@127.0.0.1:${pgPort}/postgres`)).to.be
        .true;
      expect(await one.get('/healthz').catch(() => 'refused')).to.equal('refused');
    } finally {
      if (child.exitCode === null) {
        child.kill('SIGINT');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      }
      await fs.rm(dataRoot, { recursive: true, force: true });
    }
  });

  for (const kind of ['redis', 'nats'] as const) {
    it(`when --bus ${kind} then the engine starts too, messages cross instances through it, and SIGINT stops it`, async function () {
      if (!engineBinary(kind)) {
        console.log(`      (skipped: no ${kind}-server; apt-get install ${kind}-server)`);
        this.skip();
      }
      const dataRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'msgr-cluster-'));
      const [p1, p2] = (await freeConsecutivePorts(2)) as [number, number];
      const pgPort = await freePort();
      const child = spawn(
        process.execPath,
        [
          TSX_CLI,
          'scripts/cluster.ts',
          ...['--instances', '2', '--base-port', String(p1), '--bus', kind],
          ...['--data-dir', path.join(dataRoot, 'pg'), '--pg-port', String(pgPort)],
        ],
        {
          cwd: ROOT,
          env: {
            ...process.env,
            DATABASE_URL: '',
            MSGR_BUS: '',
            LOG_LEVEL: 'warn',
            BCRYPT_ROUNDS: '4',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = once(child, 'exit');
      try {
        await until(
          'ready',
          () => output.includes('instance(s) ready'),
          child,
          () => output,
        );
        const engineUrl = new RegExp(`${kind}://127\\.0\\.0\\.1:(\\d+)`).exec(output);
        expect(engineUrl, output).to.not.equal(null);
        const [one, two] = [new Api(`http://127.0.0.1:${p1}`), new Api(`http://127.0.0.1:${p2}`)];
        const metrics = await fetch(`${two.baseUrl}/metrics`).then((r) => r.text());
        expect(metrics).to.contain(`msgr_bus_info{kind="${kind}"} 1`);
        const alice = await one.newUser('alice');
        const bob = await two.newUser('bob');
        const socket = await openSocket(two.baseUrl, '/ws', bob.token);
        try {
          const sent = await one.send({ user: bob.userId }, 'through the engine', 1, alice.token);
          expect((await socket.next((f) => f.type === 'Message')).message.id).to.equal(
            sent.body.id,
          );
        } finally {
          await socket.close();
        }
        child.kill('SIGINT');
        const [code] = await exited;
        expect(code, output).to.equal(0);
        const accepts = await new Promise<boolean>((resolve) => {
          const s = net.connect(Number(engineUrl![1]), '127.0.0.1');
          s.once('connect', () => (s.destroy(), resolve(true)));
          s.once('error', () => resolve(false));
        });
        expect(accepts, `${kind} still running`).to.equal(false);
      } finally {
        if (child.exitCode === null) {
          child.kill('SIGINT');
          await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
        }
        await fs.rm(dataRoot, { recursive: true, force: true });
      }
    });
  }
});
