/** Test support: what a subscription yields, kept for assertions. */
import type { Subscription, SubscriptionEvent } from '../../src/index.js';

/** A subscription's events as they arrive, with waits that have a deadline. */
export class EventLog {
  readonly events: SubscriptionEvent[] = [];
  /** Set when the iteration threw (the subscription ended with an error). */
  failure: unknown;
  private isEnded = false;
  private listeners: (() => void)[] = [];

  constructor(readonly subscription: Subscription) {
    void (async () => {
      try {
        for await (const event of subscription) this.add(event);
      } catch (err) {
        this.failure = err;
      } finally {
        this.isEnded = true;
        this.notify();
      }
    })();
  }

  /** The events other than connection states. */
  get changes(): Exclude<SubscriptionEvent, { type: 'State' }>[] {
    return this.events.flatMap((e) => (e.type === 'State' ? [] : [e]));
  }

  /** Events of these types, in order. */
  ofTypes(...types: SubscriptionEvent['type'][]): SubscriptionEvent[] {
    return this.events.filter((e) => types.includes(e.type));
  }

  /** Resolves once `predicate` holds for the events so far; rejects after `timeoutMs`. */
  until(predicate: (events: SubscriptionEvent[]) => boolean, timeoutMs = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (predicate(this.events)) {
          done();
          resolve();
        } else if (this.isEnded) {
          done();
          reject(new Error(`the subscription ended (${String(this.failure)}); ${this.describe()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out; got ${this.describe()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
      };
      this.listeners.push(check);
      check();
    });
  }

  /** Resolves once the subscription has ended (closed or failed). */
  ended(timeoutMs = 15_000): Promise<void> {
    if (this.isEnded) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`never ended; ${this.describe()}`)),
        timeoutMs,
      );
      this.listeners.push(() => {
        if (!this.isEnded) return;
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Connected: live from here on. */
  open(): Promise<void> {
    return this.until((events) => events.some((e) => e.type === 'State' && e.state === 'open'));
  }

  close(): void {
    this.subscription.close();
  }

  /** Forgets the events so far: what the test looks at starts here. */
  clear(): void {
    this.events.length = 0;
  }

  private add(event: SubscriptionEvent): void {
    this.events.push(event);
    this.notify();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private describe(): string {
    return JSON.stringify(this.changes);
  }
}
