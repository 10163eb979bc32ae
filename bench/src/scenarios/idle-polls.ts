/**
 * Idle long-polls (v1.2): one instance (a process, --expose-gc) and N concurrent
 * `GET /sync?position=<now>&timeout=60` of N users with nothing to get. Once its
 * `msgr_sync_waiting` gauge shows all N waiting: the database pool's connections in use
 * (`msgr_db_pool_connections{state="used"}`, the fewest of 10 samples over a second; aim 0: a
 * waiting poll holds none) and its RSS and JS heap after a GC against before the polls (per
 * poll). Then one message at a time wakes
 * one poll (a send to its user from another): the time from the send's request to that poll's
 * answer, against the same with no other poll waiting (measured first), and no other poll may
 * answer. Then the rest are aborted (the client closes them): the gauge must reach 0, and the
 * pool be idle again (the note says how long that took, and how many reads were queued on it).
 */
import { setMaxListeners } from 'node:events';
import { expectStatus, newAgent, request, type Answer } from '../lib/http.js';
import { startInstances } from '../lib/processes.js';
import { onCleanup, sleep, waitFor } from '../lib/run.js';
import { aim, type Scenario } from '../lib/scenario.js';
import { summarise } from '../lib/stats.js';
import { devices, send, type Device } from '../lib/users.js';

const TIMEOUT_SECONDS = 60;

/** The value of `name{labels}` in a Prometheus text exposition; NaN when absent. */
function gauge(text: string, name: string, labels = ''): number {
  const head = `${name}${labels} `;
  const line = text.split('\n').find((l) => l.startsWith(head));
  return line ? Number(line.slice(head.length)) : NaN;
}

