/** `search`: messages by their words, newest first. */
import type { Command } from 'commander';
import type { Message } from '@msgr/sdk';
import { openSession, type RunState } from '../client.js';
import { usageError } from '../errors.js';
import { messageLine } from '../format.js';
import { examples } from '../help.js';
import { Directory } from '../names.js';
import { parseId, parseLimit } from '../parse.js';
import { Replies } from '../replies.js';

interface SearchOptions {
  chat?: number;
  limit?: number;
  all?: boolean;
}

export function registerSearchCommand(program: Command, state: RunState): void {
  program
    .command('search')
    .summary('find messages by their words, newest first')
    .description(
      'find messages in your chats where every word starts a word of the text (any case, any ' +
        'language); newest first, never deleted ones',
    )
    .argument('<words...>', 'what to look for (1..200 characters)')
    .option('--chat <chat id>', 'only this chat (see `msgr chats`)', parseId)
    .option(
      '--limit <n>',
      'matches, 1..100 (default 20); with --all, per page (default 100)',
      parseLimit,
    )
    .option('--all', 'every match, page by page; --json gives NDJSON')
    .addHelpText(
      'after',
      examples(
        ['msgr search deploy fail', 'messages with words starting "deploy" and "fail"'],
        ['msgr search invoice --chat 3 --limit 5'],
        ['msgr search release --all --json > hits.ndjson', 'every match, one message a line'],
      ),
    )
    .action(async (words: string[], opts: SearchOptions, cmd: Command) => {
      const q = words.join(' ');
      if (q.trim() === '') throw usageError('empty_query', 'give words to search for');
      const s = await openSession(state, cmd);
      const loadingNames = s.out.isJson ? undefined : Directory.load(s.client, s.signal);
      const replies = new Replies(s.client, s.signal);
      const show = async (messages: Message[]) => {
        if (!loadingNames || messages.length === 0) return;
        const [names] = await Promise.all([loadingNames, replies.load(messages)]);
        await names.resolve(messages.map((m) => m.sender_id));
        const isChatShown = opts.chat === undefined;
        for (const m of messages) {
          const repliedTo = m.reply_to === null ? undefined : replies.get(m.reply_to);
          s.out.line(messageLine(m, names, s.out.paint, { isChatShown, repliedTo }));
        }
      };
      if (opts.all) {
        const pageSize = opts.limit ?? 100;
        let page: Message[] = [];
        let count = 0;
        const pages = { chatId: opts.chat, pageSize, signal: s.signal };
        for await (const m of s.client.iterateSearch(q, pages)) {
          count++;
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
        if (count === 0 && loadingNames) s.out.note('No messages match.');
        return;
      }
      const found = await s.client.search(q, {
        chatId: opts.chat,
        limit: opts.limit,
        signal: s.signal,
      });
      if (s.out.isJson) return s.out.json(found);
      if (found.length === 0) return s.out.note('No messages match.');
      await show(found);
    });
}
