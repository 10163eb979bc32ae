/**
 * A stand-in for MessengerClient in the App's tests: canned answers, recorded calls, and a
 * subscription the test feeds events into.
 */
import {
  MessengerError,
  type ChatSummary,
  type Download,
  type FileObject,
  type FollowedThread,
  type Group,
  type Message,
  type MessengerClient,
  type NotifyLevel,
  type ReactionCount,
  type SendOptions,
  type SubscriptionEvent,
  type UploadOptions,
  type User,
} from '@msgr/sdk';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/** A file the fake server holds: its description, its bytes, and its thumbnail if it has one. */
export interface HeldFile {
  file: FileObject;
  bytes: Uint8Array;
  thumbnail?: Uint8Array;
}

/** A file object for the fake's tests (an image when `image` is given). */
export function fileObject(
  id: string,
  name: string,
  bytes: Uint8Array,
  {
    contentType = 'application/octet-stream',
    image = null as FileObject['image'],
    uploaderId = 2,
  } = {},
): FileObject {
  return {
    id,
    name,
    size: bytes.length,
    content_type: contentType,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    created_at: new Date(Date.UTC(2025, 0, 1, 12)).toISOString(),
    uploader_id: uploaderId,
    image,
  };
}

/** Width and height from a PNG's IHDR, as the server finds them (null: not a PNG). */
function pngSize(bytes: Uint8Array): FileObject['image'] {
  const isPng = bytes.length > 24 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e;
  if (!isPng) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

const aborted = (): MessengerError => new MessengerError(0, 'aborted', 'the upload was aborted');

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
  readonly sent: {
    to: string;
    text: string;
    operationId?: number;
    replyTo?: number;
    attachments?: string[];
    mentions?: number[];
    mentionAll?: boolean;
    threadId?: number;
  }[] = [];
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
  /**
   * Ascending, as the server: `limit` messages after `after`, just before `before`, or the
   * newest; with `threadId`, only that root and its replies.
   */
  history = (
    chatId: number,
    {
      before,
      after,
      limit = 50,
      threadId,
    }: { before?: number; after?: number; limit?: number; threadId?: number } = {},
  ): Promise<Message[]> => {
    this.historyCalls.push({
      chatId,
      before,
      after,
      limit,
      ...(threadId === undefined ? {} : { threadId }),
    });
    const all = (this.data.history[chatId] ?? []).filter(
      (m) => threadId === undefined || m.id === threadId || m.thread_id === threadId,
    );
    if (after !== undefined)
      return Promise.resolve(all.filter((m) => m.id > after).slice(0, limit));
    const older = all.filter((m) => before === undefined || m.id < before);
    return Promise.resolve(older.slice(Math.max(0, older.length - limit)));
  };
  readonly historyCalls: {
    chatId: number;
    before?: number;
    after?: number;
    limit: number;
    threadId?: number;
  }[] = [];
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

  /** Recorded as `['editMessage', id, text]`, and whom it names when it names someone. */
  editMessage = (
    messageId: number,
    text: string,
    { mentions = [], mentionAll = false }: { mentions?: number[]; mentionAll?: boolean } = {},
  ): Promise<Message> => {
    const names = mentions.length > 0 || mentionAll ? [{ mentions, mentionAll }] : [];
    return this.v11(['editMessage', messageId, text, ...names], () => ({
      ...this.find(messageId),
      text,
      mentions,
      mention_all: mentionAll,
      edited_at: new Date().toISOString(),
    }));
  };
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
  /** The followed threads with unread replies `unreadThreads()` answers. */
  threadsWithUnread: FollowedThread[] = [];
  unreadThreads = (): Promise<FollowedThread[]> =>
    this.v11(['unreadThreads'], () => this.threadsWithUnread);
  markThreadRead = (rootId: number, messageId: number) =>
    this.v11(['markThreadRead', rootId, messageId], () => ({
      root_id: rootId,
      last_read_message_id: messageId,
    }));
  setNotifications = (chatId: number, level: NotifyLevel, { until }: { until?: string } = {}) =>
    this.v11(['setNotifications', chatId, level], () => ({
      chat_id: chatId,
      level,
      muted_until: until ?? null,
    }));
  renameGroup = (groupId: number, name: string): Promise<Group> =>
    this.v11(['renameGroup', groupId, name], () =>
      this.changeGroup(groupId, (c) => ({ ...c, title: name })),
    );

  /** The files it holds by id: what was uploaded, and what a test puts there (others' files). */
  readonly files = new Map<string, HeldFile>();
  /** Every finished upload, in order. */
  readonly uploads: { path?: string; name: string; size: number }[] = [];
  /** While set, an upload waits for it halfway (after reporting half its bytes). */
  uploadGate: Promise<void> | undefined;
  /** While set, uploads reject with it halfway. */
  uploadError: Error | undefined;
  /** Every `download()` and `thumbnail()` call, in order: `['download', id]`… */
  readonly fileCalls: [string, string][] = [];
  private nextFile = 0;

  /** Holds `held` as the server would (a file someone attached). */
  hold(held: HeldFile): void {
    this.files.set(held.file.id, held);
  }

  /** As the SDK: a path or bytes; progress 0, half, all; aborted by the signal at any time. */
  upload = async (
    source: string | Uint8Array,
    { name, onProgress, signal }: UploadOptions = {},
  ): Promise<FileObject> => {
    const bytes = typeof source === 'string' ? new Uint8Array(await fs.readFile(source)) : source;
    const total = bytes.length;
    onProgress?.(0, total);
    onProgress?.(Math.floor(total / 2), total);
    if (this.uploadGate) {
      await new Promise<void>((resolve, reject) => {
        if (signal?.aborted) reject(aborted());
        signal?.addEventListener('abort', () => reject(aborted()), { once: true });
        void this.uploadGate!.then(resolve);
      });
    }
    if (signal?.aborted) throw aborted();
    if (this.uploadError) throw this.uploadError;
    onProgress?.(total, total);
    const fileName = name ?? (typeof source === 'string' ? path.basename(source) : 'file');
    const image = pngSize(bytes);
    const file = fileObject(`file${++this.nextFile}`, fileName, bytes, {
      contentType: image ? 'image/png' : 'application/octet-stream',
      image,
      uploaderId: this.data.me.id,
    });
    this.files.set(file.id, { file, bytes });
    this.uploads.push({
      ...(typeof source === 'string' ? { path: source } : {}),
      name: fileName,
      size: total,
    });
    return file;
  };

  download = (fileId: string): Promise<Download> => {
    this.fileCalls.push(['download', fileId]);
    const held = this.files.get(fileId);
    if (!held) return Promise.reject(new MessengerError(404, 'file_not_found', 'no such file'));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        // Two chunks, as a network would bring them.
        const half = Math.floor(held.bytes.length / 2);
        controller.enqueue(held.bytes.slice(0, half));
        controller.enqueue(held.bytes.slice(half));
        controller.close();
      },
    });
    return Promise.resolve({
      body,
      status: 200,
      size: held.bytes.length,
      totalSize: held.bytes.length,
      contentType: held.file.content_type,
      name: held.file.name,
      sha256: held.file.sha256,
    });
  };

  thumbnail = (fileId: string): Promise<Uint8Array> => {
    this.fileCalls.push(['thumbnail', fileId]);
    const thumbnail = this.files.get(fileId)?.thumbnail;
    return thumbnail
      ? Promise.resolve(thumbnail)
      : Promise.reject(new MessengerError(404, 'thumbnail_unavailable', 'not an image'));
  };

  fileInfo = (fileId: string): Promise<FileObject> => {
    const held = this.files.get(fileId);
    return held
      ? Promise.resolve(held.file)
      : Promise.reject(new MessengerError(404, 'file_not_found', 'no such file'));
  };

  private v11<T>(call: unknown[], answer: () => T): Promise<T> {
    this.calls.push(call);
    return this.callError ? Promise.reject(this.callError) : Promise.resolve(answer());
  }

  private find(messageId: number): Message {
    const found = [...Object.values(this.data.history).flat(), ...this.answered].find(
      (m) => m.id === messageId,
    );
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

  private answer(
    to: string,
    text: string,
    { operationId, replyTo, attachments, mentions, mentionAll, threadId }: SendOptions,
  ): Message {
    this.sent.push({
      to,
      text,
      ...(operationId === undefined ? {} : { operationId }),
      ...(replyTo === undefined ? {} : { replyTo }),
      ...(attachments === undefined ? {} : { attachments }),
      ...(mentions === undefined ? {} : { mentions }),
      ...(mentionAll === undefined ? {} : { mentionAll }),
      ...(threadId === undefined ? {} : { threadId }),
    });
    const chat = this.data.chats.find(
      (c) => `user:${c.peer_user_id}` === to || `group:${c.group_id}` === to,
    );
    const message: Message = {
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
      attachments: (attachments ?? []).map((id) => this.files.get(id)!.file),
      mentions: mentions ?? [],
      mention_all: mentionAll ?? false,
      thread_id: threadId ?? null,
      thread: null,
    };
    this.answered.push(message);
    return message;
  }
  /** The messages sends answered (edits find them too). */
  private readonly answered: Message[] = [];

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
