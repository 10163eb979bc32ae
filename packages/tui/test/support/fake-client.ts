/**
 * A stand-in for MessengerClient in the App's tests: canned answers, recorded calls, and a
 * subscription the test feeds events into.
 */
import type {
  ChatSummary,
  Message,
  MessengerClient,
  SendOptions,
  SubscriptionEvent,
  User,
} from '@msgr/sdk';

export class FakeSubscription implements AsyncIterable<SubscriptionEvent> {
  readonly typed: number[] = [];
  private readonly queue: SubscriptionEvent[] = [];
  private wake: (() => void) | undefined;
  isClosed = false;

  push(...events: SubscriptionEvent[]): void {
    this.queue.push(...events);
    this.wake?.();
  }

  typing(chatId?: number): void {
    if (chatId !== undefined) this.typed.push(chatId);
  }

  close(): void {
    this.isClosed = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<SubscriptionEvent> {
    while (!this.isClosed) {
      const event = this.queue.shift();
      if (event) yield event;
      else await new Promise<void>((r) => (this.wake = r));
    }
  }
}

export interface FakeData {
  me: User;
  chats: ChatSummary[];
  users: User[];
  history: Record<number, Message[]>;
}

export class FakeClient {
  readonly subscriptions: FakeSubscription[] = [];
  readonly sent: { to: string; text: string; operationId?: number }[] = [];
  readonly reads: number[] = [];
  subscribedAfter: number | undefined;
  /** While set, sends reject with it (and are not recorded as sent). */
  sendError: Error | undefined;
  private nextId = 1000;

  constructor(private readonly data: FakeData) {}

  me = (): Promise<User> => Promise.resolve(this.data.me);
  chats = (): Promise<ChatSummary[]> => Promise.resolve(this.data.chats);
  /** The ids of every `users({ ids })` call, in order. */
  readonly lookups: number[][] = [];
  /** While set, lookups by id wait for it (so a test sees `user #id` first). */
  lookupGate: Promise<void> | undefined;

  users = async ({ query = '', ids }: { query?: string; ids?: number[] } = {}): Promise<User[]> => {
    if (ids) {
      this.lookups.push(ids);
      await this.lookupGate;
      return this.data.users.filter((u) => ids.includes(u.id));
    }
    return this.data.users.filter((u) => u.name.toLowerCase().startsWith(query.toLowerCase()));
  };
  history = (chatId: number, { before }: { before?: number } = {}): Promise<Message[]> =>
    Promise.resolve(
      (this.data.history[chatId] ?? []).filter((m) => before === undefined || m.id < before),
    );
  markRead = (id: number) => {
    this.reads.push(id);
    return Promise.resolve({ chat_id: 0, last_read_message_id: id });
  };

  sendToUser = (userId: number, text: string, options: SendOptions = {}): Promise<Message> =>
    this.sendError
      ? Promise.reject(this.sendError)
      : Promise.resolve(this.answer(`user:${userId}`, text, options.operationId));
  sendToGroup = (groupId: number, text: string, options: SendOptions = {}): Promise<Message> =>
    this.sendError
      ? Promise.reject(this.sendError)
      : Promise.resolve(this.answer(`group:${groupId}`, text, options.operationId));

  subscribe = ({ after }: { after?: number } = {}): FakeSubscription => {
    this.subscribedAfter = after;
    const subscription = new FakeSubscription();
    this.subscriptions.push(subscription);
    return subscription;
  };

  private answer(to: string, text: string, operationId?: number): Message {
    this.sent.push(operationId === undefined ? { to, text } : { to, text, operationId });
    const chat = this.data.chats.find(
      (c) => `user:${c.peer_user_id}` === to || `group:${c.group_id}` === to,
    );
    return {
      id: ++this.nextId,
      chat_id: chat?.chat_id ?? 999,
      sender_id: this.data.me.id,
      text,
      timestamp: new Date().toISOString(),
      is_read: false,
      edited_at: null,
      deleted: false,
      reply_to: null,
      reactions: [],
    };
  }

  asClient(): MessengerClient {
    return this as unknown as MessengerClient;
  }
}

/** Polls `check` until it holds (or fails the test after `ms`). */
export async function waitFor(check: () => boolean, what: () => string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting; last frame:\n${what()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
