/**
 * A small model of the server for the reducer's "converges" tests: chats, messages, read
 * pointers and reactions, changed by other people and by me on another device. Every change
 * appends the events I would get (contract v1.2: one log of every change; never the events of
 * the TUI's own device, which makes none here), and `summaries()` / `history()` answer what
 * `GET /chats` and `GET /history` would answer me now. Ids of messages and chats come from one
 * sequence, as the server's log seqs do.
 */
import type { ChatSummary, Message, SubscriptionEvent, User } from '@msgr/sdk';

interface ModelMessage {
  id: number;
  chatId: number;
  senderId: number;
  text: string;
  editedAt: string | null;
  deleted: boolean;
  /** Who reacted with each emoji, in the order they did. */
  reactions: Map<string, number[]>;
}

interface ModelChat {
  chatId: number;
  kind: 'direct' | 'group';
  groupId?: number;
  name?: string;
  ownerId?: number;
  /** Member → read pointer. */
  pointers: Map<number, number>;
  createdAt: number;
  messages: ModelMessage[];
}

export class LogModel {
  /** What my TUI would be sent, in log order, since `events` was last emptied. */
  events: SubscriptionEvent[] = [];
  private seq = 0;
  private readonly chats = new Map<number, ModelChat>();

  constructor(
    private readonly me: User,
    private readonly users: User[],
  ) {}

  /** A direct chat between me and `peer` (it exists from its first message on the server). */
  direct(peerId: number): number {
    const chatId = ++this.seq;
    this.chats.set(chatId, {
      chatId,
      kind: 'direct',
      pointers: new Map([
        [this.me.id, 0],
        [peerId, 0],
      ]),
      createdAt: chatId,
      messages: [],
    });
    return chatId;
  }

  /** A group made by `ownerId`; everyone in it gets `MembersChanged` (added: all). */
  group(name: string, ownerId: number, memberIds: number[]): number {
    const chatId = ++this.seq;
    const members = [ownerId, ...memberIds.filter((id) => id !== ownerId)];
    this.chats.set(chatId, {
      chatId,
      kind: 'group',
      groupId: chatId + 1000,
      name,
      ownerId,
      pointers: new Map(members.map((id) => [id, 0])),
      createdAt: chatId,
      messages: [],
    });
    this.toMembers(chatId, {
      type: 'MembersChanged',
      chat_id: chatId,
      group_id: chatId + 1000,
      added: [...members].sort((a, b) => a - b),
      removed: [],
      owner_id: ownerId,
    });
    return chatId;
  }

  send(chatId: number, senderId: number, text: string): Message {
    const chat = this.chat(chatId);
    const m: ModelMessage = {
      id: ++this.seq,
      chatId,
      senderId,
      text,
      editedAt: null,
      deleted: false,
      reactions: new Map(),
    };
    chat.messages.push(m);
    const wire = { ...this.wire(m), reactions: [] };
    this.toMembers(chatId, { type: 'Message', message: wire });
    return this.wire(m);
  }

  edit(messageId: number, text: string): void {
    const m = this.message(messageId);
    m.text = text;
    m.editedAt = `2025-02-01T00:00:${String(++this.seq % 60).padStart(2, '0')}.000Z`;
    this.toMembers(m.chatId, {
      type: 'MessageEdited',
      message: { ...this.wire(m), reactions: [] },
    });
  }

  delete(messageId: number): void {
    const m = this.message(messageId);
    m.deleted = true;
    m.text = '';
    m.reactions.clear();
    this.seq++;
    this.toMembers(m.chatId, {
      type: 'MessageDeleted',
      chat_id: m.chatId,
      message_id: messageId,
    });
  }

  react(messageId: number, userId: number, emoji: string, isAdded = true): void {
    const m = this.message(messageId);
    const who = m.reactions.get(emoji) ?? [];
    if (isAdded === who.includes(userId)) return; // idempotent: no event
    const next = isAdded ? [...who, userId] : who.filter((id) => id !== userId);
    if (next.length === 0) m.reactions.delete(emoji);
    else m.reactions.set(emoji, next);
    this.seq++;
    this.toMembers(m.chatId, {
      type: 'Reaction',
      chat_id: m.chatId,
      message_id: messageId,
      emoji,
      user_id: userId,
      added: isAdded,
    });
  }

  rename(chatId: number, name: string): void {
    const chat = this.chat(chatId);
    chat.name = name;
    this.seq++;
    this.toMembers(chatId, { type: 'ChatUpdated', chat_id: chatId, group_id: chat.groupId!, name });
  }

  /** Someone added later starts with their pointer at the chat's newest message. */
  add(chatId: number, userIds: number[]): void {
    const chat = this.chat(chatId);
    const latest = chat.messages.at(-1)?.id ?? 0;
    for (const id of userIds) chat.pointers.set(id, latest);
    this.seq++;
    this.toMembers(chatId, this.membersChanged(chat, userIds, []));
  }

  /** The one who is removed gets the event too, as their last of the chat. */
  remove(chatId: number, userId: number): void {
    const chat = this.chat(chatId);
    // The owner leaving: the member who joined earliest is the owner now.
    if (chat.ownerId === userId)
      chat.ownerId = [...chat.pointers.keys()].find((id) => id !== userId);
    const wasRead = this.readIds(chat);
    this.seq++;
    this.toMembers(chatId, this.membersChanged(chat, [], [userId]));
    chat.pointers.delete(userId);
    // My messages only they had not read are read by all now: `Read`, with no reader.
    if (chat.pointers.has(this.me.id)) this.readsOfMine(chat, wasRead, []);
  }

