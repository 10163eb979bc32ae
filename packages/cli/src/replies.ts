/**
 * The messages that replies answer, for the `↳ reply to #12 name: preview` line. A page of
 * history often holds them already; the others are read one by one (a page of history after
 * the id just below: the message itself), at most a few at a time, and remembered. A failure
 * (the message is gone from view, the server is away) only means the line shows the id alone.
 */
import type { Message, MessengerClient } from '@msgr/sdk';

/** Messages kept for later replies (watch runs for hours; the oldest are forgotten). */
const REMEMBERED = 2000;
/** Lookups in flight at once. */
const AT_ONCE = 8;

export class Replies {
  private readonly known = new Map<number, Message>();
  /** Ids looked up and not found: not asked again. */
  private readonly missing = new Set<number>();

  constructor(
    private readonly client: MessengerClient,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** Keeps `messages` (the newest state wins) so replies to them need no lookup. */
  remember(messages: Iterable<Message>): void {
    for (const m of messages) {
      this.known.delete(m.id);
      this.known.set(m.id, m);
      if (this.known.size > REMEMBERED) this.known.delete(this.known.keys().next().value!);
    }
  }

  /** A known message turned into a tombstone. */
  forget(messageId: number): void {
    const m = this.known.get(messageId);
    if (m) this.known.set(messageId, { ...m, text: '', deleted: true, reactions: [] });
  }

  /** The message `id`, when known. */
  get(id: number): Message | undefined {
    return this.known.get(id);
  }

  /** Remembers `messages`, then looks up the messages they answer that are not known; never throws. */
  async load(messages: readonly Message[]): Promise<void> {
    this.remember(messages);
    const wanted = new Map<number, number>(); // id → chat
    for (const m of messages) {
      const id = m.reply_to;
      if (id === null || m.deleted || this.known.has(id) || this.missing.has(id)) continue;
      wanted.set(id, m.chat_id);
    }
    const queue = [...wanted];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await this.lookUp(...next);
    };
    await Promise.all(Array.from({ length: Math.min(AT_ONCE, queue.length) }, worker));
  }

  private async lookUp(id: number, chatId: number): Promise<void> {
    try {
      const [found] = await this.client.history(chatId, {
        after: id - 1,
        limit: 1,
        signal: this.signal,
      });
      if (found?.id === id) this.remember([found]);
      else this.missing.add(id);
    } catch {
      // Not remembered as missing: the next reply to it tries again.
    }
  }
}
