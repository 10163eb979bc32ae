/**
 * The child side of the benchmarks' IPC: `ready` with what the parent needs, then requests
 * `{ id, type }` answered `{ id, result }`. Every child answers `stats` (memory, CPU, plus its
 * own figures) and `gc` (when started with --expose-gc); `stop` runs `close` and exits 0.
 */
type Handler = (message: Record<string, unknown>) => unknown;

export function serveParent(
  ready: Record<string, unknown>,
  handlers: Record<string, Handler>,
  close: () => Promise<void>,
): void {
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= close()
      .catch((err: unknown) => {
        process.stderr.write(`close: ${String(err)}\n`);
      })
      .finally(() => process.exit(0)));
  const all: Record<string, Handler> = {
    ...handlers,
    stats: (m) => ({
      ...process.memoryUsage(),
      cpu: process.cpuUsage(),
      ...(handlers.stats?.(m) as object | undefined),
    }),
    /** The monotonic clock V8's profiles use (µs), to crop a profile to a load window. */
    now: () => Number(process.hrtime.bigint() / 1000n),
    gc: () => {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (!gc) return false;
      gc();
      gc();
      return true;
    },
  };
  process.on('message', (m: Record<string, unknown>) => {
    if (m.type === 'stop') {
      void stop();
      return;
    }
    void Promise.resolve()
      .then(() => all[String(m.type)]?.(m))
      .then(
        (result) => process.send?.({ id: m.id, result }),
        (err: unknown) => process.send?.({ id: m.id, error: String(err) }),
      );
  });
  process.on('disconnect', () => void stop());
  process.send?.({ type: 'ready', ...ready });
}
