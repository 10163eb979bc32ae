/** Latency samples, percentiles and a closed-loop load driver. */
import { performance } from 'node:perf_hooks';

/** The value at quantile `q` (0..1] of ascending `sorted`; NaN when empty. */
export function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.ceil(q * sorted.length) - 1] ?? NaN;
}

export interface Latencies {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export function summarise(samples: readonly number[]): Latencies {
  const sorted = samples.filter(Number.isFinite).sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted.at(-1) ?? NaN,
  };
}

export interface LoadResult extends Latencies {
  /** Completed operations per second of wall time. */
  throughput: number;
  seconds: number;
  /** Operations that threw (the first error is kept). */
  errors: number;
  firstError?: string;
  /** The latencies, ascending (to merge runs). */
  samples: number[];
}

/** Runs taken as one: their samples together, their throughput over their summed time. */
export function mergeRuns(...runs: LoadResult[]): LoadResult {
  const samples = runs.flatMap((r) => r.samples).sort((a, b) => a - b);
  const seconds = runs.reduce((t, r) => t + r.seconds, 0);
  return {
    ...summarise(samples),
    samples,
    seconds,
    throughput: samples.length / seconds,
    errors: runs.reduce((t, r) => t + r.errors, 0),
    ...(runs.find((r) => r.firstError)
      ? { firstError: runs.find((r) => r.firstError)!.firstError }
      : {}),
  };
}

/**
 * `concurrency` workers in a closed loop for `ms` (or `maxOps` operations); `op(w, i)` is one
 * operation of worker `w` (its `i`-th). Errors are counted, not thrown, unless every op fails.
 */
export async function closedLoop(
  concurrency: number,
  ms: number,
  op: (w: number, i: number) => Promise<unknown>,
  maxOps = Infinity,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let issued = 0;
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const deadline = start + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; issued < maxOps && performance.now() < deadline; i++) {
        issued++;
        const t0 = performance.now();
        try {
          await op(w, i);
          latencies.push(performance.now() - t0);
        } catch (err) {
          errors++;
          firstError ??= err instanceof Error ? err.message : String(err);
          // A failing op must not spin: the error is the finding.
          if (errors > 1000) throw new Error(`${errors} failed operations, first: ${firstError}`);
        }
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    ...summarise(latencies),
    samples: latencies,
    throughput: latencies.length / seconds,
    seconds,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
  };
}

/** Wall-clock milliseconds with sub-millisecond precision (same clock in every process). */
export const wallNow = () => performance.timeOrigin + performance.now();

/**
 * Several cases measured in turns on a noisy machine: `rounds` rounds, each running every case
 * for `totalMs / rounds`, in ABBA order (forward, then backward), so a drift in the machine's
 * load touches every case alike; each case's runs merged.
 */
export async function interleaved<K extends string>(
  concurrency: number,
  cases: Record<K, (w: number, i: number) => Promise<unknown>>,
  totalMs: number,
  rounds: number,
  /** Around each case's every turn (CPU accounting of one case); `after` gets the turn's result. */
  around?: { before(name: K): Promise<void>; after(name: K, turn: LoadResult): Promise<void> },
): Promise<Record<K, LoadResult>> {
  const names = Object.keys(cases) as K[];
  const runs = new Map<K, LoadResult[]>(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of r % 2 === 0 ? names : [...names].reverse()) {
      await around?.before(name);
      const turn = await closedLoop(concurrency, totalMs / rounds, cases[name]);
      runs.get(name)!.push(turn);
      await around?.after(name, turn);
    }
  }
  return Object.fromEntries(names.map((n) => [n, mergeRuns(...runs.get(n)!)])) as Record<
    K,
    LoadResult
  >;
}
