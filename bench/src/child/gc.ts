/** Time this process spent in garbage collection since it started, in ms, by kind. */
import { constants, PerformanceObserver } from 'node:perf_hooks';

const spent = { minor: 0, major: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) spent.minor += entry.duration;
    else spent.major += entry.duration;
  }
}).observe({ entryTypes: ['gc'] });

export function gcMillis(): { minor: number; major: number } {
  return { ...spent };
}
