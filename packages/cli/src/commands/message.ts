/** `edit`, `delete`, `react`: changing a message after it was sent. */
import type { Command } from 'commander';
import { Limits } from '@msgr/sdk';
import { openSession, type RunState } from '../client.js';
import { usageError } from '../errors.js';
import { reactionsText } from '../format.js';
import { examples } from '../help.js';
import { checkMentions, collect, parseId, resolveMentions } from '../parse.js';
import { readStdinText } from '../prompt.js';

interface EditOptions {
  mention?: string[];
  mentionAll?: boolean;
  /** false with --no-mentions (commander's negation); true otherwise. */
  mentions: boolean;
}

export function registerMessageCommands(program: Command, state: RunState): void {
  program
    .command('edit')
    .summary('replace the text of a message you sent, and whom it names (--mention, --mention-all)')
    .description(
      'replace the text of a message you sent (everyone sees it marked as edited) and, with ' +
        '--mention or --mention-all, whom it names (--no-mentions: nobody); left out, they keep ' +
        'what it had (the server leaves its mentions and @all as they are)',
    )
    .argument('<message id>', 'your message (ids show in `msgr history`)', parseId)
    .argument('<text...>', 'the new text (words are joined by spaces); `-` reads it from stdin')
    .option(
      '--mention <user>',
      'alert someone, a member of the chat (a user id or email), repeatable (up to ' +
        `${Limits.maxMentions}), instead of whom it named before (left out: the same people); ` +
        'name them in the text too (@Ann)',
      collect,
    )
    .option(
      '--mention-all',
      'alert everyone in the chat (@all); write it in the text too (left out: @all stays as it was)',
    )
    .option('--no-mentions', 'name nobody any more: no one mentioned, no @all')
    .addHelpText(
      'after',
      examples(
        ['msgr edit 12 "hello, fixed"', 'it names the same people as before'],
        ['echo "new text" | msgr edit 12 -', 'the text from stdin, less one trailing newline'],
        [
          'msgr edit 12 --mention test2@test.com --mention 7 "@Bob @Carol review, please"',
          'it names Bob and Carol now, in place of whom it named (ids or emails)',
        ],
        ['msgr edit 12 --mention-all "@all standup in 5"', 'alert everyone in the chat'],
        ['msgr edit 12 --no-mentions "standup in 5"', 'it names nobody now'],
      ),
    )
    .action(async (messageId: number, words: string[], opts: EditOptions, cmd: Command) => {
      if (!opts.mentions && (opts.mention || opts.mentionAll)) {
        throw usageError(
          'conflicting_mentions',
          'give --no-mentions, or --mention/--mention-all, not both',
        );
      }
      checkMentions(opts.mention ?? []);
      const isStdin = words.length === 1 && words[0] === '-';
      const s = await openSession(state, cmd);
      if (isStdin && s.io.stdin.isTTY) s.out.note('Type the new text, then Ctrl-D:');
      const text = isStdin ? await readStdinText(s.io.stdin) : words.join(' ');
      if (text.trim() === '') throw usageError('empty_text', 'the text is empty');
      // Left out, `mentions` and `mention_all` stay as they are on the server.
      const edit = {
        signal: s.signal,
        ...(opts.mention
          ? { mentions: await resolveMentions(s.client, opts.mention, s.signal) }
          : {}),
        ...(opts.mentionAll ? { mentionAll: true } : {}),
        ...(opts.mentions ? {} : { mentions: [], mentionAll: false }),
      };
      const edited = await s.client.editMessage(messageId, text, edit);
      if (s.out.isJson) return s.out.json(edited);
      s.out.line(`Edited message ${edited.id} in chat ${edited.chat_id}.`);
    });

  program
    .command('delete')
    .summary('delete a message; it cannot be undone')
    .description(
      "delete a message: yours, or anyone's in a group you own. It cannot be undone: its text " +
        'and reactions are gone for everyone, and "[deleted]" keeps its place. No prompt; ' +
        'deleting it again is fine',
    )
    .argument('<message id>', 'the message', parseId)
    .addHelpText('after', examples(['msgr delete 12'], ['msgr delete 12 --json']))
    .action(async (messageId: number, _opts: unknown, cmd: Command) => {
      const s = await openSession(state, cmd);
      await s.client.deleteMessage(messageId, { signal: s.signal });
      if (s.out.isJson) return s.out.json({ message_id: messageId, deleted: true });
      s.out.line(`Deleted message ${messageId}.`);
    });

  program
    .command('react')
    .summary('add your reaction to a message, or take it back (--remove)')
    .description('add your reaction to a message (again: nothing changes), or take it back')
    .argument('<message id>', 'the message', parseId)
    .argument('<emoji>', 'up to 16 characters, no spaces: 👍, ❤️, +1 …')
    .option('--remove', 'take your reaction back instead')
    .addHelpText(
      'after',
      examples(
        ['msgr react 12 👍'],
        ['msgr react 12 👍 --remove'],
        ["msgr react 12 ❤️ --json | jq '.reactions'", '[{ emoji, count, me }], most used first'],
      ),
    )
    .action(async (messageId: number, emoji: string, opts: { remove?: boolean }, cmd: Command) => {
      const s = await openSession(state, cmd);
      const options = { signal: s.signal };
      const now = opts.remove
        ? await s.client.unreact(messageId, emoji, options)
        : await s.client.react(messageId, emoji, options);
      if (s.out.isJson) return s.out.json(now);
      const shown = now.reactions.length > 0 ? reactionsText(now.reactions) : 'none';
      s.out.line(`Reactions on message ${now.message_id}: ${shown}`);
    });
}
