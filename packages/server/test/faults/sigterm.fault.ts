/**
 * SIGTERM under load, to an instance started the way `npm start` starts it (npm → tsx → node,
 * detached so it has a process group of its own): once to the whole process group (what a
 * terminal's Ctrl-C, systemd's KillMode=control-group or `docker stop` of an npm-started
 * container do), once to the main pid alone. Promised (contract, "Process contract"): every
 * in-flight request gets its full answer — no ECONNRESET, no "socket hang up" — and the server
 * exits 0 within 10 s.
 *
 * The ~40 sends are held in flight deterministically: a transaction of the test locks their
 * chat's row, so each send waits until the test lets go, a second after the signal: inside
 * PostgreSQL for the lock, or in the instance behind a send to the same chat that does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Audit, Checks, finishScenario } from '../support/fault-scenario.js';
import {
  createDatabase,
  faultEnv,
  parseMetrics,
  sleep,
  startFaultPostgres,
  waitFor,
  withPg,
  type FaultPostgres,
} from '../support/fault-cluster.js';
import { Api } from '../support/harness.js';
import { freePort } from '../support/processes.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const IN_FLIGHT = 40;

interface NpmStarted {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `npm start -w @msgr/server` in its own process group, as a terminal or a supervisor would. */
function npmStart(env: NodeJS.ProcessEnv): NpmStarted {
  // Under `npm run`, npm says where it is; otherwise the one on PATH.
  const execPath = process.env.npm_execpath;
  const [command, args] =
    execPath && /npm-cli\.js$/.test(execPath)
      ? [process.execPath, [execPath]]
      : ['npm', [] as string[]];
  const child = spawn(command, [...args, 'start', '-w', '@msgr/server'], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  return { child, output: () => output, exited };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const groupAlive = (pgid: number) => isAlive(-pgid);

interface Answer {
  status?: number;
  body?: any;
  /** The error code (`ECONNRESET`…) and message when no full answer came. */
  error?: string;
}

function request(
  agent: http.Agent,
  port: number,
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<Answer> {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // keep the text
          }
          resolve({ status: res.statusCode, body: parsed });
        });
        res.on('error', (err: NodeJS.ErrnoException) =>
          resolve({ error: `${err.code ?? ''} ${err.message}`.trim() }),
        );
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) =>
      resolve({ error: `${err.code ?? ''} ${err.message}`.trim() }),
    );
    req.end(payload);
  });
}

