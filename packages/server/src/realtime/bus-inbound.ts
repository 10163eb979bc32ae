/**
 * What an engine bus (Redis, NATS) hears, made into the stream the hub expects. The engines are
 * fire-and-forget fan-out (Redis pub/sub, core NATS): the outbox in PostgreSQL is the log. So a
 * subscriber checks two things itself, per relayed batch (outbox-relay.ts):
 *
 * - duplicates: the relay is at-least-once (a leader that dies between publishing and saving
 *   how far it got, or two leaders for a moment, publish rows again). Outbox ids reach every
 *   instance in ascending order, so an id at or below the highest one heard was heard already.
 * - gaps: each batch names the last id relayed before it (`a`). A batch that follows an id this
 *   instance never heard means something was published and lost on the way (the engine
 *   restarted, dropped a slow subscriber, trimmed…): the stream is no longer whole, `resync`.
 *
 * Wire format (JSON text): `{"a":after,"r":[[id,event],…]}` for a relayed batch,
 * `{"x":event}` for an ephemeral event (Typing), which has no id and no place in the order.
 */
import type { Logger } from '../logger.js';
import type { BusEvent, BusStats, OutboxBatch } from './bus.js';

/** The text of one relayed batch: the payloads are JSON already, so no parse and re-serialise. */
export function encodeBatch(batch: OutboxBatch): string {
  let text = `{"a":${batch.after},"r":[`;
  batch.rows.forEach(([id, payload], i) => {
    text += `${i === 0 ? '' : ','}[${id},${payload}]`;
  });
  return `${text}]}`;
}

export function encodeEphemeral(event: BusEvent): string {
  return JSON.stringify({ x: event });
}

/** The most bytes one published message carries (NATS's default max_payload is 1 MiB). */
export const MAX_MESSAGE_BYTES = 256 * 1024;

/** Splits a batch into batches whose text stays under {@link MAX_MESSAGE_BYTES}, chained. */
export function splitBatch(batch: OutboxBatch): OutboxBatch[] {
  const out: OutboxBatch[] = [];
  let after = batch.after;
  let rows: (readonly [number, string])[] = [];
  let bytes = 0;
  for (const row of batch.rows) {
    const size = row[1].length + 24;
    if (rows.length > 0 && bytes + size > MAX_MESSAGE_BYTES) {
      out.push({ after, rows });
      after = rows[rows.length - 1]![0];
      rows = [];
      bytes = 0;
    }
    rows.push(row);
    bytes += size;
  }
  if (rows.length > 0) out.push({ after, rows });
  return out;
}

interface Envelope {
  a?: number;
  r?: [number, BusEvent][];
  x?: BusEvent;
}

export class StreamInbound {
  /** The highest outbox id heard. */
  private highest = 0;
  /** True until the first batch after a (re)connect: what came before was resynced already. */
  private isFresh = true;

  constructor(
    private readonly stats: BusStats,
    private readonly logger: Logger,
    private readonly emitEvent: (event: BusEvent) => void,
    private readonly emitResync: () => void,
  ) {}

  /** The connection came (back): whatever was missed is covered by the `resync` said then. */
  reconnected(): void {
    this.isFresh = true;
  }

  /** One message from the engine. */
  accept(text: string): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(text) as Envelope;
    } catch (err) {
      this.logger.warn({ err }, 'ignoring a malformed bus message');
      return;
    }
    if (envelope.x) {
      this.emitEvent(envelope.x);
      return;
    }
    if (typeof envelope.a !== 'number' || !Array.isArray(envelope.r)) {
      this.logger.warn('ignoring a bus message that is neither a batch nor ephemeral');
      return;
    }
    if (!this.isFresh && envelope.a > this.highest) {
      this.stats.gaps++;
      this.logger.warn(
        { after: envelope.a, heard: this.highest },
        'the bus skipped relayed events: asking sockets to resync',
      );
      this.emitResync();
    }
    this.isFresh = false;
    for (const [id, event] of envelope.r) {
      if (id <= this.highest) {
        this.stats.duplicates++;
        continue;
      }
      this.highest = id;
      this.stats.notifications++;
      this.emitEvent(event);
    }
  }
}
