/**
 * Setup undo steps (servers, sockets, databases), run last first on success, on error and on
 * SIGINT/SIGTERM, so a benchmark never leaves a process or a database behind.
 */

const cleanups: (() => Promise<unknown>)[] = [];
let cleaning: Promise<void> | undefined;

/** Registers a setup step's undo; steps run last first. Returns a function that runs it now. */
export function onCleanup(step: () => unknown): () => Promise<void> {
  let done = false;
  const once = async () => {
    if (done) return;
    done = true;
    await Promise.resolve()
      .then(step)
      .catch((err: unknown) => console.error('cleanup:', err));
  };
  cleanups.push(once);
  return once;
}

/** Undoes the setup, last step first; every step runs even when an earlier one fails. */
export function cleanup(): Promise<void> {
  return (cleaning ??= (async () => {
    for (const step of cleanups.reverse()) await step();
  })());
}

/**
 * Runs `main`, then cleans up whatever it set up, also when it throws; SIGINT or SIGTERM clean
 * up and exit with 130. Resolves with main's exit code (1 when it threw).
 */
export async function runBenchmark(main: () => Promise<number>): Promise<number> {
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      void cleanup().finally(() => process.exit(130));
    });
  }
  try {
    return await main();
  } catch (err) {
    // After a signal, main fails because cleanup pulled its servers away: nothing to report.
    if (!interrupted) console.error(err);
    return 1;
  } finally {
    await cleanup();
  }
}

/** `fn(0..n-1)` with at most `concurrency` running at once; results in index order. */
export async function inParallel<T>(
  n: number,
  concurrency: number,
  fn: (i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array<T>(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n) {
        const i = next++;
        results[i] = await fn(i);
      }
    }),
  );
  return results;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `ok` every 10 ms; throws after `ms`. */
export async function waitFor(what: string, ok: () => boolean | Promise<boolean>, ms = 10_000) {
  const deadline = performance.now() + ms;
  while (!(await ok())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
