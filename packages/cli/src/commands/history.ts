/** `history` (one page, or every page with --all) and `read` (move the read pointer). */
import type { Command } from 'commander';
import type { Message } from '@msgr/sdk';
import { openSession, type RunState } from '../client.js';
import { usageError } from '../errors.js';
import { messageLine } from '../format.js';
import { examples } from '../help.js';
import { Directory } from '../names.js';
import { parseCursor, parseId, parseLimit } from '../parse.js';
import { Replies } from '../replies.js';

interface HistoryOptions {
  limit?: number;
  after?: number;
  before?: number;
  all?: boolean;
  topLevel?: boolean;
}

export function registerHistoryCommands(program: Command, state: RunState): void {
  program
    .command('history')
    .summary("a chat's messages, oldest first (the latest page, or --after/--before)")
    .description(
      "a chat's messages, oldest first: the latest page, or --after/--before a message; " +
        'edits, deletions, replies and reactions show as they are now',
    )
    .argument('<chat id>', 'the chat (see `msgr chats`)', parseId)
    .option('--limit <n>', 'messages per page, 1..100 (default 50)', parseLimit)
    .option('--after <message id>', 'the messages after this one', parseCursor)
    .option('--before <message id>', 'the messages before this one', parseCursor)
    .option('--all', 'every message (after --after, if given), page by page; --json gives NDJSON')
    .option(
      '--top-level',
      "leave thread replies out: a thread's root stays, with its `(3 replies)` (`msgr thread " +
        '<id>` shows them)',
    )
    .addHelpText(
      'after',
      examples(
        ['msgr history 3', 'the latest 50 messages'],
        ['msgr history 3 --before 120 --limit 20', 'the 20 messages before message 120'],
        ['msgr history 3 --all --json > chat-3.ndjson', 'the whole chat, one message a line'],
        ['msgr history 3 --top-level', 'without thread replies; `msgr thread 120` reads one'],
      ),
    )
    .action(async (chatId: number, opts: HistoryOptions, cmd: Command) => {
      if (opts.after !== undefined && opts.before !== undefined) {
        throw usageError('conflicting_cursors', 'give --after or --before, not both');
      }
      if (opts.all && opts.before !== undefined) {
        throw usageError('conflicting_cursors', '--all reads forwards: use --after, not --before');
      }
      const s = await openSession(state, cmd);
      // Names are for people only; they load while the first page does (and never throw).
      const loadingNames = s.out.isJson ? undefined : Directory.load(s.client, s.signal);
      const replies = new Replies(s.client, s.signal);
      /**
       * Prints a page: the messages its replies answer are found first (in the page, or read),
       * then the names of everyone shown, in one request.
       */
      const show = async (messages: Message[]) => {
        if (!loadingNames || messages.length === 0) return;
        const [names] = await Promise.all([loadingNames, replies.load(messages)]);
        const answered = messages.flatMap((m) => (m.reply_to ? [replies.get(m.reply_to)] : []));
        await names.resolve([...messages, ...answered].flatMap((m) => (m ? [m.sender_id] : [])));
        for (const m of messages) {
          const repliedTo = m.reply_to === null ? undefined : replies.get(m.reply_to);
          s.out.line(messageLine(m, names, s.out.paint, { repliedTo }));
        }
      };
      if (opts.all) {
        const pageSize = opts.limit ?? 100;
        const pages = {
          after: opts.after,
          pageSize,
          ...(opts.topLevel ? { topLevel: true } : {}),
          signal: s.signal,
        };
        // The iterator reads a page at a time; printing a page at a time keeps one lookup a page.
        let page: Message[] = [];
        for await (const m of s.client.iterateHistory(chatId, pages)) {
          if (!loadingNames) {
            s.out.record(m);
            continue;
          }
          page.push(m);
          if (page.length < pageSize) continue;
          await show(page);
          page = [];
        }
        await show(page);
        return;
      }
      const page = await s.client.history(chatId, {
        after: opts.after,
        before: opts.before,
        limit: opts.limit,
        ...(opts.topLevel ? { topLevel: true } : {}),
        signal: s.signal,
      });
      if (s.out.isJson) return s.out.json(page);
      if (page.length === 0) return s.out.note('No messages.');
      await show(page);
    });

  program
    .command('read')
    .description('mark a message, and every earlier one of its chat, read')
    .argument('<message id>', 'the newest message you have read', parseId)
    .addHelpText(
      'after',
      examples([
        "msgr read $(msgr history 3 --limit 1 --json | jq '.[0].id')",
        'read everything in chat 3',
      ]),
    )
    .action(async (messageId: number, _opts: unknown, cmd: Command) => {
      const s = await openSession(state, cmd);
      const pointer = await s.client.markRead(messageId, { signal: s.signal });
      if (s.out.isJson) return s.out.json(pointer);
      s.out.line(`Chat ${pointer.chat_id} is read up to message ${pointer.last_read_message_id}.`);
    });
}
