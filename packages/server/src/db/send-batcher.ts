/**
 * Coalesced sends (README, "Coalesced sends"): sends that arrive within the same turn of
 * the event loop, or while earlier batches are in flight, go to PostgreSQL together, as one
 * `msgr_send_batch` statement: one round trip and one commit (one WAL flush) for all of them.
 * Each send keeps its own outcome: msgr_send runs for each in a subtransaction of its own, so a
 * send that raises is undone alone; replays, conflicts, refusals and limits are msgr_send's,
 * unchanged, and so is exactly-once across instances (the operation id's claim is msgr_send's).
 *
 * A send waits while a batch holding a send to the same chat is at PostgreSQL: it would only wait
 * there for that batch's lock on the chat (and keep a connection), so it joins the next batch
 * instead, and a chat every sender writes to goes to PostgreSQL one batch at a time. (A hook's
 * posts and the group's own are told apart, as two chats: those still wait in PostgreSQL.)
 *
 * A lone send runs as the one-statement `msgr_send` it always was. A send of a batch that waited
 * too long for a lock another batch held, or was chosen to end a deadlock between batches, was
 * undone entirely: it is sent again on its own, outside the batches' slots. A statement out for
 * longer than a batch's lock wait (200 ms) gives up its slot, so sends held by a chat that
 * another transaction holds never hold up the instance's sends to other chats.
 */
import type { SendStats } from '../metrics.js';
import type { Database } from './database.js';
import * as M from './messages-queries.js';

/** As long as a send of a batch waits for a lock (msgr_send_batch.sql's `lock_timeout`). */
const SLOT_MS = 200;

/** SQLSTATEs of a send undone for another batch's sake: lock_not_available, deadlock_detected. */
const SEND_AGAIN = new Set(['55P03', '40P01']);

export interface SendBatcherOptions {
  /** The most sends in one statement; 1 turns coalescing off (every send its own statement). */
  maxBatch: number;
  /** Batches in flight at once: the rest wait and grow. Keep it under the pool's size. */
  maxInFlight: number;
}

interface Pending {
  values: unknown[];
  chat: string;
  resolve: (row: M.SendRow) => void;
  reject: (err: unknown) => void;
}

/** The error msgr_send raised for one send of a batch, shaped as node-postgres reports one. */
export class BatchedSendError extends Error {
  constructor(
    readonly code: string | null,
    readonly constraint: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

export class SendBatcher {
  readonly stats: SendStats = { statements: 0, batched: 0, sentAgain: 0, waiting: 0 };
  private queue: Pending[] = [];
  private inFlight = 0;
  /** Chats with sends at PostgreSQL, and how many. */
  private readonly busyChats = new Map<string, number>();
  private isScheduled = false;

  constructor(
    private readonly db: Pick<Database, 'query'>,
    private readonly options: SendBatcherOptions,
  ) {}

  /**
   * msgr_send's row for `values` (those of `M.send`, see domain/messages.ts `sendValues`);
   * `chat` names the chat it writes to (domain/messages.ts `chatKeyOf`).
   */
  send(values: unknown[], chat: string): Promise<M.SendRow> {
    if (this.options.maxBatch <= 1) return this.sendAlone(values);
    return new Promise((resolve, reject) => {
      this.stats.waiting = this.queue.push({ values, chat, resolve, reject });
      this.schedule();
    });
  }

  /** After this turn's other sends have joined the queue, unless every slot is busy. */
  private schedule(): void {
    if (this.isScheduled || this.inFlight >= this.options.maxInFlight) return;
    this.isScheduled = true;
    setImmediate(() => {
      this.isScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.queue.length > 0 && this.inFlight < this.options.maxInFlight) {
      const batch = this.take();
      if (batch.length === 0) return; // the rest wait for their chats' batches
      this.inFlight++;
      // A statement out longer than a batch's lock wait is waiting for a lock held elsewhere,
      // not using the database: its slot goes to the sends behind it, which may be for other
      // chats, so that a held chat never holds up the instance's other sends.
      let isFree = false;
      const free = () => {
        if (isFree) return;
        isFree = true;
        clearTimeout(timer);
        this.inFlight--;
        if (this.queue.length > 0) this.schedule();
      };
      const timer = setTimeout(free, SLOT_MS);
      void this.run(batch, free).finally(() => this.release(batch));
    }
  }

  /** The next batch, in arrival order: up to maxBatch sends whose chats no batch holds. */
  private take(): Pending[] {
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    for (const p of this.queue) {
      if (batch.length < this.options.maxBatch && !this.busyChats.has(p.chat)) batch.push(p);
      else rest.push(p);
    }
    this.queue = rest;
    this.stats.waiting = rest.length;
    for (const p of batch) this.busyChats.set(p.chat, (this.busyChats.get(p.chat) ?? 0) + 1);
    return batch;
  }

  /** The batch is back: the sends waiting for its chats may go. */
  private release(batch: Pending[]): void {
    for (const p of batch) {
      const held = (this.busyChats.get(p.chat) ?? 1) - 1;
      if (held > 0) this.busyChats.set(p.chat, held);
      else this.busyChats.delete(p.chat);
    }
    if (this.queue.length > 0) this.schedule();
  }

  /** Sends `batch`; calls `free` once its statement is back (its slot is free then). */
  private async run(batch: Pending[], free: () => void): Promise<void> {
    if (batch.length === 1) {
      const [only] = batch as [Pending];
      await this.sendAlone(only.values).then(only.resolve, only.reject).finally(free);
      return;
    }
    this.stats.statements++;
    this.stats.batched += batch.length;
    let rows: M.SendBatchRow[];
    try {
      rows = await this.db.query<M.SendBatchRow>(M.sendBatch, [
        JSON.stringify(batch.map((p) => p.values)),
      ]);
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    } finally {
      free();
    }
    const answered = new Set<Pending>();
    const again: Pending[] = [];
    for (const row of rows) {
      const p = batch[row.ord];
      if (!p || answered.has(p)) continue;
      answered.add(p);
      if (row.status !== 'error') p.resolve(row as M.SendRow);
      else if (row.err_code !== null && SEND_AGAIN.has(row.err_code)) again.push(p);
      else {
        p.reject(
          new BatchedSendError(
            row.err_code,
            row.err_constraint ?? undefined,
            row.err_message ?? 'msgr_send failed',
          ),
        );
      }
    }
    for (const p of batch) {
      if (!answered.has(p)) p.reject(new Error('msgr_send_batch answered no row for a send'));
    }
    this.stats.sentAgain += again.length;
    // Outside the slots: each may wait for its lock as long as a lone send would.
    for (const p of again) void this.sendAlone(p.values).then(p.resolve, p.reject);
  }

  private async sendAlone(values: unknown[]): Promise<M.SendRow> {
    this.stats.statements++;
    const [row] = await this.db.query<M.SendRow>(M.send, values);
    if (!row) throw new Error('msgr_send answered no row');
    return row;
  }
}