  /**
   * `readerId` reads up to `messageId`: my own messages this made read by all bring me `Read`;
   * my own read (on another device) brings me `ReadMarker`.
   */
  read(chatId: number, readerId: number, messageId: number): void {
    const chat = this.chat(chatId);
    const old = chat.pointers.get(readerId)!;
    if (messageId <= old) return;
    const wasRead = this.readIds(chat);
    chat.pointers.set(readerId, messageId);
    this.seq++;
    this.readsOfMine(chat, wasRead, [readerId]);
    if (readerId === this.me.id) {
      this.events.push({ type: 'ReadMarker', chat_id: chatId, message_id: messageId });
    }
  }

  /** `GET /chats` for me: most recent activity first. */
  summaries(): ChatSummary[] {
    const mine = [...this.chats.values()].filter((c) => c.pointers.has(this.me.id));
    const activity = (c: ModelChat) => c.messages.at(-1)?.id ?? c.createdAt;
    mine.sort((a, b) => activity(b) - activity(a) || b.chatId - a.chatId);
    return mine.map((c) => {
      const pointer = c.pointers.get(this.me.id)!;
      const memberIds = [...c.pointers.keys()].sort((a, b) => a - b);
      const last = c.messages.at(-1);
      const peer = memberIds.find((id) => id !== this.me.id);
      const unread = c.messages.filter(
        (m) => m.id > pointer && m.senderId !== this.me.id && !m.deleted,
      ).length;
      return {
        chat_id: c.chatId,
        kind: c.kind,
        title: c.kind === 'group' ? c.name! : this.users.find((u) => u.id === peer)!.name,
        ...(c.kind === 'group'
          ? { group_id: c.groupId!, owner_id: c.ownerId! }
          : { peer_user_id: peer! }),
        member_ids: memberIds,
        ...(last ? { last_message: this.wire(last) } : {}),
        unread_count: unread,
        unread_mentions: 0,
        // The model's user never changes a level (notifications.test.ts in the server does).
        notifications: { level: 'all', muted_until: null },
      };
    });
  }

  /** `GET /history/{chat}`: the newest `limit` messages, ascending. */
  history(chatId: number, limit = 50): Message[] {
    return this.chat(chatId)
      .messages.slice(-limit)
      .map((m) => this.wire(m));
  }

  /** Takes the events logged so far (what a reconnect replays). */
  drain(): SubscriptionEvent[] {
    const taken = this.events;
    this.events = [];
    return taken;
  }

  private membersChanged(chat: ModelChat, added: number[], removed: number[]): SubscriptionEvent {
    return {
      type: 'MembersChanged',
      chat_id: chat.chatId,
      group_id: chat.groupId!,
      added,
      removed,
      owner_id: chat.ownerId!,
    };
  }

  /** An event of the chat reaches me while I am one of its members. */
  private toMembers(chatId: number, event: SubscriptionEvent): void {
    if (this.chat(chatId).pointers.has(this.me.id)) this.events.push(event);
  }

  private readIds(chat: ModelChat): Set<number> {
    return new Set(chat.messages.filter((m) => this.isRead(chat, m)).map((m) => m.id));
  }

  /** One `Read` to me per message of mine that became read by all since `wasRead`. */
  private readsOfMine(chat: ModelChat, wasRead: Set<number>, readerIds: number[]): void {
    for (const m of chat.messages) {
      if (m.senderId === this.me.id && !wasRead.has(m.id) && this.isRead(chat, m)) {
        this.events.push({
          type: 'Read',
          chat_id: chat.chatId,
          message_id: m.id,
          reader_ids: readerIds,
        });
      }
    }
  }

  private isRead(chat: ModelChat, m: ModelMessage): boolean {
    return [...chat.pointers].every(([id, p]) => id === m.senderId || p >= m.id);
  }

  private wire(m: ModelMessage): Message {
    const reactions = [...m.reactions].map(([emoji, who]) => ({
      emoji,
      count: who.length,
      me: who.includes(this.me.id),
    }));
    return {
      id: m.id,
      chat_id: m.chatId,
      sender_id: m.senderId,
      text: m.text,
      timestamp: new Date(Date.UTC(2025, 0, 1, 12, 0, m.id % 60)).toISOString(),
      is_read: this.isRead(this.chat(m.chatId), m),
      edited_at: m.editedAt,
      deleted: m.deleted,
      reply_to: null,
      reactions: reactions.sort((a, b) => b.count - a.count),
      attachments: [],
      mentions: [],
      mention_all: false,
      thread_id: null,
      thread: null,
    };
  }

  private chat(chatId: number): ModelChat {
    const chat = this.chats.get(chatId);
    if (!chat) throw new Error(`the model holds no chat ${chatId}`);
    return chat;
  }

  private message(id: number): ModelMessage {
    for (const chat of this.chats.values()) {
      const m = chat.messages.find((x) => x.id === id);
      if (m) return m;
    }
    throw new Error(`the model holds no message ${id}`);
  }
}
