/**
 * A stand-in for MessengerClient in the App's tests: canned answers, recorded calls, and a
 * subscription the test feeds events into.
 */
import type {
  ChatSummary,
  Group,
  Message,
  MessengerClient,
  ReactionCount,
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
  readonly sent: { to: string; text: string; operationId?: number; replyTo?: number }[] = [];
  /** Every v1.1 call, in order: `['editMessage', 5, 'new text']`… */
  readonly calls: unknown[][] = [];
  /** While set, the v1.1 calls reject with it (and are still recorded). */
  callError: Error | undefined;
  readonly reads: number[] = [];
  subscribedAfter: number | undefined;
  subscribedFrom: string | undefined;
  /** While set, sends reject with it (and are not recorded as sent). */
  sendError: Error | undefined;
  private nextId = 1000;

  constructor(private readonly data: FakeData) {}

  /** The position of now that `sync()` answers (where the subscription starts). */
  position = '4242';
  /** How many times the chat list was read. */
  chatsCalls = 0;

  me = (): Promise<User> => Promise.resolve(this.data.me);
  chats = (): Promise<ChatSummary[]> => {
    this.chatsCalls++;
    return Promise.resolve(this.data.chats);
  };
  /** Without a position: no events and the position of now, as the server answers. */
  sync = (): Promise<{ events: never[]; position: string }> =>
    Promise.resolve({ events: [], position: this.position });
  /** Replaces what later `chats()` and `history()` answer (the server changed meanwhile). */
  serve(data: Partial<FakeData>): void {
    Object.assign(this.data, data);
  }
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
  /** Ascending, as the server: `limit` messages after `after`, just before `before`, or the newest. */
  history = (
    chatId: number,
    { before, after, limit = 50 }: { before?: number; after?: number; limit?: number } = {},
  ): Promise<Message[]> => {
    this.historyCalls.push({ chatId, before, after, limit });
    const all = this.data.history[chatId] ?? [];
    if (after !== undefined)
      return Promise.resolve(all.filter((m) => m.id > after).slice(0, limit));
    const older = all.filter((m) => before === undefined || m.id < before);
    return Promise.resolve(older.slice(Math.max(0, older.length - limit)));
  };
  readonly historyCalls: { chatId: number; before?: number; after?: number; limit: number }[] = [];
  /** Errors the next `markRead` calls reject with, one each (the read is still recorded). */
  readonly markReadErrors: Error[] = [];
  markRead = (id: number) => {
    this.reads.push(id);
    const error = this.markReadErrors.shift();
    if (error) return Promise.reject(error);
    return Promise.resolve({ chat_id: 0, last_read_message_id: id });
  };

  sendToUser = (userId: number, text: string, options: SendOptions = {}): Promise<Message> =>
    this.sendError
      ? Promise.reject(this.sendError)
      : Promise.resolve(this.answer(`user:${userId}`, text, options));
  sendToGroup = (groupId: number, text: string, options: SendOptions = {}): Promise<Message> =>
    this.sendError
      ? Promise.reject(this.sendError)
      : Promise.resolve(this.answer(`group:${groupId}`, text, options));

  /** Messages whose words start with every word of `q`, newest first (as the server). */
  search = (
    q: string,
    { before, limit = 20 }: { before?: number; limit?: number; chatId?: number } = {},
  ): Promise<Message[]> => {
    this.calls.push(['search', q, before]);
    const words = q.toLowerCase().split(/\s+/).filter(Boolean);
    const hits = Object.values(this.data.history)
      .flat()
      .filter((m) => !m.deleted && (before === undefined || m.id < before))
      .filter((m) => {
        const have = m.text.toLowerCase().split(/\W+/);
        return words.every((w) => have.some((h) => h.startsWith(w)));
      })
      .sort((a, b) => b.id - a.id);
    return Promise.resolve(hits.slice(0, limit));
  };

  editMessage = (messageId: number, text: string): Promise<Message> =>
    this.v11(['editMessage', messageId, text], () => ({
      ...this.find(messageId),
      text,
      edited_at: new Date().toISOString(),
    }));
  deleteMessage = (messageId: number): Promise<void> =>
    this.v11(['deleteMessage', messageId], () => undefined);
  react = (messageId: number, emoji: string) =>
    this.v11(['react', messageId, emoji], () => this.reactions(messageId, emoji, true));
  unreact = (messageId: number, emoji: string) =>
    this.v11(['unreact', messageId, emoji], () => this.reactions(messageId, emoji, false));
  addMembers = (groupId: number, userIds: number[]): Promise<Group> =>
    this.v11(['addMembers', groupId, userIds], () =>
      this.changeGroup(groupId, (c) => ({ ...c, member_ids: [...c.member_ids, ...userIds] })),
    );
  removeMember = (groupId: number, userId: number): Promise<void> =>
    this.v11(['removeMember', groupId, userId], () => {
      this.changeGroup(groupId, (c) => ({
        ...c,
        member_ids: c.member_ids.filter((id) => id !== userId),
      }));
    });
  leaveGroup = (groupId: number): Promise<void> =>
    this.v11(['leaveGroup', groupId], () => undefined);
  renameGroup = (groupId: number, name: string): Promise<Group> =>
    this.v11(['renameGroup', groupId, name], () =>
      this.changeGroup(groupId, (c) => ({ ...c, title: name })),
    );

  private v11<T>(call: unknown[], answer: () => T): Promise<T> {
    this.calls.push(call);
    return this.callError ? Promise.reject(this.callError) : Promise.resolve(answer());
  }

  private find(messageId: number): Message {
    const found = Object.values(this.data.history)
      .flat()
      .find((m) => m.id === messageId);
    if (!found) throw new Error(`the fake holds no message ${messageId}`);
    return found;
  }

  private reactions(messageId: number, emoji: string, isAdding: boolean) {
    const held = this.find(messageId).reactions.filter((r) => r.emoji !== emoji);
    const reactions: ReactionCount[] = isAdding ? [...held, { emoji, count: 1, me: true }] : held;
    return { message_id: messageId, reactions };
  }

  /** Changes the group's chat summary (what later `chats()` answer) and answers the group. */
  private changeGroup(groupId: number, change: (c: ChatSummary) => ChatSummary): Group {
    this.data.chats = this.data.chats.map((c) => (c.group_id === groupId ? change(c) : c));
    return this.group(groupId);
  }

  private group(groupId: number): Group {
    const chat = this.data.chats.find((c) => c.group_id === groupId)!;
    return {
      group_id: groupId,
      chat_id: chat.chat_id,
      name: chat.title,
      creator_id: chat.owner_id ?? this.data.me.id,
      owner_id: chat.owner_id ?? this.data.me.id,
      member_ids: chat.member_ids,
    };
  }

  subscribe = ({
    after,
    position,
  }: { after?: number; position?: string } = {}): FakeSubscription => {
    this.subscribedAfter = after;
    this.subscribedFrom = position;
    const subscription = new FakeSubscription();
    this.subscriptions.push(subscription);
    return subscription;
  };

  private answer(to: string, text: string, { operationId, replyTo }: SendOptions): Message {
    this.sent.push({
      to,
      text,
      ...(operationId === undefined ? {} : { operationId }),
      ...(replyTo === undefined ? {} : { replyTo }),
    });
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
      reply_to: replyTo ?? null,
      reactions: [],
      attachments: [],
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