describe('faults: SIGTERM under load', function () {
  this.timeout(120_000);
  let postgres: FaultPostgres;
  let databaseUrl: string;

  before(async () => {
    postgres = await startFaultPostgres();
    databaseUrl = await createDatabase(postgres, 'msgr_sigterm');
  });
  after(async () => {
    await postgres?.close();
  });

  // npm runs scripts with `sh -c`: Debian's dash forks the command, bash (Fedora's and macOS's
  // sh, or npm's script-shell=bash) execs it, so npm's relayed signal lands on tsx directly.
  const variants = [
    { target: 'process group', shell: 'sh' },
    { target: 'process group', shell: 'bash' },
    { target: 'main pid', shell: 'sh' },
    { target: 'main pid', shell: 'bash' },
  ] as const;
  for (const { target, shell } of variants) {
    const name = `SIGTERM to the ${target} (npm script-shell ${shell})`;
    it(`${name}: ${IN_FLIGHT} in-flight sends on keep-alive connections get full answers and the server exits 0 within 10 s`, async function () {
      if (shell === 'bash' && !existsSync('/bin/bash')) this.skip();
      const startedAt = Date.now();
      const audit = new Audit(`sigterm-${target === 'process group' ? 'group' : 'pid'}-${shell}`);
      const checks = new Checks();
      const port = await freePort();
      const server = npmStart({
        ...process.env,
        ...faultEnv(databaseUrl, port),
        LOG_LEVEL: 'info',
        // Room for every held send inside PostgreSQL (sends of a batch that gave up waiting for
        // the lock wait again alone, each on a connection of its own).
        DATABASE_POOL_MAX: String(IN_FLIGHT + 10),
        ...(shell === 'bash' ? { npm_config_script_shell: '/bin/bash' } : {}),
      });
      const pgid = server.child.pid!;
      const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
      let lock: pg.Client | undefined;
      try {
        const base = `http://127.0.0.1:${port}`;
        await waitFor(
          'npm start to be ready',
          async () => {
            if (server.child.exitCode !== null) {
              throw new Error(`npm start exited early:\n${server.output()}`);
            }
            const status = await fetch(`${base}/readyz`).then(
              (r) => r.status,
              () => 0,
            );
            return status === 200 ? true : undefined;
          },
          { timeoutMs: 60_000, everyMs: 200 },
        );
        const api = new Api(base);
        const alice = await api.newUser('alice');
        const bob = await api.newUser('bob');
        const opening = audit.text('alice', 0);
        audit.attempt({
          sender: 'alice',
          senderId: alice.userId,
          target: { user: bob.userId },
          text: opening,
          operationId: 0,
        });
        const first = await api.send({ user: bob.userId }, opening, 0, alice.token);
        audit.exchange({
          sender: 'alice',
          host: base,
          operationId: 0,
          text: opening,
          status: first.status,
          messageId: first.body.id,
        });
        audit.acknowledged(opening, first.body);

        // Open IN_FLIGHT keep-alive connections, so the sends ride on established sockets.
        const warm = await Promise.all(
          Array.from({ length: IN_FLIGHT }, () => request(agent, port, 'GET', '/me', alice.token)),
        );
        checks.expect(
          warm.every((a) => a.status === 200),
          `warm-up failed: ${JSON.stringify(warm.filter((a) => a.status !== 200).slice(0, 3))}`,
        );

        lock = new pg.Client({ connectionString: databaseUrl });
        await lock.connect();
        await lock.query('BEGIN');
        await lock.query('SELECT id FROM chats WHERE id = $1 FOR UPDATE', [first.body.chat_id]);

        const sends = Array.from({ length: IN_FLIGHT }, (_, i) => {
          const text = audit.text('alice', i + 1);
          const operationId = i + 1;
          audit.attempt({
            sender: 'alice',
            senderId: alice.userId,
            target: { user: bob.userId },
            text,
            operationId,
          });
          return request(agent, port, 'POST', `/messages/user/${bob.userId}`, alice.token, {
            text,
            operation_id: operationId,
          }).then((answer) => {
            audit.exchange({
              sender: 'alice',
              host: base,
              operationId,
              text,
              status: answer.status ?? 0,
              messageId: answer.body?.id,
              ...(answer.error ? { error: answer.error } : {}),
            });
            if (answer.status === 201) audit.acknowledged(text, answer.body);
            else audit.failed(text, { status: answer.status ?? 0, code: answer.error });
            return answer;
          });
        });
        // One send waits for the chat's lock inside PostgreSQL; the rest, to the same chat, wait
        // for it in the instance (msgr_sends_waiting) rather than each holding a connection.
        await waitFor(
          `${IN_FLIGHT} sends waiting for the held chat, in PostgreSQL or in the instance`,
          async () => {
            const inPostgres = await withPg(databaseUrl, async (c) => {
              const { rows } = await c.query(
                `SELECT count(*)::int AS n FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'`,
              );
              return rows[0].n as number;
            });
            const metrics = parseMetrics(await (await fetch(`${base}/metrics`)).text());
            const inInstance = metrics.get('msgr_sends_waiting') ?? 0;
            return inPostgres >= 1 && inPostgres + inInstance >= IN_FLIGHT ? true : undefined;
          },
          { timeoutMs: 20_000 },
        );

        const t0 = Date.now();
        process.kill(target === 'process group' ? -pgid : pgid, 'SIGTERM');
        // The signal (and any copy relayed by npm or tsx) has arrived long before this.
        await sleep(1000);
        await lock.query('COMMIT');
        await lock.end();
        lock = undefined;
        const answers = await Promise.all(sends);
        const logs = server.output();
        // The server process itself (npm's grandchild) names its pid on every log line.
        const serverPid = Number(/"pid":(\d+)/.exec(logs)?.[1]);
        const serverGone = await waitFor(
          'the server process to exit',
          () => (isAlive(serverPid) ? undefined : true),
          { timeoutMs: Math.max(0, 10_000 - (Date.now() - t0)), everyMs: 20 },
        ).catch(() => false);
        const exitMs = Date.now() - t0;
        const npmExit = await Promise.race([server.exited, sleep(5000).then(() => undefined)]);
        const groupGone = await waitFor(
          'the process group to be gone',
          () => (groupAlive(pgid) ? undefined : true),
          { timeoutMs: 5000 },
        ).catch(() => false);

        const broken = answers.filter((a) => a.error !== undefined);
        const statuses: Record<string, number> = {};
        for (const a of answers) {
          const key = a.error ?? String(a.status);
          statuses[key] = (statuses[key] ?? 0) + 1;
        }
        const finalLogs = server.output();
        const doubleSignal = finalLogs.includes('second signal: exiting now');
        const shutdowns = finalLogs.split('"msg":"shutting down"').length - 1;
        checks.observe('answers', statuses);
        checks.observe('server_exit_ms', serverGone ? exitMs : 'still running');
        checks.observe('npm_exit', npmExit ?? 'still running');
        checks.observe('second_signal_logged', doubleSignal);
        checks.expect(
          broken.length === 0,
          `${broken.length} of ${IN_FLIGHT} in-flight requests got no full answer (${JSON.stringify(statuses)})` +
            (doubleSignal
              ? ': the server logged "second signal: exiting now" — SIGTERM reached it twice (once from the group, once relayed by tsx after npm passed it on) and it took the copy for "exit now"'
              : ''),
        );
        checks.expect(
          answers.every((a) => a.error !== undefined || a.status === 201),
          `in-flight sends answered other than 201: ${JSON.stringify(statuses)}`,
        );
        checks.expect(
          shutdowns > 0,
          `the server (pid ${serverPid}) never began shutting down: the SIGTERM never reached it` +
            (npmExit?.signal === 'SIGTERM'
              ? ' (npm died of the signal at once, and the sh between npm and tsx did not pass it on: the server is left running as an orphan)'
              : ''),
        );
        checks.expect(
          serverGone,
          `the server (pid ${serverPid}) is still running ${exitMs} ms after the SIGTERM`,
        );
        checks.expect(
          !doubleSignal && finalLogs.includes('"msg":"stopped"'),
          'the server did not end gracefully (it exits 0 right after logging "stopped")',
        );
        checks.expect(groupGone, 'processes of its group are still running');
        await finishScenario({ audit, databaseUrl, name, grep: name, startedAt, checks });
      } finally {
        await lock?.query('ROLLBACK').catch(() => undefined);
        await lock?.end().catch(() => undefined);
        agent.destroy();
        if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
      }
    });
  }
});
