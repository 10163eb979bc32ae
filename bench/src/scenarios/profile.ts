/**
 * `--profile`: the send and the fan-out paths under `node --cpu-prof`, one server process each
 * profiled while the suite's own load runs against it; the `.cpuprofile` files go to
 * bench/results/profiles/ (git-ignored, open them in Chrome DevTools or speedscope) and the
 * top frames by self time are printed.
 */
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { profileLines, summariseProfile } from '../lib/cpuprofile.js';
import { newAgent } from '../lib/http.js';
import { startInstances } from '../lib/processes.js';
import { onCleanup } from '../lib/run.js';
import type { Context, Scenario } from '../lib/scenario.js';
import { httpSend, newSend } from '../lib/sends.js';
import { closedLoop } from '../lib/stats.js';
import { devices } from '../lib/users.js';
import { fanoutSetup, measureFanout, poster, registeredOn, USERS } from './fanout.js';

const DIR = fileURLToPath(new URL('../../results/profiles/', import.meta.url));

/** Each process gets a folder: tsx's loader thread writes a profile of its own beside main's. */
const cpuProf = (name: string) => ['--cpu-prof', '--cpu-prof-dir', `${DIR}${name}`];

/** The main thread's profile (the largest) becomes profiles/<name>.cpuprofile; its summary. */
async function report(
  ctx: Context,
  name: string,
  window: { from: number; to: number },
): Promise<void> {
  const dir = `${DIR}${name}`;
  const files = await Promise.all(
    (await fs.readdir(dir)).map(async (f) => ({ f, size: (await fs.stat(`${dir}/${f}`)).size })),
  );
  const main = files.sort((a, b) => b.size - a.size)[0];
  if (!main) throw new Error(`no profile in ${dir}`);
  const file = `${DIR}${name}.cpuprofile`;
  await fs.rename(`${dir}/${main.f}`, file);
  await fs.rm(dir, { recursive: true, force: true });
  const summary = await summariseProfile(file, window);
  for (const line of profileLines(summary)) ctx.note(line);
  profiles.push(summary);
}

/** The summaries of this run's profiles (main.ts puts them in latest.json). */
export const profiles: Awaited<ReturnType<typeof summariseProfile>>[] = [];

export const profileScenarios: Scenario[] = [
  {
    name: 'profile-send',
    title: 'CPU profile of one instance under 16 concurrent direct sends',
    async run(ctx) {
      await fs.rm(`${DIR}send`, { recursive: true, force: true });
      const databaseUrl = await ctx.pg.database('profile_send');
      const [server] = await startInstances(1, databaseUrl, { execArgv: cpuProf('send') });
      const agent = newAgent(32);
      onCleanup(() => agent.destroy());
      const senders = await devices(agent, server!.port, 'prof', 16);
      const ms = ctx.quick ? 4000 : 15_000;
      const op = (w: number) =>
        httpSend(agent, server!.port, newSend(senders[w]!, 'user', senders[(w + 1) % 16]!.userId));
      await closedLoop(16, 1000, op);
      const from = await server!.call<number>('now');
      const r = await closedLoop(16, ms, op);
      const to = await server!.call<number>('now');
      ctx.note(
        `profile-send: ${r.count} sends in ${r.seconds.toFixed(1)} s, p50 ${r.p50.toFixed(2)} ms`,
      );
      await server!.stop();
      await report(ctx, 'send', { from, to });
    },
  },
  {
    name: 'profile-fanout',
    title: 'CPU profiles of 2 instances fanning out to 1000 sockets',
    async run(ctx) {
      for (const i of [1, 2]) await fs.rm(`${DIR}fanout-${i}`, { recursive: true, force: true });
      const n = 1000;
      const setup = await fanoutSetup(ctx, 'profile_fanout', 2, (i) => ({
        execArgv: cpuProf(`fanout-${i + 1}`),
      }));
      const { instances } = setup;
      const windows: { from: number; to: number }[] = [];
      const r = await measureFanout({
        tag: 'prof',
        n,
        count: ctx.quick ? 60 : 200,
        warmup: 5,
        rate: 20,
        drainMs: 10_000,
        target: (i) => ({
          url: `ws://127.0.0.1:${instances[i % 2]!.port}/ws/${setup.chatId}`,
          token: setup.subscribers[i % USERS]!.token,
        }),
        registered: () => registeredOn(instances, n),
        post: poster(setup, instances[0]!.port),
        onMeasure: async (phase) => {
          const at = await Promise.all(instances.map((i) => i.call<number>('now')));
          at.forEach((t, i) => {
            if (phase === 'start') windows[i] = { from: t, to: Infinity };
            else windows[i]!.to = t;
          });
        },
      });
      ctx.note(`profile-fanout: N=${n}, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`);
      await Promise.all(instances.map((i) => i.stop()));
      await report(ctx, 'fanout-1', windows[0]!);
      await report(ctx, 'fanout-2', windows[1]!);
    },
  },
];
