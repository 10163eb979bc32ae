/** `watch`: live events until Ctrl-C (then the subscription closes and the exit code is 0). */
import type { Command } from 'commander';
import type { SubscriptionEvent } from '@msgr/sdk';
import { safeLine, safeText } from '@msgr/safe-text';
import { openSession, type RunState, type Session } from '../client.js';
import { formatTime, messageLine } from '../format.js';
import { examples } from '../help.js';
import { Directory } from '../names.js';
import { parseCursor, parseId } from '../parse.js';
import { Replies } from '../replies.js';

export function registerWatchCommand(program: Command, state: RunState): void {
  program
    .command('watch')
    .summary('stream live messages and changes until Ctrl-C')
    .description(
      'stream live messages, read receipts, typing, edits, deletions, reactions and group ' +
        'changes until Ctrl-C',
    )
    .argument('[chat id]', 'one chat; omit for all your chats (new ones included)', parseId)
    .option('--after <message id>', 'first replay the messages after this one', parseCursor)
    .addHelpText(
      'after',
      examples(
        ['msgr watch', 'every chat, as lines for people'],
        ['msgr watch 3 --after 120 --json', 'chat 3 from message 121 on, one JSON event a line'],
      ),
    )
    .action(async (chatId: number | undefined, opts: { after?: number }, cmd: Command) => {
      state.isInterruptHandled = true;
      const s = await openSession(state, cmd);
      const view = new WatchView(s, chatId === undefined);
      await view.load();
      if (s.signal?.aborted) return;
      const subscription = s.client.subscribe({ chatId, after: opts.after });
      const stop = () => subscription.close();
      s.signal?.addEventListener('abort', stop, { once: true });
      try {
        for await (const event of subscription) await view.show(event);
      } finally {
        s.signal?.removeEventListener('abort', stop);
        subscription.close();
      }
    });
}

/** How events look: NDJSON of the events as received, or lines for people. */
class WatchView {
  private names: Directory | undefined;
  private readonly replies: Replies;
  /** Chats looked up once: an unknown one costs one chat-list reload, not one per message. */
  private readonly lookedUp = new Set<number>();

  constructor(
    private readonly s: Session,
    private readonly isAllChats: boolean,
  ) {
    this.replies = new Replies(s.client, s.signal);
  }

  async load(): Promise<void> {
    if (!this.s.out.isJson) this.names = await Directory.load(this.s.client, this.s.signal);
  }

  async show(event: SubscriptionEvent): Promise<void> {
    const { out } = this.s;
    // Connection news is for people, on stderr, in every mode.
    if (event.type === 'State') return this.showState(event);
    if (out.isJson) return out.record(event);
    if (event.type === 'PositionExpired') {
      out.warn('the server no longer keeps the events since this position: some were missed');
      return;
    }
    const chatId = 'message' in event ? event.message.chat_id : event.chat_id;
    const names = await this.namesFor(chatId);
    if (event.type === 'Message') await this.replies.load([event.message]);
    const repliedTo =
      event.type === 'Message' && event.message.reply_to !== null
        ? this.replies.get(event.message.reply_to)
        : undefined;
    // Someone seen for the first time is looked up by id (once) before the line is printed.
    await names.resolve([...peopleIn(event), ...(repliedTo ? [repliedTo.sender_id] : [])]);
    const time = out.paint('dim', `[${formatTime(new Date().toISOString())}]`);
    const chat = this.isAllChats ? `${out.paint('cyan', `[${names.chatTitle(chatId)}]`)} ` : '';
    const where = names.chatTitle(chatId);
    const ref = (id: number) => out.paint('dim', `#${id}`);
    switch (event.type) {
      case 'Message': {
        const options = { isChatShown: this.isAllChats, repliedTo };
        out.line(messageLine(event.message, names, out.paint, options));
        break;
      }
      case 'Read': {
        const readers = event.reader_ids.map((id) => names.userName(id)).join(', ');
        out.line(
          `${time} ${out.paint('green', '✓')} ${readers} read your messages in ` +
            `${where} up to message ${event.message_id}`,
        );
        break;
      }
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
        out.line(`${time} ${chat}${changes.join('; ')}`);
        break;
      }
      case 'ChatUpdated':
        names.updateChat(chatId, { title: event.name });
        out.line(`${time} ${chat}renamed to "${safeLine(event.name)}"`);
        break;
      case 'MessageEdited':
        this.replies.remember([event.message]);
        out.line(
          `${time} ${chat}${names.userName(event.message.sender_id)} edited ` +
            `${ref(event.message.id)}: ${safeText(event.message.text)}`,
        );
        break;
      case 'MessageDeleted':
        this.replies.forget(event.message_id);
        out.line(`${time} ${chat}${ref(event.message_id)} was deleted`);
        break;
      case 'ReadMarker':
        out.line(`${time} ${chat}you read up to ${ref(event.message_id)} on another device`);
        break;
      case 'Reaction': {
        const emoji = safeLine(event.emoji);
        const what = event.added ? `reacted ${emoji} to` : `took back ${emoji} from`;
        out.line(
          `${time} ${chat}${names.userName(event.user_id)} ${what} ${ref(event.message_id)}`,
        );
        break;
      }
    }
  }

  private showState(event: Extract<SubscriptionEvent, { type: 'State' }>): void {
    const host = event.host ?? 'the server';
    if (event.state === 'open') {
      const what = this.isAllChats ? 'all your chats' : 'the chat';
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
      return [];
  }
}
