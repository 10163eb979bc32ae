/**
 * Delivery measurement shared by the fan-out scenarios: messages whose text carries their send
 * time, sent open-loop at a fixed rate; each frame's latency is its receive time minus that
 * (one clock: the clients and the sender are this process). Delivered counts each message once
 * per socket.
 */
import { performance } from 'node:perf_hooks';
import type { RawData } from 'ws';
import { summarise, wallNow } from './stats.js';
import { sleep } from './run.js';

const TEXT = /"text":"fan (\w+) (\d+) ([\d.]+)"/;

export class Phase {
  readonly latencies: number[] = [];
  delivered = 0;
  duplicates = 0;
  /** Frames that are not this phase's Message frames (late ones of an earlier phase, marks…). */
  stray = 0;
  private readonly seen: Uint8Array;
  private resolveDone!: () => void;
  private readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));

  constructor(
    readonly tag: string,
    readonly sockets: number,
    readonly count: number,
  ) {
    this.seen = new Uint8Array(sockets * count);
  }

  get expected(): number {
    return this.sockets * this.count;
  }

  /** The text of message `seq`, carrying its send start time. */
  text(seq: number, sentAt: number): string {
    return `fan ${this.tag} ${seq} ${sentAt}`;
  }

  onFrame(socket: number, data: RawData, receivedAt: number): void {
    const match = TEXT.exec((data as Buffer).toString('utf8'));
    const seq = Number(match?.[2]);
    if (!match || match[1] !== this.tag || !(seq < this.count)) {
      this.stray++;
      return;
    }
    const slot = socket * this.count + seq;
    if (this.seen[slot]) {
      this.duplicates++;
      return;
    }
    this.seen[slot] = 1;
    this.latencies.push(receivedAt - Number(match[3]));
    if (++this.delivered === this.expected) this.resolveDone();
  }

  /** Resolves when every expected frame arrived, or at `deadline` (performance.now()). */
  async settle(deadline: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.done,
      new Promise((r) => (timer = setTimeout(r, Math.max(0, deadline - performance.now())))),
    ]);
    clearTimeout(timer);
  }

  summary() {
    return { ...summarise(this.latencies), deliveredRatio: this.delivered / this.expected };
  }
}

/**
 * Sends `phase.count` messages at `rate` per second, open loop (a slow answer does not delay the
 * next send), then waits for their frames (at most `drainMs` after the last send).
 * `post(seq, sentAt)` starts one send. Returns how late the latest send started (ms).
 */
export async function runPhase(
  phase: Phase,
  rate: number,
  post: (seq: number, sentAt: number) => Promise<unknown>,
  drainMs: number,
): Promise<{ lateMs: number }> {
  let failure: Error | undefined;
  const inFlight: Promise<unknown>[] = [];
  const start = performance.now();
  let lateMs = 0;
  for (let seq = 0; seq < phase.count && failure === undefined; seq++) {
    const due = start + (seq * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    lateMs = Math.max(lateMs, performance.now() - due);
    inFlight.push(
      post(seq, wallNow()).catch((err: unknown) => {
        failure ??= err instanceof Error ? err : new Error(String(err));
      }),
    );
  }
  const lastSend = performance.now();
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  await phase.settle(lastSend + drainMs);
  return { lateMs };
}
