/**
 * The instance's socket registry and fan-out. Bus announcements are handled strictly in arrival
 * (commit) order, in batches: one read of the log per batch, and each event's frame — kept in
 * the log as it is sent — encoded once with its place and written to every local socket that
 * should get it (the rule of the log, migrations/006-log.ts: the chat's members of that moment,
 * never the device that caused it, its one recipient when it has one).
 */
import { CloseCode } from '../contract/frames.js';
import type { Database } from '../db/database.js';
import * as I from '../db/integrations-queries.js';
import * as L from '../db/log-queries.js';
import * as R from '../db/realtime-queries.js';
import { placed } from '../domain/log.js';
import type { Logger } from '../logger.js';
import type { Bus, BusEvent } from './bus.js';
import type { Signals } from './change-signals.js';
import { ClientFrames } from './client-frames.js';
import type { Connection, Resume } from './connection.js';
import type { SocketLeases } from './leases.js';
import { MemberCache, membersAt, type Span } from './member-cache.js';
import { frameBytes, replayLog, replayMessages } from './replay.js';

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
  readonly members: MemberCache;
  private readonly clientFrames: ClientFrames;
  private queue: BusEvent[] = [];
  private isDraining = false;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly db: Database,
    bus: Bus,
    private readonly logger: Logger,
    private readonly leases: SocketLeases,
    private readonly signals: Signals,
    heartbeatMs: number,
  ) {
    this.members = new MemberCache(db);
    this.clientFrames = new ClientFrames(this.members, bus);
    bus.on('event', (e) => this.enqueue(e));
    bus.on('resync', () => this.restartStream());
    this.heartbeat = setInterval(() => this.beat(), heartbeatMs);
    this.heartbeat.unref();
  }

  get socketCount(): number {
    return this.sockets.size;
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
      void this.clientFrames.handle(conn, data, isBinary).catch((err: unknown) => {
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
    if (resume === undefined) {
      if (conn.chatId === undefined) {
        conn.deliver(frameBytes({ type: 'Subscribed', mark: await this.currentMark() }));
      }
      return;
    }
    // The mark every replayed frame's is capped by (replay.ts): read before the first page.
    const from = 'after' in resume ? resume.after : resume.position.mark;
    const heard = Math.max(from, await this.currentMark());
    if ('position' in resume) await replayLog(this.db, conn, resume.position, heard);
    else await replayMessages(this.db, conn, from, conn.chatId === undefined ? heard : undefined);
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

  /** Local sockets of `users` subscribed to `chatId`: on /ws/{chat_id}, or on /ws. */
  private socketsOf(chatId: number, users: readonly number[]): Connection[] {
    const result: Connection[] = [];
    const own = this.byChat.get(chatId);
    if (own) {
      const isTold = new Set(users);
      for (const s of own) if (isTold.has(s.user.userId)) result.push(s);
    }
    for (const userId of users) {
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
   * Delivers a batch in arrival (commit) order. The reads come first (the events, the members
   * of their chats); then one synchronous pass decides who gets what, so a socket registered at
   * any moment either is a target of an event or registered after it — the marks stamped on
   * frames rely on that.
   */
  private async deliverBatch(batch: BusEvent[]): Promise<void> {
    const seqs = batch.flatMap((e) => (e.t === 'Log' ? e.ids : []));
    let events = new Map<number, L.EventRow>();
    let spans = new Map<number, readonly Span[]>();
    if (this.sockets.size > 0 || this.signals.isListened) {
      const rows = seqs.length ? await this.db.query<L.EventRow>(L.eventsByIds, [seqs]) : [];
      events = new Map(rows.map((r) => [r.id, r]));
      const chats = new Set(rows.map((r) => r.chat_id));
      for (const e of batch) if (e.t === 'Typing') chats.add(e.chat_id);
      // A change of members in this batch: its chat's spans are read afresh, after it.
      for (const r of rows) if (r.type === 'MembersChanged') this.members.forget(r.chat_id);
      // Whatever sockets are registered now: one may register while these reads run.
      spans = new Map(
        await Promise.all([...chats].map(async (c) => [c, await this.members.of(c)] as const)),
      );
    } else if (seqs.length > 0) {
      // Nobody here to tell, so the events go unread, and with them any change of members.
      this.members.clear();
    }
    for (const e of batch) {
      switch (e.t) {
        case 'Mark':
          this.mark = Math.max(this.mark ?? 0, e.up_to);
          break;
        case 'Typing': {
          const members = (spans.get(e.chat_id) ?? []).filter((s) => s.until_seq === null);
          const text = frameBytes({ type: 'Typing', chat_id: e.chat_id, user_id: e.user_id });
          for (const s of this.socketsOf(
            e.chat_id,
            members.map((m) => m.user_id),
          )) {
            if (s.user.userId !== e.user_id) s.deliver(text);
          }
          break;
        }
        case 'Revoked':
          for (const conn of this.byUser.get(e.user_id) ?? []) {
            const id = conn.user.tokenId;
            if (id !== undefined && (e.token_ids === null || e.token_ids.includes(id))) {
              conn.close(CloseCode.TokenRevoked, 'API token revoked');
            }
          }
          break;
        case 'Log':
          for (const seq of e.ids) {
            const row = events.get(seq);
            if (row) this.deliverEvent(row, spans.get(row.chat_id) ?? []);
          }
          break;
      }
    }
  }

  /**
   * One logged event to the local sockets (and /sync polls) that should get it: those of the
   * chat's members at its seq — a MembersChanged reaches the users it adds and removes too.
   */
  private deliverEvent(row: L.EventRow, spans: readonly Span[]): void {
    const chatId = row.chat_id;
    let told = membersAt(spans, row.id);
    if (row.type === 'MembersChanged') this.members.forget(chatId);
    if (row.recipient_id !== null) {
      told = told.includes(row.recipient_id) ? [row.recipient_id] : [];
    }
    for (const userId of told) this.signals.wake(userId);
    const sockets = this.socketsOf(chatId, told);
    if (sockets.length > 0) {
      const text = frameBytes(placed(row.frame, row.id, this.mark));
      const place = { chatId, seq: row.id, isMessage: row.type === 'Message' };
      for (const s of sockets) {
        if (row.recipient_id !== null && s.user.userId !== row.recipient_id) continue;
        // Not back to the device that caused it; the same user's other devices do get it.
        if (s.user.userId === row.actor_id && s.user.clientId === row.actor_client) continue;
        s.deliver(text, place);
      }
    }
    if (row.type !== 'MembersChanged') return;
    // A removed member's /ws/{chat_id} sockets got this last event of the chat: close them.
    const { removed } = JSON.parse(row.frame) as { removed: number[] };
    for (const s of this.byChat.get(chatId) ?? []) {
      if (removed.includes(s.user.userId)) {
        s.close(CloseCode.Forbidden, 'you are no longer a member of this chat');
      }
    }
  }

  /**
   * Events may have been missed (the listener reconnected, or a batch failed): marks heard
   * from now on would claim what was missed, so every socket is told to resume from its
   * position (`Resync`) and closed (1012), and marks count again from the next one heard.
   * Waiting polls read the log again.
   */
  private restartStream(): void {
    this.mark = undefined;
    this.members.clear();
    this.signals.wakeAll();
    const text = frameBytes({ type: 'Resync' });
    for (const s of this.sockets) {
      s.deliver(text);
      s.close(CloseCode.ServiceRestart, 'resync: resume from your position');
    }
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
    this.recheckTokens().catch((err: unknown) => {
      this.logger.warn({ err }, 'rechecking the API tokens of sockets failed');
    });
  }

  /**
   * Sockets of API tokens that no longer work are closed. A revocation closes them at once on
   * every instance (`Revoked` on the bus); this catches one whose announcement was lost.
   */
  private async recheckTokens(): Promise<void> {
    const ids = new Set<number>();
    for (const s of this.sockets) if (s.user.tokenId !== undefined) ids.add(s.user.tokenId);
    if (ids.size === 0) return;
    const rows = await this.db.query<{ id: string }>(I.liveTokens, [[...ids]]);
    const live = new Set(rows.map((r) => Number(r.id)));
    for (const s of this.sockets) {
      const id = s.user.tokenId;
      if (id !== undefined && !live.has(id)) s.close(CloseCode.TokenRevoked, 'API token revoked');
    }
  }

  /** Closes every socket with 1001 (going away); sockets that arrive later get the same. */
  close(): void {
    this.isClosed = true;
    clearInterval(this.heartbeat);
    this.signals.wakeAll();
    for (const s of this.sockets) s.close(CloseCode.GoingAway, 'server shutting down');
  }
}
