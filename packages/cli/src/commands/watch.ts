/** `watch`: live events until Ctrl-C (then the subscription closes and the exit code is 0). */
import type { Command } from 'commander';
import type { SubscriptionEvent } from '@msgr/sdk';
import { openSession, type RunState, type Session } from '../client.js';
import { formatTime, messageLine } from '../format.js';
import { examples } from '../help.js';
import { Directory } from '../names.js';
import { parseCursor, parseId } from '../parse.js';

export function registerWatchCommand(program: Command, state: RunState): void {
  program
    .command('watch')
    .description('stream live messages, read receipts and typing until Ctrl-C')
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
  /** Chats looked up once: an unknown one costs one chat-list reload, not one per message. */
  private readonly lookedUp = new Set<number>();

  constructor(
    private readonly s: Session,
    private readonly isAllChats: boolean,
  ) {}

  async load(): Promise<void> {
    if (!this.s.out.isJson) this.names = await Directory.load(this.s.client, this.s.signal);
  }

  async show(event: SubscriptionEvent): Promise<void> {
    const { out } = this.s;
    // Connection news is for people, on stderr, in every mode.
    if (event.type === 'State') return this.showState(event);
    if (out.isJson) return out.record(event);
    const names = await this.namesFor('message' in event ? event.message.chat_id : event.chat_id);
    // Someone seen for the first time is looked up by id (once) before the line is printed.
    await names.resolve(peopleIn(event));
    switch (event.type) {
      case 'Message':
        out.line(messageLine(event.message, names, out.paint, { isChatShown: this.isAllChats }));
        break;
      case 'Read': {
        const readers = event.reader_ids.map((id) => names.userName(id)).join(', ');
        const time = out.paint('dim', `[${formatTime(new Date().toISOString())}]`);
        const where = names.chatTitle(event.chat_id);
        out.line(
          `${time} ${out.paint('green', '✓')} ${readers} read your messages in ` +
            `${where} up to message ${event.message_id}`,
        );
        break;
      }
      case 'Typing':
        out.note(
          `${names.userName(event.user_id)} is typing in ${names.chatTitle(event.chat_id)}…`,
        );
        break;
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
function peopleIn(event: Exclude<SubscriptionEvent, { type: 'State' }>): number[] {
  switch (event.type) {
    case 'Message':
      return [event.message.sender_id];
    case 'Read':
      return event.reader_ids;
    case 'Typing':
      return [event.user_id];
  }
}
