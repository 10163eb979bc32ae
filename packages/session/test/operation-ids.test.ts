/**
 * The operation-id counter kept beside the config: distinct ids under concurrent processes,
 * continuing across runs, never an id again inside the window (waiting when all are taken).
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileOperationIds, operationIdsDir } from '../src/index.js';
import { tempDir } from './support/temp-dir.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const SPAN = 65_536;
const MARGIN_MS = 60_000;

/** A claim file's name for `id` made at `at` (what another process would have left). */
const claimName = (id: number, at: number, tag = 'aaaaaaaa') => `${id + 32_768}-${at}-1-${tag}`;

/**
 * `count` separate Node processes, each taking one id from `dir` at the same moment: they all
 * start, say they are ready, and only then are told to go (one byte on stdin).
 */
async function idsFromProcesses(dir: string, count: number): Promise<number[]> {
  const script = `
    import { FileOperationIds } from '@msgr/session';
    const ids = new FileOperationIds(${JSON.stringify(dir)});
    process.stdout.write('ready\\n');
    process.stdin.once('data', async () => {
      process.stdout.write(String(await ids.next()) + '\\n');
      process.exit(0);
    });`;
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO }),
  );
  const outputs = children.map((child) => {
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const ready = new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready\n')) resolve();
      }),
    );
    const done = new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => {
        const id = out.split('\n').filter(Boolean)[1];
        if (code === 0 && id !== undefined) resolve(Number(id));
        else reject(new Error(`child exited ${code}: ${out} ${err}`));
      });
    });
    return { child, ready, done };
  });
  const deadline = setTimeout(() => outputs.forEach(({ child }) => child.kill('SIGKILL')), 30_000);
  try {
    await Promise.all(outputs.map((o) => o.ready));
    for (const { child } of outputs) child.stdin.write('go');
    return await Promise.all(outputs.map((o) => o.done));
  } finally {
    clearTimeout(deadline);
  }
}

describe('session operation ids (a claims folder beside the config)', function () {
  this.timeout(60_000);
  let dir: string;
  let remove: () => Promise<void>;
  beforeEach(async () => ({ dir, remove } = await tempDir()));
  afterEach(() => remove());

  it('lives beside the config file: config.json → config.operation-ids, mode 0700, claims 0600', async () => {
    const config = path.join(dir, 'config.json');
    expect(operationIdsDir(config)).to.equal(path.join(dir, 'config.operation-ids'));
    expect(operationIdsDir('/x/config-3.json')).to.equal('/x/config-3.operation-ids');
    const ids = new FileOperationIds(operationIdsDir(config));
    const id = await ids.next();
    expect(id).to.be.within(-32_768, 32_767);
    expect((await fs.stat(ids.dir)).mode & 0o777).to.equal(0o700);
    const [claim] = await fs.readdir(ids.dir);
    expect((await fs.stat(path.join(ids.dir, claim!))).mode & 0o777).to.equal(0o600);
  });

  it('when 20 processes take an id at the same instant then they get 20 different ids', async () => {
    const ids = await idsFromProcesses(dir, 20);
    expect(new Set(ids).size, JSON.stringify(ids)).to.equal(20);
    for (const id of ids) expect(id).to.be.within(-32_768, 32_767);
  });

  it('when 100 claims race in one process (separate instances) then 100 different ids', async () => {
    const ids = await Promise.all(
      Array.from({ length: 100 }, () => new FileOperationIds(dir).next()),
    );
    expect(new Set(ids).size).to.equal(100);
  });

  it('when a run follows a run then the counter continues where it stopped', async () => {
    const [first] = await idsFromProcesses(dir, 1);
    const [second] = await idsFromProcesses(dir, 1);
    const third = await new FileOperationIds(dir).next();
    expect(second).to.equal(first! + 1 > 32_767 ? -32_768 : first! + 1);
    expect(third).to.equal(second! + 1 > 32_767 ? -32_768 : second! + 1);
  });

  it('wraps from 32767 to -32768', async () => {
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, claimName(32_766, Date.now())), '');
    const ids = new FileOperationIds(dir);
    expect([await ids.next(), await ids.next(), await ids.next()]).to.deep.equal([
      32_767, -32_768, -32_767,
    ]);
  });

  it('skips ids still claimed inside the window; expired claims are swept but the newest', async () => {
    const now = Date.now();
    const expired = now - 300_000 - MARGIN_MS - 1000;
    await fs.writeFile(path.join(dir, claimName(10, now)), ''); // the newest: the counter is here
    await fs.writeFile(path.join(dir, claimName(11, now - 1000)), ''); // live
    await fs.writeFile(path.join(dir, claimName(12, now - 2000)), ''); // live
    await fs.writeFile(path.join(dir, claimName(13, expired)), ''); // expired: free again
    await fs.writeFile(path.join(dir, 'notes.txt'), 'not a claim');
    expect(await new FileOperationIds(dir).next()).to.equal(13);
    const left = (await fs.readdir(dir)).sort();
    expect(left).to.include(claimName(10, now)).and.include('notes.txt');
    expect(left).to.not.include(claimName(13, expired));
  });

  it('after a long pause (every claim expired) the counter still continues from the newest', async () => {
    const old = Date.now() - 10 * 300_000;
    await fs.writeFile(path.join(dir, claimName(-5, old - 1000)), '');
    await fs.writeFile(path.join(dir, claimName(400, old)), '');
    expect(await new FileOperationIds(dir).next()).to.equal(401);
  });

  describe('when all 65,536 ids are claimed inside the window', function () {
    this.timeout(120_000);
    let full: string;
    let removeFull: () => Promise<void>;
    const SLOW = 4242; // the one claim that will expire first
    let made: number;

    before(async () => {
      ({ dir: full, remove: removeFull } = await tempDir());
      made = Date.now();
      const names = Array.from({ length: SPAN }, (_, slot) => claimName(slot - 32_768, made));
      for (let i = 0; i < names.length; i += 1024) {
        await Promise.all(
          names.slice(i, i + 1024).map((n) => fs.writeFile(path.join(full, n), '')),
        );
      }
    });
    after(() => removeFull?.());

    it('next() waits instead of handing one out again, until the signal aborts', async () => {
      const ids = new FileOperationIds(full);
      const controller = new AbortController();
      const reason = new Error('gave up');
      const waiting = ids.next(controller.signal);
      let settled = false;
      void waiting.then(
        () => (settled = true),
        () => (settled = true),
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(settled, 'next() answered while every id was taken').to.be.false;
      controller.abort(reason);
      const caught = await waiting.then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(caught).to.equal(reason);
    });

    it('next() answers the first id whose claim expires, once it has', async () => {
      // Claim 4242 is made to expire 300 ms from now (a window of 1 s); the rest stay live.
      const expiresIn = 300;
      const at = Date.now() - 1000 - MARGIN_MS + expiresIn;
      await fs.rename(path.join(full, claimName(SLOW, made)), path.join(full, claimName(SLOW, at)));
      const started = Date.now();
      const id = await new FileOperationIds(full, { windowSeconds: 1 }).next();
      expect(id).to.equal(SLOW);
      expect(Date.now() - started).to.be.at.least(expiresIn - 50);
      expect(Date.now() - started).to.be.lessThan(5000);
    });
  });
});
