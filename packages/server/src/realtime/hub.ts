/**
 * The instance's socket registry and fan-out. Bus events are handled strictly in arrival (commit)
 * order, in batches: one read of the messages per batch, one serialisation per event, and the
 * same string written to every local socket that should get it.
 */
import type { RawData } from 'ws';
import type { Database } from '../db/database.js';
import * as R from '../db/realtime-queries.js';
import { toMessage } from '../domain/messages.js';
import type { Logger } from '../logger.js';
import type { Actor, Bus, BusEvent } from './bus.js';
import type { Connection } from './connection.js';
import type { SocketLeases } from './leases.js';
import { ClientFrame, CloseCode, type Position, type ServerFrame } from './protocol.js';

/** What a socket asks to have replayed before it goes live. */
export type Resume = { after: number } | { position: Position } | undefined;

const REPLAY_PAGE = 500;
/** Chats whose members are cached (then the cache starts over). */
const MEMBER_CACHE_MAX = 50_000;
/** At most one Typing per user and chat in this interval is relayed. */
const TYPING_EVERY_MS = 2000;

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}

/**
 * A frame as the bytes every socket is sent: serialised and UTF-8 encoded once per event, then
 * the same Buffer is written to every local socket (a string would be measured and encoded
 * again for each of them).
 */
function frame(f: ServerFrame): Buffer {
  return Buffer.from(JSON.stringify(f));
}

/** The device that caused an event does not get it back (the sender's other devices do). */
function isActor(s: Connection, actor: Actor): boolean {
  return s.user.userId === actor.u && s.user.clientId === actor.c;
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}

