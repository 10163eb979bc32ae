/** `users` and `chats`: who is there, and where the conversations are. */
import type { Command } from 'commander';
import { openSession, type RunState } from '../client.js';
import { CHAT_COLUMNS, chatRow, userLabel } from '../format.js';
import { examples } from '../help.js';
import { Directory } from '../names.js';
import { parseLimit } from '../parse.js';

export function registerDirectoryCommands(program: Command, state: RunState): void {
  program
    .command('users')
    .description('find users by the start of their email or name (bots show as `Name [bot]`)')
    .argument('[query]', 'an email or name prefix (case-insensitive); omit for everyone')
    .option('--limit <n>', 'at most this many, 1..100 (default 20)', parseLimit)
    .addHelpText(
      'after',
      examples(['msgr users test'], ['msgr users --limit 100 --json', 'everyone, as JSON']),
    )
    .action(async (query: string | undefined, opts: { limit?: number }, cmd: Command) => {
      const s = await openSession(state, cmd);
      const users = await s.client.users({ query, limit: opts.limit, signal: s.signal });
      if (s.out.isJson) return s.out.json(users);
      if (users.length === 0) return s.out.note('No users match.');
      // A bot has no email: its cell stays empty, and its name says what it is.
      s.out.table(
        ['ID', 'EMAIL', 'NAME'],
        users.map((u) => [String(u.id), u.email ?? '', userLabel(u)]),
      );
    });

  program
    .command('chats')
    .summary('your chats, most recent first, with unread counts and the last message')
    .description(
      'your chats, most recent first, with unread counts (`5 @2`: and 2 unread mentions of ' +
        'you), notification levels and the last message',
    )
    .addHelpText(
      'after',
      examples(
        ['msgr chats'],
        ["msgr chats --json | jq '.[] | select(.unread_count > 0) | .chat_id'", 'unread chats'],
        [
          "msgr chats --json | jq '.[] | select(.unread_mentions > 0) | .chat_id'",
          'chats that name you (then `msgr mentions`)',
        ],
      ),
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const s = await openSession(state, cmd);
      const chats = await s.client.chats({ signal: s.signal });
      if (s.out.isJson) return s.out.json(chats);
      if (chats.length === 0) {
        return s.out.note('No chats yet: start one with `msgr send --to <user> <text>`.');
      }
      const names = await Directory.load(s.client, s.signal, chats);
      await names.resolve(chats.flatMap((c) => (c.last_message ? [c.last_message.sender_id] : [])));
      const unread = CHAT_COLUMNS.indexOf('UNREAD');
      s.out.table(
        CHAT_COLUMNS,
        chats.map((c) => chatRow(c, names)),
        (r, c, text) => {
          const chat = chats[r]!;
          const isUnread = chat.unread_count > 0 || chat.unread_mentions > 0;
          return c === unread && isUnread ? s.out.paint('yellow', text) : text;
        },
      );
    });
}
