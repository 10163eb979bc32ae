/**
 * Coalesces items that arrive close together into one flush: a burst of subscription events
 * becomes one reducer dispatch and one frame, not one frame per message.
 */
export interface Batcher<T> {
  push(item: T): void;
  /** Flushes what is waiting now. */
  flush(): void;
  /** Drops the timer; what is waiting is flushed first. */
  close(): void;
}

/** Flushes `windowMs` after the first item of a burst (default 30 ms: about two frames). */
export function createBatcher<T>(onFlush: (items: T[]) => void, windowMs = 30): Batcher<T> {
  let items: T[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (items.length === 0) return;
    const batch = items;
    items = [];
    onFlush(batch);
  };
  return {
    push(item) {
      items.push(item);
      timer ??= setTimeout(flush, windowMs);
    },
    flush,
    close: flush,
  };
}
