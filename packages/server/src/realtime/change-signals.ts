/**
 * Wake-ups for `GET /sync` long-polls: a waiting poll is a promise here, not a database
 * connection. The hub, which hears every announcement of the log, wakes the users an event may
 * be for (the chat's members, or its one recipient); a woken poll reads the log again.
 */
import type { ChangeListener, ChangeSignals } from '../services.js';

class Listener implements ChangeListener {
  isFired = false;
  private resolve: (() => void) | undefined;

  constructor(
    private readonly detach: (l: Listener) => void,
    private readonly gauge: { waiting: number },
  ) {}

  fire(): void {
    this.isFired = true;
    this.resolve?.();
  }

  async until(deadline: number, signal?: AbortSignal): Promise<void> {
    if (this.isFired || signal?.aborted) return;
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => this.resolve?.();
    this.gauge.waiting++;
    try {
      await new Promise<void>((resolve) => {
        this.resolve = resolve;
        timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    } finally {
      this.gauge.waiting--;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      this.resolve = undefined;
    }
  }

  cancel(): void {
    this.detach(this);
  }
}

export class Signals implements ChangeSignals {
  private readonly byUser = new Map<number, Set<Listener>>();
  private readonly gauge = { waiting: 0 };

  /** Polls waiting now, their read done (a gauge). */
  get waiting(): number {
    return this.gauge.waiting;
  }

  /** True when someone listens (waits, or reads the log and may wait next). */
  get isListened(): boolean {
    return this.byUser.size > 0;
  }

  listen(userId: number): ChangeListener {
    const listener: Listener = new Listener((l) => {
      const set = this.byUser.get(userId);
      set?.delete(l);
      if (set?.size === 0) this.byUser.delete(userId);
    }, this.gauge);
    let set = this.byUser.get(userId);
    if (!set) this.byUser.set(userId, (set = new Set()));
    set.add(listener);
    return listener;
  }

  wake(userId: number): void {
    for (const l of this.byUser.get(userId) ?? []) l.fire();
  }

  /** Everyone: events may have been missed, or the instance is stopping. */
  wakeAll(): void {
    for (const set of this.byUser.values()) for (const l of set) l.fire();
  }
}
