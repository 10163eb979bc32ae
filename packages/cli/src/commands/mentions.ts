/**
 * What calls for you (contract v1.4): `mentions` (the messages that name you) and `unread`
 * (the badge totals). Messages name people with `msgr send --mention` / `--mention-all`.
 */
import type { Command } from 'commander';
import { openSession, type RunState } from '../client.js';
import { messageLine, unreadText } from '../format.js';
import { examples } from '../help.js';
import { Directory } from '../names.js';
import { parseCursor, parseLimit } from '../parse.js';
import { Replies } from '../replies.js';

export function registerMentionCommands(program: Command, state: RunState): void {
  program
    .command('mentions')
    .summary('the messages that name you (or everyone), newest first')
    .description(
      'the messages of your chats that name you, or everyone (@all), written by others; ' +
        'newest first, never deleted ones',
    )
    .option('--limit <n>', 'messages, 1..100 (default 50)', parseLimit)
    .option('--before <message id>', 'the mentions older than this message', parseCursor)
    .addHelpText(
      'after',
      examples(
        ['msgr mentions', '[14:03] [Team] #12 Bob: @Ann lunch?'],
        ['msgr mentions --before 120 --limit 20', 'the next page'],
        ['msgr mentions --json | jq -r \'.[] | "\\(.chat_id) \\(.text)"\'', 'for scripts'],
      ),
    )
    .action(async (opts: { limit?: number; before?: number }, cmd: Command) => {
      const s = await openSession(state, cmd);
      const loadingNames = s.out.isJson ? undefined : Directory.load(s.client, s.signal);
      const found = await s.client.mentions({
        before: opts.before,
        limit: opts.limit,
        signal: s.signal,
      });
      if (!loadingNames) return s.out.json(found);
      if (found.length === 0) return s.out.note('No messages name you.');
      const replies = new Replies(s.client, s.signal);
      const [names] = await Promise.all([loadingNames, replies.load(found)]);
      const answered = found.flatMap((m) => (m.reply_to ? [replies.get(m.reply_to)] : []));
      await names.resolve([...found, ...answered].flatMap((m) => (m ? [m.sender_id] : [])));
      for (const m of found) {
        const repliedTo = m.reply_to === null ? undefined : replies.get(m.reply_to);
        s.out.line(messageLine(m, names, s.out.paint, { isChatShown: true, repliedTo }));
      }
    });

  program
    .command('unread')
    .summary('what a badge shows: unread chats, messages and mentions of you')
    .description(
      'what a badge shows: the chats with something unread, their unread messages and your ' +
        'unread mentions; each chat counts at its notification level (muted: ' +
        'nothing; mentions only: its mentions)',
    )
    .addHelpText(
      'after',
      examples(
        ['msgr unread', 'Unread: 3 chats, 12 messages, 2 mentions.'],
        ['msgr unread --json | jq .mentions', '{ chats, messages, mentions }'],
      ),
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const s = await openSession(state, cmd);
      const totals = await s.client.unread({ signal: s.signal });
      if (s.out.isJson) return s.out.json(totals);
      s.out.line(unreadText(totals));
    });
}
