/**
 * Progress that arrives faster than a screen wants it: at most one call per interval, and the
 * latest value is never lost (it goes out when the interval ends).
 */
export interface Throttled<A extends unknown[]> {
  (...args: A): void;
  /** Sends what waits now, and stops the timer (call it in a `finally`). */
  flush(): void;
  /** Drops what waits, and stops the timer. */
  cancel(): void;
}

/** `call` at most every `ms` milliseconds: the first at once, the latest after each pause. */
export function throttle<A extends unknown[]>(
  call: (...args: A) => void,
  ms: number,
): Throttled<A> {
  let last = 0;
  let waiting: A | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const send = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!waiting) return;
    const args = waiting;
    waiting = undefined;
    last = Date.now();
    call(...args);
  };
  const throttled = (...args: A): void => {
    waiting = args;
    const wait = last + ms - Date.now();
    if (wait <= 0) send();
    else timer ??= setTimeout(send, wait);
  };
  throttled.flush = send;
  throttled.cancel = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    waiting = undefined;
  };
  return throttled;
}
