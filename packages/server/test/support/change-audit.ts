/**
 * The audit of changes other than new messages (v1.2, one log of every change), beside the
 * message audit of audit.ts and over the same three logs:
 *
 * - **attempted**: every change a client tried (an edit, a reaction taken or given back, a
 *   rename, a member added or removed, a read), with the event it should log;
 * - **acknowledged**: those the client saw succeed;
 * - **delivered**: the final log in the database, and every logged event each subscriber got.
 *
 * Promised: every acknowledged change is in the log; each subscriber gets every logged change it
 * should (what `/sync` answers it from where it started, once the faults are over), each once,
 * and nothing else. Changes are made unique (texts, emoji and names carry the scenario and a
 * counter; every member added is a new person), so an event's content is its identity.
 */
import pg from 'pg';

export type ChangeKind = 'edit' | 'react' | 'unreact' | 'rename' | 'add' | 'remove' | 'read';

/** A logged event as the SDK yields it (no seq, no mark). */
export type AnyEvent = { type: string } & Record<string, any>;

/** The identity of a logged change (never of a Message: the message audit has those). */
export function changeKey(e: AnyEvent): string | undefined {
  switch (e.type) {
    case 'MessageEdited':
      return `MessageEdited ${e.message.id} ${e.message.text}`;
    case 'MessageDeleted':
      return `MessageDeleted ${e.message_id}`;
    case 'Reaction':
      return `Reaction ${e.message_id} ${e.emoji} ${e.user_id} ${e.added}`;
    case 'MembersChanged':
      return `MembersChanged ${e.chat_id} +${e.added.join(',')} -${e.removed.join(',')} owner ${e.owner_id}`;
    case 'ChatUpdated':
      return `ChatUpdated ${e.chat_id} ${e.name}`;
    case 'Read':
      return `Read ${e.message_id}`;
    case 'ReadMarker':
      return `ReadMarker ${e.chat_id} ${e.message_id}`;
    default:
      return undefined;
  }
}

interface ChangeRecord {
  label: string;
  kind: ChangeKind;
  /** The event it should log; undefined when it may log none (a read may not move a pointer). */
  key: string | undefined;
  tries: number;
  isAcknowledged: boolean;
  failures: string[];
}

export interface ChangeCounts {
  /** Changes attempted (each once, however many tries). */
  changesAttempted: number;
  /** Changes the client saw succeed. */
  changesAcknowledged: number;
  /** Logged changes (every kind but Message) in the database at the end. */
  changesDelivered: number;
  /** Acknowledged but not logged, plus every (subscriber, change) it should have and did not get. */
  changesLost: number;
  /** Every repeat of a change a subscriber got. */
  changesDuplicated: number;
  /** Changes a subscriber got that the log does not hold for it. Must be 0. */
  changesForeign: number;
  /** Changes the subscribers received, all together (repeats included). */
  changesReceived: number;
}

const EXAMPLES = 6;
const show = (items: string[]) =>
  items.length > EXAMPLES
    ? `${items.slice(0, EXAMPLES).join('; ')}; … (${items.length} in all)`
    : items.join('; ');

export class ChangeAudit {
  private readonly changes = new Map<string, ChangeRecord>();
  private readonly expectations = new Map<string, () => Promise<AnyEvent[]>>();
  private readonly expected = new Map<string, Set<string>>();
  private readonly inbox = new Map<string, string[]>();
  private logged = new Set<string>();

  /** A change (`id` unique in the scenario) is tried, again or for the first time. */
  attempt(id: string, change: { label: string; kind: ChangeKind; key: string | undefined }): void {
    const existing = this.changes.get(id);
    if (existing) existing.tries++;
    else this.changes.set(id, { ...change, tries: 1, isAcknowledged: false, failures: [] });
  }

  acknowledged(id: string): void {
    this.mustGet(id).isAcknowledged = true;
  }

  failed(id: string, err: unknown): void {
    const e = err as { status?: number; code?: string; message?: string };
    this.mustGet(id).failures.push(
      e.status !== undefined ? `${e.status} ${e.code ?? ''}`.trim() : String(e.message ?? err),
    );
  }

  /**
   * Declares a subscriber whose every logged change is audited; `expect` asks the server (once
   * the faults are over) for every event it should have got since it started.
   */
  subscriber(label: string, expect: () => Promise<AnyEvent[]>): void {
    this.expectations.set(label, expect);
    if (!this.inbox.has(label)) this.inbox.set(label, []);
  }

