/**
 * `npm run bench`: msgr's benchmark suite. One PostgreSQL for the run, server instances as
 * processes, every scenario bounded in time, every figure a ratio to a baseline measured in the
 * same run (the machines here are shared and noisy: absolute numbers say little).
 *
 *   npm run bench                         full sizes (the table of docs/performance.md)
 *   npm run bench -- --quick              smaller sizes, < 3 minutes (CI runs this)
 *   npm run bench -- --only send,fanout   some scenarios (names: --list)
 *   npm run bench -- --profile            CPU profiles of the send and fan-out paths
 *   npm run bench -- --quick --durable    the quick run, the send scenario also durable
 *
 * Prints the table, writes bench/results/latest.json and latest.svg (and, for a run of every
 * scenario, quick.* or full.*, the snapshots docs/performance.md shows). Exits 1 when a scenario
 * failed or a ratio could not be computed; never for a figure that misses its aim.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { busyPercent, describeMachine, machineCpu } from './lib/machine.js';
import { startPostgres, type BenchPostgres, type PgConfiguration } from './lib/postgres.js';
import { markdownTable, svgChart, textTable, type Results } from './lib/report.js';
import { runBenchmark } from './lib/run.js';
import {
  isMet,
  type Context,
  type Row,
  type Scenario,
  type ScenarioReport,
} from './lib/scenario.js';
import { profiles, profileScenarios } from './scenarios/profile.js';
import { scenarios } from './scenarios/index.js';

const RESULTS = fileURLToPath(new URL('../results/', import.meta.url));

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', multiple: true },
    profile: { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
    markdown: { type: 'boolean', default: false },
    durable: { type: 'boolean', default: false },
  },
});

function select(): Scenario[] {
  const all = [...scenarios, ...profileScenarios];
  const names = (values.only ?? []).flatMap((s) => s.split(',')).filter(Boolean);
  for (const n of names) {
    if (!all.some((s) => s.name === n)) {
      throw new Error(`no scenario "${n}": ${all.map((s) => s.name).join(', ')}`);
    }
  }
  const chosen = names.length ? all.filter((s) => names.includes(s.name)) : [];
  if (values.profile) return [...chosen, ...profileScenarios.filter((s) => !chosen.includes(s))];
  return names.length ? chosen : scenarios;
}

function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', '../packages', '.'], {
      encoding: 'utf8',
    }).trim();
    return dirty ? `${head}+changes` : head;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<number> {
  if (values.list) {
    for (const s of [...scenarios, ...profileScenarios])
      console.log(`${s.name.padEnd(14)} ${s.title}`);
    return 0;
  }
  const chosen = select();
  const quick = values.quick;
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const cpuAtStart = machineCpu();
  const log = (line: string) =>
    process.stderr.write(
      `[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`,
    );
  log(`${quick ? 'quick' : 'full'} run: ${chosen.map((s) => s.name).join(', ')}`);
  const pg = await startPostgres('fast');
  let durable: Promise<BenchPostgres> | undefined;
  const pgOf = (configuration: PgConfiguration) =>
    configuration === 'fast' ? Promise.resolve(pg) : (durable ??= startPostgres('durable'));
  const configurations: PgConfiguration[] =
    quick && !values.durable ? ['fast'] : ['fast', 'durable'];
  const machine = describeMachine(pg.version);
  log(
    `PostgreSQL ${machine.postgres} (${pg.where}); ${machine.nproc} cores, load ${machine.loadAtStart.map((l) => l.toFixed(2)).join(' ')}`,
  );

  const reports: ScenarioReport[] = [];
  for (const scenario of chosen) {
    const report: ScenarioReport = {
      name: scenario.name,
      title: scenario.title,
      seconds: 0,
      machineBusy: NaN,
      rows: [],
      notes: [],
    };
    const ctx: Context = {
      quick,
      pg,
      configurations,
      pgOf,
      row: (r) => {
        const ratio = r.ratio ?? r.value / r.baseline;
        const row: Row = { scenario: scenario.name, ...r, ratio };
        if (r.aim) row.met = isMet(r.aim, row.value, ratio);
        report.rows.push(row);
        return row;
      },
      note: (line) => report.notes.push(line),
      log: (line) => log(line),
    };
    const t0 = performance.now();
    const cpu0 = machineCpu();
    log(`${scenario.name}: ${scenario.title}`);
    try {
      await scenario.run(ctx);
    } catch (err) {
      const skip = (err as { skip?: string }).skip;
      if (skip) report.skipped = skip;
      else {
        report.error = err instanceof Error ? (err.stack ?? err.message) : String(err);
        log(`${scenario.name} FAILED: ${report.error}`);
      }
    }
    report.seconds = (performance.now() - t0) / 1000;
    report.machineBusy = busyPercent(cpu0, machineCpu());
    reports.push(report);
    log(
      `${scenario.name}: done in ${report.seconds.toFixed(0)} s, machine ${report.machineBusy.toFixed(0)} % of one core`,
    );
  }

  machine.loadAtEnd = os.loadavg();
  machine.busyPercent = busyPercent(cpuAtStart, machineCpu());
  const results: Results = {
    mode: quick ? 'quick' : 'full',
    startedAt,
    seconds: (performance.now() - started) / 1000,
    commit: commit(),
    machine,
    postgres: machine.postgres,
    scenarios: reports,
    ...(profiles.length ? { profiles } : {}),
  };

  const rows = reports.flatMap((r) => r.rows);
  console.log(
    `\nmsgr benchmarks, ${results.mode} run at ${startedAt} (commit ${results.commit}), ` +
      `${results.seconds.toFixed(0)} s\nmachine: ${machine.nproc} cores (${machine.cpuModel}), ` +
      `${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.postgres} (${pg.where}); load ` +
      `${machine.loadAtStart.map((l) => l.toFixed(2)).join(' ')} at start, ` +
      `${machine.loadAtEnd.map((l) => l.toFixed(2)).join(' ')} at end; machine CPU ` +
      `${machine.busyPercent.toFixed(0)} % of one core over the run\n`,
  );
  console.log(values.markdown ? markdownTable(rows) : textTable(rows));
  for (const r of reports) {
    const head = `\n${r.name} (${r.seconds.toFixed(0)} s, machine ${r.machineBusy.toFixed(0)} % of one core)`;
    console.log(r.skipped ? `${head}: SKIPPED: ${r.skipped}` : r.error ? `${head}: FAILED` : head);
    for (const n of r.notes) console.log(`  ${n}`);
    if (r.error) console.log(`  ${r.error.split('\n').join('\n  ')}`);
  }

  await fs.mkdir(RESULTS, { recursive: true });
  const json = JSON.stringify(results, null, 2) + '\n';
  const svg = svgChart(results);
  const names = ['latest'];
  const isWholeRun = values.only === undefined && !values.profile;
  if (isWholeRun) names.push(results.mode);
  for (const name of names) {
    await fs.writeFile(path.join(RESULTS, `${name}.json`), json);
    await fs.writeFile(path.join(RESULTS, `${name}.svg`), svg);
  }
  console.log(`\nwrote ${names.map((n) => `bench/results/${n}.{json,svg}`).join(', ')}`);

  const failed = reports.filter((r) => r.error);
  const uncomputed = rows.filter((r) => !Number.isFinite(r.ratio));
  const empty = reports.filter(
    (r) => !r.error && !r.skipped && r.rows.length === 0 && !r.name.startsWith('profile'),
  );
  for (const r of uncomputed)
    console.log(`ratio not computed: ${r.scenario} ${r.case} ${r.metric}`);
  for (const r of empty) console.log(`no figures: ${r.name}`);
  for (const r of failed) console.log(`failed: ${r.name}`);
  const ok = failed.length === 0 && uncomputed.length === 0 && empty.length === 0;
  console.log(
    ok
      ? `${rows.length} ratios computed; ${rows.filter((r) => r.met === false).length} aims not met (reported, not failed)`
      : 'the suite did not complete: see above',
  );
  return ok ? 0 : 1;
}

process.exitCode = await runBenchmark(main);
// Stray handles (a socket a child kept open) must not keep a finished run alive.
setTimeout(() => process.exit(), 2000).unref();
