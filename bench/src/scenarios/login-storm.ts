/**
 * Login storm mixed with sends: one instance with production's bcrypt cost (BCRYPT_ROUNDS
 * default, 10); 16 senders in a closed loop alone (before and after: the baseline), then the
 * same while 16 clients log in as fast as they are answered (the IP and login limits off, so
 * every login reaches bcrypt). bcrypt is asynchronous and bounded, so sends should barely
 * notice.
 */
import { expectStatus, newAgent, request } from '../lib/http.js';
import { startInstances } from '../lib/processes.js';
import { onCleanup } from '../lib/run.js';
import { aim, type Scenario } from '../lib/scenario.js';
import { httpSend, newSend } from '../lib/sends.js';
import { closedLoop, mergeRuns } from '../lib/stats.js';
import { devices, PASSWORD } from '../lib/users.js';

const SENDERS = 16;
const STORM = 16;

export const loginStormScenario: Scenario = {
  name: 'login-storm',
  title: 'Login storm mixed with sends',
  async run(ctx) {
    const runMs = ctx.quick ? 2500 : 8000;
    const databaseUrl = await ctx.pg.database('storm');
    const [server] = await startInstances(1, databaseUrl, { env: { BCRYPT_ROUNDS: undefined } });
    const agent = newAgent(SENDERS + STORM);
    onCleanup(() => agent.destroy());
    const users = await devices(agent, server!.port, 'storm', SENDERS);
    const op = (w: number) =>
      httpSend(agent, server!.port, newSend(users[w]!, 'user', users[(w + 1) % SENDERS]!.userId));
    await closedLoop(SENDERS, 500, op);
    ctx.log('login-storm: sends alone');
    const quiet1 = await closedLoop(SENDERS, runMs / 2, op);
    let storming = true;
    let logins = 0;
    let busy = 0;
    const storm = Promise.all(
      Array.from({ length: STORM }, async (_, i) => {
        const user = users[i % SENDERS]!;
        while (storming) {
          const res = await request(agent, server!.port, '/login', {
            email: user.email,
            password: PASSWORD,
            client_id: `storm-${i}`,
          });
          if (res.status === 503) busy++;
          else expectStatus(res, 200, 'storm login');
          logins++;
        }
      }),
    );
    ctx.log('login-storm: sends during the storm');
    const t0 = performance.now();
    const loud = await closedLoop(SENDERS, runMs, op);
    storming = false;
    await storm;
    const stormSeconds = (performance.now() - t0) / 1000;
    ctx.log('login-storm: sends alone again');
    const quiet2 = await closedLoop(SENDERS, runMs / 2, op);
    const quiet = mergeRuns(quiet1, quiet2);
    const baselineLabel = 'sends alone';
    const label = `${SENDERS} senders + ${STORM} login loops`;
    ctx.row({
      case: label,
      metric: 'send p99',
      value: loud.p99,
      unit: 'ms',
      baseline: quiet.p99,
      baselineLabel,
      aim: aim('ratio', '<=', 1.5),
    });
    ctx.row({
      case: label,
      metric: 'send p50',
      value: loud.p50,
      unit: 'ms',
      baseline: quiet.p50,
      baselineLabel,
    });
    ctx.row({
      case: label,
      metric: 'send throughput',
      value: loud.throughput,
      unit: 'ops/s',
      baseline: quiet.throughput,
      baselineLabel,
    });
    ctx.note(
      `login-storm: BCRYPT_ROUNDS 10; ${(logins / stormSeconds).toFixed(0)} logins/s answered ` +
        `during the storm (${busy} of them 503 busy); sends alone p50 ${quiet.p50.toFixed(2)} ms ` +
        `p99 ${quiet.p99.toFixed(2)} ms (before and after), during p50 ${loud.p50.toFixed(2)} ms ` +
        `p99 ${loud.p99.toFixed(2)} ms`,
    );
  },
};
