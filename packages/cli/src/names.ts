/**
 * Names for people: who sent a message, what a chat is called. Built from three cheap requests
 * (me, chats, the first page of users) made at once; a failure only means ids are shown instead.
 */
import type { ChatSummary, MessengerClient, User } from '@msgr/sdk';

export class Directory {
  private constructor(
    private readonly users: Map<number, string>,
    private readonly chats: Map<number, ChatSummary>,
    /** Who is logged in, when known. */
    readonly me: User | undefined,
  ) {}

  /** Loads what it can (`knownChats`: the chat list, when the caller has it); never throws. */
  static async load(
    client: MessengerClient,
    signal?: AbortSignal,
    knownChats?: ChatSummary[],
  ): Promise<Directory> {
    const quiet = <T>(p: Promise<T>) => p.catch(() => undefined);
    const [me, chats, users] = await Promise.all([
      quiet(client.me({ signal })),
      knownChats ?? quiet(client.chats({ signal })),
      quiet(client.users({ limit: 100, signal })),
    ]);
    const names = new Map<number, string>();
    for (const u of users ?? []) names.set(u.id, u.name);
    // A direct chat's title is the peer's name: this also covers users beyond the first page.
    for (const c of chats ?? []) {
      if (c.kind === 'direct' && c.peer_user_id != null) names.set(c.peer_user_id, c.title);
    }
    if (me) names.set(me.id, me.name);
    return new Directory(names, new Map((chats ?? []).map((c) => [c.chat_id, c])), me);
  }

  /** A user's name, else `user <id>`. */
  userName(id: number): string {
    return this.users.get(id) ?? `user ${id}`;
  }

  /** Whether the chat was in the list when it loaded. */
  hasChat(id: number): boolean {
    return this.chats.has(id);
  }

  /** A chat's title, else `chat <id>`. */
  chatTitle(id: number): string {
    return this.chats.get(id)?.title ?? `chat ${id}`;
  }
}