export const idlePollsScenario: Scenario = {
  name: 'idle-polls',
  title: 'Idle /sync long-polls: pool connections held and RSS per poll',
  async run(ctx) {
    const n = ctx.quick ? 200 : 1000;
    const wakes = ctx.quick ? 5 : 9;
    const databaseUrl = await ctx.pg.database('idle_polls');
    const [server] = await startInstances(1, databaseUrl, { execArgv: ['--expose-gc'] });
    const port = server!.port;
    const control = newAgent(8);
    const polling = newAgent(n + wakes + 8);
    onCleanup(() => Promise.all([control.destroy(), polling.destroy()]));
    ctx.log(`idle-polls: ${n + wakes + 1} users`);
    const [sender, ...users] = await devices(control, port, 'poll', n + wakes + 1);
    const alone = users.slice(0, wakes);
    const idle = users.slice(wakes);
    const metrics = async () => {
      const res = await request(control, port, '/metrics');
      const text = expectStatus(res, 200, 'metrics').body as string;
      return {
        waiting: gauge(text, 'msgr_sync_waiting'),
        used: gauge(text, 'msgr_db_pool_connections', '{state="used"}'),
        free: gauge(text, 'msgr_db_pool_connections', '{state="free"}'),
        pending: gauge(text, 'msgr_db_pool_connections', '{state="pending"}'),
      };
    };
    /** For waitFor: a scrape every 50 ms or so, not every 10. */
    const waiting = (k: number) => async () => {
      await sleep(40);
      return (await metrics()).waiting === k;
    };
    const positionOfNow = async (d: Device) => {
      const res = await request(control, port, '/sync', undefined, d.token);
      return (expectStatus(res, 200, 'sync').body as { position: string }).position;
    };
    const poll = (d: Device, position: string, signal?: AbortSignal): Promise<Answer> =>
      request(
        polling,
        port,
        `/sync?timeout=${TIMEOUT_SECONDS}&position=${encodeURIComponent(position)}`,
        undefined,
        d.token,
        signal ? { signal } : {},
      );
    /**
     * Sends `to` a message and answers how long until `answered` (its poll) resolved; the
     * send's own answer time goes into `sent`.
     */
    const wake = async (to: Device, answered: Promise<Answer>, sent: number[]) => {
      const t0 = performance.now();
      await send(control, port, sender!, { user: to.userId }, 'wake up');
      sent.push(performance.now() - t0);
      const res = await answered;
      const ms = performance.now() - t0;
      const events = (expectStatus(res, 200, 'woken poll').body as { events: unknown[] }).events;
      if (events.length !== 1) throw new Error(`the woken poll got ${events.length} events`);
      return ms;
    };

    // The baseline: one poll waiting, nothing else; also warms the paths up.
    const aloneMs: number[] = [];
    const aloneSent: number[] = [];
    for (const d of alone) {
      const answered = poll(d, await positionOfNow(d));
      await waitFor('one poll waiting', waiting(1));
      aloneMs.push(await wake(d, answered, aloneSent));
      await waitFor('no poll waiting', waiting(0));
    }

    const settled = async () => {
      await server!.call('gc');
      await sleep(300);
      await server!.call('gc');
      return server!.stats();
    };
    await sleep(500);
    const before = await settled();
    const poolBefore = await metrics();

    ctx.log(`idle-polls: opening ${n} polls`);
    // Every user's position of now is the same: none of them has an event.
    const position = await positionOfNow(idle[0]!);
    const abort = new AbortController();
    // Every poll's request listens to it.
    setMaxListeners(n + 10, abort.signal);
    const answers = new Map<number, Answer>();
    const t0 = performance.now();
    const polls = idle.map((d, i) => {
      const p = poll(d, position, abort.signal);
      // Kept in `polls` too; this only notes which answered (aborted ones reject).
      void p.then(
        (res) => answers.set(i, res),
        () => undefined,
      );
      return p;
    });
    await waitFor(`${n} polls waiting`, waiting(n), 30_000);
    const openSeconds = (performance.now() - t0) / 1000;
    await sleep(500);
    // A connection a poll held would show in every sample; the instance's own work (the stream
    // marks' leader, the log trimmer) takes one now and then, so the value is the fewest seen.
    const samples = [];
    for (let i = 0; i < 10; i++) {
      samples.push(await metrics());
      await sleep(100);
    }
    const after = await settled();
    const used = Math.min(...samples.map((s) => s.used));
    const usedMax = Math.max(...samples.map((s) => s.used));
    const pending = Math.max(...samples.map((s) => s.pending));

    ctx.log(`idle-polls: waking ${wakes} of them, one at a time`);
    const wokenMs: number[] = [];
    const wokenSent: number[] = [];
    for (let i = 0; i < wakes; i++) wokenMs.push(await wake(idle[i]!, polls[i]!, wokenSent));
    await sleep(200);
    const stillWaiting = (await metrics()).waiting;
    if (answers.size !== wakes || stillWaiting !== n - wakes) {
      throw new Error(
        `after ${wakes} wakes: ${answers.size} polls answered, ${stillWaiting} waiting (expected ` +
          `${wakes} and ${n - wakes})`,
      );
    }
    if ((performance.now() - t0) / 1000 > TIMEOUT_SECONDS - 5) {
      throw new Error('the measurement outlasted the polls: it is not of idle polls');
    }

    const t1 = performance.now();
    abort.abort();
    await Promise.allSettled(polls);
    await waitFor('no poll waiting after the abort', waiting(0), 10_000);
    const drainMs = performance.now() - t1;
    const poolAfter = await metrics();
    // What the aborted polls still ask of the database, until the pool is idle again.
    let peakPending = poolAfter.pending;
    await waitFor(
      'the pool idle after the abort',
      async () => {
        await sleep(40);
        const m = await metrics();
        peakPending = Math.max(peakPending, m.pending);
        return m.used === 0 && m.pending === 0;
      },
      30_000,
    );
    const idleMs = performance.now() - t1;

    const kb = (bytes: number) => bytes / 1024;
    const label = `${n} idle long-polls, 1 instance`;
    ctx.row({
      case: label,
      metric: 'pool connections used',
      value: used,
      unit: '',
      baseline: n,
      baselineLabel: 'polls waiting',
      ratio: used / n,
      aim: aim('value', '==', 0),
    });
    ctx.row({
      case: label,
      metric: 'RSS per poll',
      value: kb(after.rss - before.rss) / n,
      unit: 'KiB',
      baseline: kb(before.rss),
      baselineLabel: 'process RSS with none',
      ratio: after.rss / before.rss,
    });
    ctx.row({
      case: label,
      metric: 'JS heap per poll',
      value: kb(after.heapUsed - before.heapUsed) / n,
      unit: 'KiB',
      baseline: kb(before.heapUsed),
      baselineLabel: 'JS heap with none',
      ratio: after.heapUsed / before.heapUsed,
    });
    const [woken, lone] = [summarise(wokenMs), summarise(aloneMs)];
    ctx.row({
      case: `wake 1 poll of ${n} waiting`,
      metric: 'send → answer p50',
      value: woken.p50,
      unit: 'ms',
      baseline: lone.p50,
      baselineLabel: '1 poll waiting alone',
    });
    const ms = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(', ');
    ctx.note(
      `idle-polls: ${n} polls${ctx.quick ? ' (quick; full: 1000)' : ''} of ${n} users, ` +
        `timeout=${TIMEOUT_SECONDS}; all waiting ${openSeconds.toFixed(1)} s after the first was ` +
        `sent; pool used/free/pending before ${poolBefore.used}/${poolBefore.free}/` +
        `${poolBefore.pending}, while waiting used ${used} to ${usedMax}, pending up to ${pending} (10 ` +
        `samples over 1 s); RSS ` +
        `${(before.rss / 2 ** 20).toFixed(1)} → ${(after.rss / 2 ** 20).toFixed(1)} MiB, JS heap ` +
        `${(before.heapUsed / 2 ** 20).toFixed(1)} → ${(after.heapUsed / 2 ** 20).toFixed(1)} MiB; ` +
        `a send → its poll's answer: ${ms(wokenMs)} ms with the others waiting (the send's own ` +
        `answer ${ms(wokenSent)} ms), ${ms(aloneMs)} ms alone (send ${ms(aloneSent)} ms); no ` +
        `other poll answered; the other ${n - wakes} aborted by the client: gauge at 0 ` +
        `${drainMs.toFixed(0)} ms later, the pool then ${poolAfter.used} used ` +
        `${poolAfter.pending} pending (peak pending ${peakPending}), idle ${idleMs.toFixed(0)} ms ` +
        `after the abort`,
    );
  },
};