export class RealtimeHub {
  /** Sockets of /ws/{chat_id}, by chat. */
  private readonly byChat = new Map<number, Set<Connection>>();
  /** Sockets of /ws (every chat of their user), by user. */
  private readonly allChatsByUser = new Map<number, Set<Connection>>();
  /** Every registered socket, by user. */
  private readonly byUser = new Map<number, Set<Connection>>();
  /** Every open socket, registered or still waiting for its lease: heartbeat and shutdown. */
  private readonly sockets = new Set<Connection>();
  private isClosed = false;
  /** The last stream mark heard (see stream-marks.ts); undefined until one is. */
  private mark: number | undefined;
  private readonly members = new Map<number, readonly number[]>();
  /** Per chat, how many membership changes this instance has heard (see membersOf). */
  private readonly generations = new Map<number, number>();
  private readonly lastTyping = new Map<string, number>();
  private queue: BusEvent[] = [];
  private isDraining = false;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly db: Database,
    private readonly bus: Bus,
    private readonly logger: Logger,
    private readonly leases: SocketLeases,
    heartbeatMs: number,
  ) {
    bus.on('event', (e) => this.enqueue(e));
    bus.on('resync', () => this.restartStream());
    this.heartbeat = setInterval(() => this.beat(), heartbeatMs);
    this.heartbeat.unref();
  }

  get socketCount(): number {
    return this.sockets.size;
  }

  /**
   * Members of a chat, cached. Every instance hears each membership change in the stream
   * (MembersChanged) and forgets the chat then; a read that was under way at that moment may
   * have seen the old members, so it is not kept (the chat's generation moved on).
   */
  async membersOf(chatId: number): Promise<readonly number[]> {
    const cached = this.members.get(chatId);
    if (cached) return cached;
    const generation = this.generations.get(chatId) ?? 0;
    const rows = await this.db.query<{ user_id: number }>(R.chatMembers, [chatId]);
    const ids = rows.map((r) => r.user_id);
    if ((this.generations.get(chatId) ?? 0) !== generation) return ids;
    if (this.members.size >= MEMBER_CACHE_MAX) this.members.clear();
    if (ids.length > 0) this.members.set(chatId, ids);
    return ids;
  }

  private forgetMembers(chatId: number): void {
    this.members.delete(chatId);
    this.generations.set(chatId, (this.generations.get(chatId) ?? 0) + 1);
    if (this.generations.size > MEMBER_CACHE_MAX) this.generations.clear();
  }

  /**
   * Registers a socket, once it holds a lease of the user's cap (counted on every instance;
   * over it the socket is closed with 4429); then replays what it asks for, if anything.
   */
  async add(conn: Connection, resume: Resume): Promise<void> {
    const max = this.leases.maxPerUser;
    const refuse = () =>
      conn.close(CloseCode.TooManyConnections, `at most ${max} sockets per user`);
    if (this.isClosed) return conn.close(CloseCode.GoingAway, 'server shutting down');
    this.sockets.add(conn);
    // Frames may arrive in the same tick as open: listen before the first await.
    conn.ws.on('close', () => this.remove(conn));
    conn.ws.on('message', (data, isBinary) => {
      void this.onClientFrame(conn, data, isBinary).catch((err: unknown) => {
        conn.log.warn({ err }, 'client frame failed');
      });
    });
    if ((this.byUser.get(conn.user.userId)?.size ?? 0) >= max) return refuse();
    // Subscribe at once, before any await: the client may act as soon as it sees `open`, and
    // what it causes must reach it (a resuming socket holds live events until its replay).
    addTo(this.byUser, conn.user.userId, conn);
    if (conn.chatId === undefined) addTo(this.allChatsByUser, conn.user.userId, conn);
    else addTo(this.byChat, conn.chatId, conn);
    // Over the user's cap (counted on every instance) it ends here, with 4429.
    if (!(await this.leases.claim(conn.id, conn.user.userId))) {
      this.remove(conn);
      return refuse();
    }
    conn.hasLease = true;
    if (!conn.isOpen) return this.remove(conn);
    if (this.isClosed) return conn.close(CloseCode.GoingAway, 'server shutting down');
    // A fresh /ws subscription starts at the mark this instance last heard (or the last one
    // published, before it has heard any); what it was sent meanwhile is above it or delivered.
    if (conn.chatId === undefined && resume === undefined) {
      conn.deliver(frame({ type: 'Subscribed', mark: await this.currentMark() }));
    }
    if (resume !== undefined) await this.replay(conn, resume);
  }

  /** The mark heard last, or the last one published (a fresh instance has heard none). */
  private async currentMark(): Promise<number> {
    if (this.mark !== undefined) return this.mark;
    const [row] = await this.db.query<{ up_to: number }>(R.storedMark);
    return this.mark ?? row?.up_to ?? 0;
  }

  private remove(conn: Connection): void {
    conn.dispose();
    this.sockets.delete(conn);
    if (conn.hasLease) {
      conn.hasLease = false;
      this.leases.release(conn.id);
    }
    removeFrom(this.byUser, conn.user.userId, conn);
    if (conn.chatId === undefined) removeFrom(this.allChatsByUser, conn.user.userId, conn);
    else removeFrom(this.byChat, conn.chatId, conn);
  }

  /**
   * Replays, in id order, what a resuming socket lacks. On /ws each frame carries the mark it
   * reaches: every id up to the frame's has then been sent (or was the client's already), as
   * long as it is at most the mark this instance had heard when the replay began (later ones
   * may still commit).
   */
  private async replay(conn: Connection, resume: NonNullable<Resume>): Promise<void> {
    const isAll = conn.chatId === undefined;
    const from = 'after' in resume ? resume.after : resume.position.mark;
    // On /ws (after= too), replayed frames carry marks and the replay ends with Subscribed.
    const heard = isAll ? Math.max(from, this.mark ?? from) : undefined;
    let cursor = from;
    for (;;) {
      const rows = isAll
        ? await this.db.query<R.LiveMessageRow>(R.replayAll, [
            conn.user.userId,
            cursor,
            conn.user.clientId,
            REPLAY_PAGE,
          ])
        : await this.db.query<R.LiveMessageRow>(R.replayChat, [
            conn.chatId,
            cursor,
            conn.user.userId,
            conn.user.clientId,
            REPLAY_PAGE,
          ]);
      if (!conn.isOpen) return;
      for (const row of rows) {
        const mark = heard === undefined ? undefined : Math.min(row.id, heard);
        conn.replay(frame({ type: 'Message', message: toMessage(row), mark }), {
          chatId: row.chat_id,
          id: row.id,
        });
      }
      if (rows.length < REPLAY_PAGE) break;
      cursor = rows[rows.length - 1]!.id;
    }
    conn.finishReplay(heard === undefined ? undefined : frame({ type: 'Subscribed', mark: heard }));
  }

  /** Local sockets subscribed to `chatId`: its own sockets, and /ws sockets of its members. */
  private socketsOf(chatId: number, members: readonly number[]): Connection[] {
    const result: Connection[] = [...(this.byChat.get(chatId) ?? [])];
    for (const userId of members) {
      const set = this.allChatsByUser.get(userId);
      if (set) result.push(...set);
    }
    return result;
  }

  private enqueue(event: BusEvent): void {
    this.queue.push(event);
    if (!this.isDraining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.isDraining = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        try {
          await this.deliverBatch(batch);
        } catch (err) {
          // Events of this batch may be lost for local sockets: tell them to resume.
          this.logger.error({ err }, 'delivering events failed: asking sockets to resync');
          this.restartStream();
        }
      }
    } finally {
      this.isDraining = false;
    }
  }

  /**
   * Delivers a batch in arrival (commit) order. The reads come first (members, messages);
   * then one synchronous pass decides who gets what, so a socket registered at any moment
   * either is a target of an event or registered after it — the marks stamped on frames rely
   * on that.
   */
  private async deliverBatch(batch: BusEvent[]): Promise<void> {
    let members = new Map<number, readonly number[]>();
    let byId = new Map<number, R.LiveMessageRow>();
    if (this.sockets.size > 0) {
      const chats = new Set<number>();
      const ids: number[] = [];
      for (const e of batch) {
        if (e.t !== 'Mark') chats.add(e.chat_id);
        if (e.t === 'Message' || e.t === 'MessageEdited') ids.push(e.id);
      }
      // Whatever sockets are registered now: one may register while these reads run.
      members = new Map(
        await Promise.all([...chats].map(async (c) => [c, await this.membersOf(c)] as const)),
      );
      const rows = ids.length ? await this.db.query<R.LiveMessageRow>(R.messagesByIds, [ids]) : [];
      byId = new Map(rows.map((r) => [r.id, r]));
    }
    for (const e of batch) {
      if (e.t === 'Mark') {
        this.mark = Math.max(this.mark ?? 0, e.up_to);
        continue;
      }
      if (e.t === 'MembersChanged') {
        // Before and after the change: added users hear of it, removed ones last of all.
        const before = members.get(e.chat_id) ?? [];
        const after = [...before.filter((u) => !e.removed.includes(u)), ...e.added];
        members.set(e.chat_id, after);
        this.forgetMembers(e.chat_id);
        const text = frame({
          type: 'MembersChanged',
          chat_id: e.chat_id,
          group_id: e.group_id,
          added: e.added,
          removed: e.removed,
          owner_id: e.owner_id,
        });
        // (The members read for this batch may already lack the removed: they get it anyway.)
        const told = [...new Set([...before, ...e.removed, ...e.added])];
        const sockets = this.socketsOf(e.chat_id, told);
        for (const s of sockets) if (!isActor(s, e.by)) s.deliver(text);
        for (const s of this.byChat.get(e.chat_id) ?? []) {
          if (e.removed.includes(s.user.userId)) {
            s.close(CloseCode.Forbidden, 'you are no longer a member of this chat');
          }
        }
        continue;
      }
      const sockets = this.socketsOf(e.chat_id, members.get(e.chat_id) ?? []);
      if (sockets.length === 0) continue;
      const toAllBut = (actor: Actor, f: ServerFrame) => {
        const text = frame(f);
        for (const s of sockets) if (!isActor(s, actor)) s.deliver(text);
      };
      switch (e.t) {
        case 'Message': {
          const row = byId.get(e.id);
          if (!row) break;
          const text = frame({ type: 'Message', message: toMessage(row), mark: this.mark });
          for (const s of sockets) {
            // Not back to the device that sent it; the sender's other devices do get it.
            if (isActor(s, { u: row.sender_id, c: row.sender_client_id })) continue;
            s.deliver(text, { chatId: row.chat_id, id: row.id });
          }
          break;
        }
        case 'Read': {
          const own = sockets.filter((s) => s.user.userId === e.sender_id);
          const readers = e.reader_id === undefined ? [] : [e.reader_id];
          for (const id of e.ids) {
            const text = frame({
              type: 'Read',
              chat_id: e.chat_id,
              message_id: id,
              reader_ids: readers,
            });
            for (const s of own) s.deliver(text);
          }
          break;
        }
        case 'Typing': {
          const text = frame({ type: 'Typing', chat_id: e.chat_id, user_id: e.user_id });
          for (const s of sockets) if (s.user.userId !== e.user_id) s.deliver(text);
          break;
        }
        case 'ChatUpdated':
          toAllBut(e.by, {
            type: 'ChatUpdated',
            chat_id: e.chat_id,
            group_id: e.group_id,
            name: e.name,
          });
          break;
        case 'MessageEdited': {
          const row = byId.get(e.id);
          if (row) toAllBut(e.by, { type: 'MessageEdited', message: toMessage(row) });
          break;
        }
        case 'MessageDeleted':
          toAllBut(e.by, { type: 'MessageDeleted', chat_id: e.chat_id, message_id: e.id });
          break;
        case 'Reaction':
          toAllBut(e.by, {
            type: 'Reaction',
            chat_id: e.chat_id,
            message_id: e.id,
            emoji: e.emoji,
            user_id: e.by.u,
            added: e.added,
          });
          break;
      }
    }
  }

  /**
   * Events may have been missed (the listener reconnected, or a batch failed): marks heard
   * from now on would claim what was missed, so every socket is told to resume from its
   * position (`Resync`) and closed (1012), and marks count again from the next one heard.
   */
  private restartStream(): void {
    this.mark = undefined;
    const text = frame({ type: 'Resync' });
    for (const s of this.sockets) {
      s.deliver(text);
      s.close(CloseCode.ServiceRestart, 'resync: resume from your position');
    }
  }

  private async onClientFrame(conn: Connection, data: RawData, isBinary: boolean): Promise<void> {
    const reply = (f: ServerFrame) => conn.deliver(frame(f));
    if (!conn.frameBudget.take()) {
      conn.close(CloseCode.PolicyViolation, 'too many frames');
      return;
    }
    let parsed: ClientFrame;
    try {
      if (isBinary) throw new Error('binary');
      const result = ClientFrame.safeParse(JSON.parse(rawText(data)));
      if (!result.success) {
        reply({
          type: 'Error',
          code: 'unknown_frame',
          detail: 'expected {"type":"Ping"} or {"type":"Typing","chat_id":…}',
        });
        return;
      }
      parsed = result.data;
    } catch {
      reply({ type: 'Error', code: 'malformed_frame', detail: 'frames are JSON text' });
      return;
    }
    if (parsed.type === 'Ping') {
      reply({ type: 'Pong' });
      return;
    }
    // Past a few a second, typing says nothing new: dropped before any lookup.
    if (!conn.typingBudget.take()) return;
    const chatId = parsed.chat_id ?? conn.chatId;
    if (chatId === undefined) {
      reply({ type: 'Error', code: 'validation_failed', detail: 'Typing needs chat_id on /ws' });
      return;
    }
    if (!(await this.membersOf(chatId)).includes(conn.user.userId)) {
      reply({ type: 'Error', code: 'chat_forbidden', detail: 'you are not a member of this chat' });
      return;
    }
    const key = `${conn.user.userId}:${chatId}`;
    const now = Date.now();
    if (now - (this.lastTyping.get(key) ?? 0) < TYPING_EVERY_MS) return;
    this.lastTyping.set(key, now);
    if (this.lastTyping.size > 10_000) this.lastTyping.clear();
    // Ephemeral: straight onto the bus, never through the outbox.
    await this.bus.publishEphemeral({ t: 'Typing', chat_id: chatId, user_id: conn.user.userId });
  }

  private beat(): void {
    const now = Date.now();
    for (const s of this.sockets) {
      if (!s.isAlive) {
        s.ws.terminate();
        continue;
      }
      s.isAlive = false;
      s.ws.ping();
      s.checkBackPressure(now);
    }
  }

  /** Closes every socket with 1001 (going away); sockets that arrive later get the same. */
  close(): void {
    this.isClosed = true;
    clearInterval(this.heartbeat);
    for (const s of this.sockets) s.close(CloseCode.GoingAway, 'server shutting down');
  }
}
