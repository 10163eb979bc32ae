/** What the report says about the machine, and how busy it was. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** The machine's CPU time so far, busy and in all (Linux /proc/stat, in ticks). */
export function machineCpu(): { busy: number; total: number } | undefined {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    const ticks = fields.map(Number);
    const total = ticks.reduce((a, b) => a + b, 0);
    // user nice system idle iowait …: idle and iowait are not busy.
    return { busy: total - ticks[3]! - ticks[4]!, total };
  } catch {
    return undefined;
  }
}

/** Busy share of all cores between two samples, in % of one core (200 = both of 2 busy). */
export function busyPercent(
  a: ReturnType<typeof machineCpu>,
  b: ReturnType<typeof machineCpu>,
): number {
  if (!a || !b || b.total === a.total) return NaN;
  return ((b.busy - a.busy) / (b.total - a.total)) * 100 * os.cpus().length;
}

export function nproc(): string {
  try {
    return execFileSync('nproc', { encoding: 'utf8' }).trim();
  } catch {
    return String(os.availableParallelism());
  }
}

export interface Machine {
  cpus: number;
  nproc: string;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  postgres: string;
  os: string;
  loadAtStart: number[];
  loadAtEnd?: number[];
  /** The whole machine's CPU use over the run, in % of one core. */
  busyPercent?: number;
  /** This process's and its children's share is not separated: see the per-scenario notes. */
  fdLimit: string;
}

export function describeMachine(postgres: string): Machine {
  let fdLimit = 'unknown';
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const line = limits.split('\n').find((l) => l.startsWith('Max open files'));
    if (line) fdLimit = line.split(/\s{2,}/)[1] ?? fdLimit;
  } catch {
    // not Linux
  }
  return {
    cpus: os.cpus().length,
    nproc: nproc(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    postgres: postgres.split(' on ')[0] ?? postgres,
    os: `${os.type()} ${os.release()}`,
    loadAtStart: os.loadavg(),
    fdLimit,
  };
}
