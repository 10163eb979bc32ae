/**
 * The CPU time PostgreSQL's processes used, read from /proc (Linux, a server on this machine):
 * every process `pg_stat_activity` lists — the backends, and the WAL writer, checkpointer and
 * background writer that write what they committed. CPU per operation moves much less with the
 * neighbours' load than throughput does, so it says what a change costs the database itself.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type pg from 'pg';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** user + system time of `pid` in µs; undefined when it is gone or unreadable. */
function cpuOfPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / clockTicks()) * 1e6;
  } catch {
    return undefined;
  }
}

/** Each process's CPU time so far (µs), by pid; empty when /proc cannot tell. */
export async function pgCpuSnapshot(client: pg.Client | pg.Pool): Promise<Map<number, number>> {
  const { rows } = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity');
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    const cpu = cpuOfPid(pid);
    if (cpu !== undefined) out.set(pid, cpu);
  }
  return out;
}

/**
 * The CPU (µs) PostgreSQL's processes used between the snapshots. A process only in the second
 * was started between them (a pool replaced an idle connection), so all of its time counts; one
 * that ended between them is not seen (keep pools' connections open across the measurement).
 */
export function pgCpuBetween(a: Map<number, number>, b: Map<number, number>): number {
  let total = 0;
  for (const [pid, cpu] of b) total += cpu - (a.get(pid) ?? 0);
  return total;
}
