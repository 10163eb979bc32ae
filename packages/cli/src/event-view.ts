/**
 * How `watch` and `sync` print events: NDJSON of the events as the SDK yields them, or lines for
 * people. Whatever came from the server goes through @msgr/safe-text before it is printed.
 */
import type { SubscriptionEvent } from '@msgr/sdk';
import { safeLine, safeText } from '@msgr/safe-text';
import type { Session } from './client.js';
import { formatTime, messageLine, notificationsText } from './format.js';
import { Directory } from './names.js';
import { Replies } from './replies.js';

export interface EventViewOptions {
  /** The events come from every chat: lines name theirs. */
  isAllChats: boolean;
  /**
   * The events happen as they are printed: a change without a time of its own is stamped with
   * the time it arrived. Else (a catch-up) it has no time.
   */
  isLive: boolean;
}

/** What `msgr` says when the position was older than the server keeps its log. */
export const POSITION_EXPIRED_WARNING =
  'the position is older than the server keeps its log: the changes since then are lost to ' +
  'this run, which goes on from now (reload what you keep: `msgr chats`, `msgr history`)';

export class EventView {
  private names: Directory | undefined;
  private readonly replies: Replies;
  /** Chats looked up once: an unknown one costs one chat-list reload, not one per message. */
  private readonly lookedUp = new Set<number>();

  constructor(
    private readonly s: Session,
    private readonly options: EventViewOptions,
  ) {
    this.replies = new Replies(s.client, s.signal);
  }

  /** Loads the names now (else at the first event that needs them; never for --json). */
  async load(): Promise<void> {
    if (!this.s.out.isJson) this.names = await Directory.load(this.s.client, this.s.signal);
  }

  /** Who is logged in, once the names are loaded. */
  get me(): number | undefined {
    return this.names?.me?.id;
  }

  async show(event: SubscriptionEvent): Promise<void> {
    const { out } = this.s;
    // Connection news is for people, on stderr, in every mode.
    if (event.type === 'State') return this.showState(event);
    if (out.isJson) return out.record(event);
    if (event.type === 'PositionExpired') return out.warn(POSITION_EXPIRED_WARNING);
    const chatId = 'message' in event ? event.message.chat_id : event.chat_id;
    const names = await this.namesFor(chatId);
    if (event.type === 'Message') await this.replies.load([event.message]);
    const repliedTo =
      event.type === 'Message' && event.message.reply_to !== null
        ? this.replies.get(event.message.reply_to)
        : undefined;
    // Someone seen for the first time is looked up by id (once) before the line is printed.
    await names.resolve([...peopleIn(event), ...(repliedTo ? [repliedTo.sender_id] : [])]);
    const { isAllChats } = this.options;
    /** `[14:03] `: the time of the change, else (live) of its arrival, else nothing. */
    const stamp = (iso?: string | null) => {
      const time = iso ?? (this.options.isLive ? new Date().toISOString() : undefined);
      return time === undefined ? '' : `${out.paint('dim', `[${formatTime(time)}]`)} `;
    };
    const chat = isAllChats ? `${out.paint('cyan', `[${names.chatTitle(chatId)}]`)} ` : '';
    const head = `${stamp()}${chat}`;
    const where = names.chatTitle(chatId);
    const ref = (id: number) => out.paint('dim', `#${id}`);
    switch (event.type) {
      case 'Message': {
        const options = { isChatShown: isAllChats, repliedTo };
        out.line(messageLine(event.message, names, out.paint, options));
        break;
      }
      case 'Read': {
        const readers = event.reader_ids.map((id) => names.userName(id)).join(', ');
        // No reader: the last one who had not read them left the chat.
        const who = readers === '' ? 'everyone has' : readers;
        out.line(
          `${stamp()}${out.paint('green', '✓')} ${who} read your messages in ${where} up to ` +
            `message ${event.message_id}`,
        );
        break;
      }
      case 'ReadMarker':
        out.line(`${head}you read up to ${ref(event.message_id)} on another device`);
        break;
      case 'NotificationsChanged':
        out.line(`${head}notifications: ${notificationsText(event)} (set on another device)`);
        break;
      case 'Typing':
        out.note(`${names.userName(event.user_id)} is typing in ${where}…`);
        break;
      case 'MembersChanged': {
        const people = (ids: number[]) => ids.map((id) => names.userName(id)).join(', ');
        const changes: string[] = [];
        if (event.added.length > 0) changes.push(`added ${people(event.added)}`);
        const meId = names.me?.id;
        const others = event.removed.filter((id) => id !== meId);
        if (others.length > 0) changes.push(`${people(others)} left or was removed`);
        if (meId !== undefined && event.removed.includes(meId)) {
          changes.push('you are no longer a member');
        }
        const owner = names.ownerOf(chatId);
        if (owner !== undefined && owner !== event.owner_id) {
          changes.push(`${names.userName(event.owner_id)} is now the owner`);
        }
        names.updateChat(chatId, { owner_id: event.owner_id });
        out.line(`${head}${changes.join('; ')}`);
        break;
      }
      case 'ChatUpdated':
        names.updateChat(chatId, { title: event.name });
        out.line(`${head}renamed to "${safeLine(event.name)}"`);
        break;
      case 'MessageEdited':
        this.replies.remember([event.message]);
        out.line(
          `${stamp(event.message.edited_at)}${chat}` +
            `${names.userName(event.message.sender_id)} edited ${ref(event.message.id)}: ` +
            safeText(event.message.text),
        );
        break;
      case 'MessageDeleted':
        this.replies.forget(event.message_id);
        out.line(`${head}${ref(event.message_id)} was deleted`);
        break;
      case 'Reaction': {
        const emoji = safeLine(event.emoji);
        const what = event.added ? `reacted ${emoji} to` : `took back ${emoji} from`;
        out.line(`${head}${names.userName(event.user_id)} ${what} ${ref(event.message_id)}`);
        break;
      }
    }
  }

  private showState(event: Extract<SubscriptionEvent, { type: 'State' }>): void {
    const host = event.host ?? 'the server';
    if (event.state === 'open') {
      const what = this.options.isAllChats ? 'all your chats' : 'the chat';
      this.s.out.note(`Connected to ${host}, watching ${what} (Ctrl-C to stop).`);
    } else if (event.state === 'reconnecting') {
      const why = event.error ? ` (${event.error.message})` : '';
      this.s.out.warn(`lost the connection to ${host}${why}; reconnecting…`);
    }
  }

  /** The names, with the chat list read again once when a chat shows up that they do not know. */
  private async namesFor(chatId: number): Promise<Directory> {
    const names = this.names ?? (await Directory.load(this.s.client, this.s.signal));
    this.names = names;
    if (names.hasChat(chatId) || this.lookedUp.has(chatId)) return names;
    this.lookedUp.add(chatId);
    await names.reloadChats();
    return names;
  }
}

/** The users an event names. */
function peopleIn(
  event: Exclude<SubscriptionEvent, { type: 'State' | 'PositionExpired' }>,
): number[] {
  switch (event.type) {
    case 'Message':
    case 'MessageEdited':
      return [event.message.sender_id];
    case 'Read':
      return event.reader_ids;
    case 'Typing':
    case 'Reaction':
      return [event.user_id];
    case 'MembersChanged':
      return [...event.added, ...event.removed, event.owner_id];
    case 'ChatUpdated':
    case 'MessageDeleted':
    case 'ReadMarker':
    case 'NotificationsChanged':
      return [];
  }
}
