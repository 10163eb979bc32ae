/**
 * Rate limits as a shell script meets them: the real binary against a real server process whose
 * send budget is tiny (RATE_LIMIT_SENDS_PER_MINUTE=2).
 */
import { expect } from 'chai';
import path from 'node:path';
import { startServerProcesses, type ServerProcesses } from '../../server/test/support/processes.js';
import { cleanEnv, msgr, tempDir } from './support/msgr.js';

describe('msgr against a server with RATE_LIMIT_SENDS_PER_MINUTE=2', function () {
  this.timeout(60_000);
  let servers: ServerProcesses;
  let dir: string;
  let removeDir: () => Promise<void>;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    servers = await startServerProcesses(1, { RATE_LIMIT_SENDS_PER_MINUTE: '2' });
    ({ dir, remove: removeDir } = await tempDir());
    env = cleanEnv({ MSGR_CONFIG: path.join(dir, 'config.json'), MSGR_HOSTS: servers.urls[0]! });
    const login = await msgr(['login', 'test1@test.com', '--password', 'test'], { env });
    expect(login.code, login.stderr).to.equal(0);
  });
  after(async () => {
    await servers?.close();
    await removeDir?.();
  });

  it('when the budget is spent then exit 4 at once, with one line saying when to try again', async () => {
    for (const text of ['one', 'two']) {
      const sent = await msgr(['send', '--to', '2', text], { env });
      expect(sent.code, sent.stderr).to.equal(0);
    }
    const started = Date.now();
    const refused = await msgr(['send', '--to', '2', 'three'], { env });
    const elapsed = Date.now() - started;
    expect(refused.code, refused.stderr).to.equal(4);
    expect(refused.stdout).to.equal('');
    const lines = refused.stderr.trimEnd().split('\n');
    expect(lines, refused.stderr).to.have.lengthOf(1);
    const [, seconds] = /^msgr: rate limited: try again in (\d+) s\b/.exec(lines[0]!) ?? [];
    expect(Number(seconds), lines[0]).to.be.within(1, 60);
    // Told, not slept on: the server asks for far more than the SDK waits out by itself (5 s).
    expect(elapsed).to.be.lessThan(4000);

    const json = await msgr(['send', '--to', '2', 'four', '--json'], { env });
    expect(json.code).to.equal(4);
    expect(json.stdout).to.equal('');
    expect(json.stderr).to.match(/^msgr: rate limited: try again in \d+ s/);
  });
});
