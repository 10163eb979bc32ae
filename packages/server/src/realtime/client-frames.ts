/**
 * What clients send on a socket: each frame type is handled like a route (parsed, checked,
 * answered). `Ping` is answered at once; `Typing` goes to the chat's other members on every
 * instance (never stored), a few a second per user and chat at most.
 */
import type { RawData } from 'ws';
import { ClientFrame, CloseCode, type ServerFrame } from '../contract/frames.js';
import type { Bus } from './bus.js';
import type { Connection } from './connection.js';
import type { MemberCache } from './member-cache.js';
import { frameBytes } from './replay.js';

/** At most one Typing per user and chat in this interval is relayed. */
const TYPING_EVERY_MS = 2000;
/** Users and chats remembered for that (then the memory starts over). */
const TYPING_KEYS_MAX = 10_000;

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}

export class ClientFrames {
  private readonly lastTyping = new Map<string, number>();

  constructor(
    private readonly members: MemberCache,
    private readonly bus: Bus,
  ) {}

  async handle(conn: Connection, data: RawData, isBinary: boolean): Promise<void> {
    const reply = (f: ServerFrame) => conn.deliver(frameBytes(f));
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
    if (conn.user.scopes && !conn.user.scopes.includes('write')) {
      reply({ type: 'Error', code: 'insufficient_scope', detail: 'Typing needs the write scope' });
      return;
    }
    // Past a few a second, typing says nothing new: dropped before any lookup.
    if (!conn.typingBudget.take()) return;
    const chatId = parsed.chat_id ?? conn.chatId;
    if (chatId === undefined) {
      reply({ type: 'Error', code: 'validation_failed', detail: 'Typing needs chat_id on /ws' });
      return;
    }
    if (!(await this.members.isMember(chatId, conn.user.userId))) {
      reply({ type: 'Error', code: 'chat_forbidden', detail: 'you are not a member of this chat' });
      return;
    }
    const key = `${conn.user.userId}:${chatId}`;
    const now = Date.now();
    if (now - (this.lastTyping.get(key) ?? 0) < TYPING_EVERY_MS) return;
    this.lastTyping.set(key, now);
    if (this.lastTyping.size > TYPING_KEYS_MAX) this.lastTyping.clear();
    // Ephemeral: straight onto the bus, never through the log or the outbox.
    await this.bus.publishEphemeral({ t: 'Typing', chat_id: chatId, user_id: conn.user.userId });
  }
}
