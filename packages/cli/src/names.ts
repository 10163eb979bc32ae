/**
 * Names for people: who sent a message, what a chat is called. Loaded from two cheap requests
 * (me, chats) made at once; anyone else is looked up by id (`resolve`, at most 100 ids a
 * request) before their name is needed, and remembered. A failure only means ids are shown.
 * Names and titles come out safe to print (one line, controls shown: @msgr/safe-text), a bot's
 * with ` [bot]` after it (known from a lookup: a direct chat's title does not say).
 */
import { safeLine } from '@msgr/safe-text';
import type { ChatSummary, MessengerClient, User } from '@msgr/sdk';
import { BOT_MARK } from './format.js';

/** The most ids one `users({ ids })` request may carry. */
export const IDS_PER_REQUEST = 100;

export class Directory {
  /** Ids already asked for (found or not), so nobody is looked up twice. */
  private readonly asked = new Set<number>();
  /** The users known to be bots (`is_bot`). */
  private readonly bots = new Set<number>();

  private constructor(
    private readonly client: MessengerClient,
    private readonly signal: AbortSignal | undefined,
    private readonly users: Map<number, string>,
    private chats: Map<number, ChatSummary>,
    /** Who is logged in, when known. */
    readonly me: User | undefined,
  ) {}

  /** Loads what it can (`knownChats`: the chat list, when the caller has it); never throws. */
  static async load(
    client: MessengerClient,
    signal?: AbortSignal,
    knownChats?: ChatSummary[],
  ): Promise<Directory> {
    const [me, chats] = await Promise.all([
      quiet(client.me({ signal })),
      knownChats ?? quiet(client.chats({ signal })),
    ]);
    const names = new Map<number, string>();
    if (me) names.set(me.id, me.name);
    const directory = new Directory(client, signal, names, new Map(), me);
    if (me?.is_bot) directory.bots.add(me.id);
    directory.addChats(chats ?? []);
    return directory;
  }

  /** Reads the chat list again (a chat showed up that it does not know); never throws. */
  async reloadChats(): Promise<void> {
    const chats = await quiet(this.client.chats({ signal: this.signal }));
    if (chats) this.addChats(chats);
  }

  /**
   * Looks up, by id, the users among `ids` whose names are not known yet: one request per 100
   * of them. An id the server does not know is not asked again; one whose request failed is, the
   * next time. Never throws (the ids it could not name stay `user <id>`).
   */
  async resolve(ids: Iterable<number>): Promise<void> {
    const wanted = [...new Set(ids)].filter((id) => !this.users.has(id) && !this.asked.has(id));
    if (wanted.length === 0) return;
    for (const id of wanted) this.asked.add(id);
    const batches: number[][] = [];
    for (let i = 0; i < wanted.length; i += IDS_PER_REQUEST) {
      batches.push(wanted.slice(i, i + IDS_PER_REQUEST));
    }
    const found = await Promise.all(
      batches.map((batch) => quiet(this.client.users({ ids: batch, signal: this.signal }))),
    );
    found.forEach((users, i) => {
      if (!users) for (const id of batches[i]!) this.asked.delete(id);
      for (const u of users ?? []) {
        this.users.set(u.id, u.name);
        if (u.is_bot) this.bots.add(u.id);
      }
    });
  }

  /** A user's name (a bot's with ` [bot]` after it), else `user <id>`; safe to print. */
  userName(id: number): string {
    const name = this.users.get(id);
    if (name === undefined) return `user ${id}`;
    return this.bots.has(id) ? `${safeLine(name)} ${BOT_MARK}` : safeLine(name);
  }

  /** Whether the chat was in the list when it (re)loaded. */
  hasChat(id: number): boolean {
    return this.chats.has(id);
  }

  /** A chat's title, else `chat <id>`; safe to print. */
  chatTitle(id: number): string {
    const title = this.chats.get(id)?.title;
    return title === undefined ? `chat ${id}` : safeLine(title);
  }

  /** A group's owner, when the chat is known. */
  ownerOf(chatId: number): number | undefined {
    return this.chats.get(chatId)?.owner_id;
  }

  /** Keeps up with a known chat's changes (a rename, a new owner) seen live. */
  updateChat(chatId: number, change: Partial<Pick<ChatSummary, 'title' | 'owner_id'>>): void {
    const chat = this.chats.get(chatId);
    if (chat) this.chats.set(chatId, { ...chat, ...change });
  }

  private addChats(chats: ChatSummary[]): void {
    this.chats = new Map(chats.map((c) => [c.chat_id, c]));
    // A direct chat's title is the peer's name: no lookup needed for them.
    for (const c of chats) {
      if (c.kind === 'direct' && c.peer_user_id != null && !this.users.has(c.peer_user_id)) {
        this.users.set(c.peer_user_id, c.title);
      }
    }
  }
}

function quiet<T>(p: Promise<T>): Promise<T | undefined> {
  return p.catch(() => undefined);
}