  /** An event `label` got (messages are ignored here). */
  received(label: string, event: AnyEvent): void {
    const key = changeKey(event);
    if (key === undefined) return;
    const list = this.inbox.get(label);
    if (list) list.push(key);
  }

  /** Reads the log's changes from the database, and what each subscriber should have. */
  async readLog(databaseUrl: string): Promise<void> {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ frame: string }>(
        `SELECT frame FROM events WHERE type <> 'Message'`,
      );
      this.logged = new Set(
        rows.map((r) => changeKey(JSON.parse(r.frame) as AnyEvent)).filter((k) => k !== undefined),
      );
    } finally {
      await client.end();
    }
    for (const [label, expect] of this.expectations) {
      const keys = (await expect()).map(changeKey).filter((k) => k !== undefined);
      this.expected.set(label, new Set(keys));
    }
  }

  /** Takes the final log as given (what `readLog` reads; for the audit's own tests). */
  useLog(logged: AnyEvent[], expected: Record<string, AnyEvent[]>): void {
    this.logged = new Set(logged.map(changeKey).filter((k) => k !== undefined));
    for (const [label, events] of Object.entries(expected)) {
      this.expected.set(label, new Set(events.map(changeKey).filter((k) => k !== undefined)));
    }
  }

  private missingFor(label: string): string[] {
    const got = new Set(this.inbox.get(label));
    return [...(this.expected.get(label) ?? [])].filter((k) => !got.has(k));
  }

  /** True once every subscriber has every change it should (after `readLog`). */
  isDrained(): boolean {
    return [...this.expectations.keys()].every((l) => this.missingFor(l).length === 0);
  }

  check(): { counts: ChangeCounts; problems: string[] } {
    const problems: string[] = [];
    const records = [...this.changes.values()];
    const acked = records.filter((c) => c.isAcknowledged);
    const unlogged = acked.filter((c) => c.key !== undefined && !this.logged.has(c.key));
    if (unlogged.length) {
      problems.push(
        `changes acknowledged but not in the log (${unlogged.length}): ${show(unlogged.map((c) => `${c.label} ${c.kind}: ${c.key}`))}`,
      );
    }
    let lost = unlogged.length;
    let duplicated = 0;
    let foreign = 0;
    let received = 0;
    for (const label of this.expectations.keys()) {
      const inbox = this.inbox.get(label) ?? [];
      received += inbox.length;
      const counts = new Map<string, number>();
      for (const k of inbox) counts.set(k, (counts.get(k) ?? 0) + 1);
      const repeated = [...counts].filter(([, n]) => n > 1);
      const missing = this.missingFor(label);
      const expected = this.expected.get(label) ?? new Set();
      const strangers = [...counts.keys()].filter((k) => !expected.has(k));
      lost += missing.length;
      duplicated += repeated.reduce((n, [, c]) => n + c - 1, 0);
      foreign += strangers.length;
      if (missing.length) {
        problems.push(
          `${label} is missing ${missing.length} of ${expected.size} changes: ${show(missing)}`,
        );
      }
      if (repeated.length) {
        problems.push(
          `${label} got changes twice: ${show(repeated.map(([k, n]) => `${k} ×${n}`))}`,
        );
      }
      if (strangers.length) {
        problems.push(`${label} got changes the log does not hold for it: ${show(strangers)}`);
      }
    }
    return {
      counts: {
        changesAttempted: records.length,
        changesAcknowledged: acked.length,
        changesDelivered: this.logged.size,
        changesLost: lost,
        changesDuplicated: duplicated,
        changesForeign: foreign,
        changesReceived: received,
      },
      problems,
    };
  }

  /** How failed tries were spelled (for the record). */
  failureKinds(): Record<string, number> {
    const kinds: Record<string, number> = {};
    for (const c of this.changes.values()) {
      for (const f of c.failures)
        kinds[`change threw: ${f}`] = (kinds[`change threw: ${f}`] ?? 0) + 1;
    }
    return kinds;
  }

  private mustGet(id: string): ChangeRecord {
    const record = this.changes.get(id);
    if (!record) throw new Error(`no change attempted as ${id}`);
    return record;
  }
}
