/**
 * `npm run test:redis` / `test:nats` (and `test:faults:redis` / `test:faults:nats`): the tests
 * that prove the realtime bus, run again on a real Redis or NATS (MSGR_TEST_BUS, see
 * packages/server/test/support/engines.ts). Not everything three times: the suites and fault
 * scenarios below are the ones whose promises depend on the bus (docs/reliability.md says why
 * each is there). Without the engine's binary it says so and skips, as the tmux and chromium
 * tests do.
 *
 *   tsx scripts/test-bus.ts redis|nats [--faults] [more mocha arguments, e.g. -g 'kill']
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Realtime suites: delivery, resume, membership and edits through the bus, the log (replay,
 * /sync long-polls woken by the bus, readers under concurrency), outgoing webhooks (woken by the
 * bus's marks), and the SDK.
 */
export const ENGINE_SUITES = [
  'packages/server/test/bus.test.ts',
  'packages/server/test/realtime.test.ts',
  'packages/server/test/resume-position.test.ts',
  'packages/server/test/log.test.ts',
  'packages/server/test/log-races.test.ts',
  'packages/server/test/conversations.test.ts',
  'packages/server/test/membership-races.test.ts',
  'packages/server/test/webhooks.test.ts',
  'packages/sdk/test/integration.test.ts',
  'packages/sdk/test/log.test.ts',
];

/**
 * Fault scenarios: an instance, the engine and the relay leader killed, PostgreSQL restarted
 * (the outbox relay and the engine's subscription around it); resume under cuts.
 */
export const ENGINE_FAULTS = [
  'packages/server/test/faults/kill-instance.fault.ts',
  'packages/server/test/faults/postgres-restart.fault.ts',
  'packages/server/test/faults/bus-engine-restart.fault.ts',
  'packages/server/test/faults/relay-leader.fault.ts',
  'packages/server/test/faults/random-cuts.fault.ts',
];

const BINARIES = { redis: 'redis-server', nats: 'nats-server' } as const;

function hasBinary(name: string): boolean {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin'];
  return dirs.some((dir) => {
    try {
      fs.accessSync(path.join(dir, name), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const [kind, ...rest] = process.argv.slice(2);
if (kind !== 'redis' && kind !== 'nats') {
  console.error('usage: tsx scripts/test-bus.ts redis|nats [--faults] [mocha arguments]');
  process.exit(2);
}
const isFaults = rest.includes('--faults');
const extra = rest.filter((a) => a !== '--faults');
const binary = BINARIES[kind];
if (!hasBinary(binary)) {
  console.log(`test-bus: skipped: ${binary} is not installed (apt-get install ${binary})`);
  process.exit(0);
}
const args = isFaults
  ? ['mocha', '--no-config', '--node-option', 'import=tsx', '--timeout', '150000', '--exit']
  : [
      'mocha',
      '--no-config',
      '--node-option',
      'import=tsx',
      '--require',
      'packages/server/test/support/global-fixture.ts',
      '--timeout',
      '20000',
      '--exit',
    ];
const run = spawnSync('npx', [...args, ...extra, ...(isFaults ? ENGINE_FAULTS : ENGINE_SUITES)], {
  stdio: 'inherit',
  env: { ...process.env, MSGR_TEST_BUS: kind },
});
process.exit(run.status ?? 1);
