/**
 * Threads (contract v1.4): `threads` (a chat's, or the ones you follow with their unread
 * replies), `thread` (one, whole; `--read` marks it read), `follow` and `unfollow`. Replies
 * are written with `msgr send --thread <root id>`.
 */
import type { Command } from 'commander';
import type { Message } from '@msgr/sdk';
import { openSession, type RunState, type Session } from '../client.js';
import { CliError, ExitCode, usageError } from '../errors.js';
import { messageLine, threadLine } from '../format.js';
import { examples } from '../help.js';
import { Directory } from '../names.js';
import { parseCursor, parseId, parseLimit } from '../parse.js';
import { Replies } from '../replies.js';

/** Replies read per request when a thread is read whole (the server's largest page). */
const PAGE = 100;

interface ThreadsOptions {
  unread?: boolean;
  limit?: number;
  before?: number;
}

export function registerThreadCommands(program: Command, state: RunState): void {
  program
    .command('threads')
    .summary("a chat's threads, or the threads you follow (--unread: with unread replies)")
    .description(
      "with a chat id, that chat's threads (messages with replies), latest reply first; " +
        'without, the threads you follow (you started, replied in or were named in, or ' +
        '`msgr follow`ed) in all your chats, latest reply first, with their unread replies',
    )
    .argument('[chat id]', 'one chat (see `msgr chats`); omit for the threads you follow', parseId)
    .option('--unread', 'only followed threads with replies you have not read (no chat id)')
    .option('--limit <n>', 'threads, 1..100 (default 50)', parseLimit)
    .option(
      '--before <reply id>',
      'the threads whose last reply is older than this one (the `thread.last_reply_id` of ' +
        'the last thread of the previous page, in --json)',
      parseCursor,
    )
    .addHelpText(
      'after',
      examples(
        ['msgr threads 7', "chat 7's threads: the root, `3 replies · last 14:20`"],
        ['msgr threads', 'the threads you follow, with `· 2 unread`'],
        ['msgr threads --unread', 'only those with replies you have not read'],
        [
          "msgr threads --unread --json | jq '.[] | {id: .root.id, unread_count}'",
          '[{ root, unread_count }]',
        ],
      ),
    )
    .action(async (chatId: number | undefined, opts: ThreadsOptions, cmd: Command) => {
      if (chatId !== undefined && opts.unread) {
        throw usageError(
          'conflicting_options',
          '--unread lists the threads you follow in all your chats: leave out the chat id',
        );
      }
      const s = await openSession(state, cmd);
      const page = { before: opts.before, limit: opts.limit, signal: s.signal };
      const loadingNames = s.out.isJson ? undefined : Directory.load(s.client, s.signal);
      if (chatId !== undefined) {
        const roots = await s.client.threads(chatId, page);
        if (!loadingNames) return s.out.json(roots);
        if (roots.length === 0) return s.out.note(`No threads in chat ${chatId}.`);
        const names = await loadingNames;
        await names.resolve(roots.map((m) => m.sender_id));
        for (const root of roots) s.out.line(threadLine(root, names, s.out.paint));
        return;
      }
      const followed = await s.client.followedThreads({ ...page, unread: opts.unread });
      if (!loadingNames) return s.out.json(followed);
      if (followed.length === 0) {
        return s.out.note(
          opts.unread
            ? 'No unread threads.'
            : "You follow no threads (`msgr threads <chat id>` lists a chat's).",
        );
      }
      const names = await loadingNames;
      await names.resolve(followed.map((t) => t.root.sender_id));
      for (const { root, unread_count: unreadCount } of followed) {
        s.out.line(threadLine(root, names, s.out.paint, { isChatShown: true, unreadCount }));
      }
    });

  program
    .command('thread')
    .summary('a thread, whole: its root and every reply (--read: and mark it read)')
    .description(
      'a thread, whole: its root, then every reply, oldest first (read page by page); with ' +
        '--read, then mark it read up to the last message shown',
    )
    .argument('<root id>', "the thread's first message (`↳ #12` in history: 12)", parseId)
    .option(
      '--read',
      'mark the thread read up to its last message shown (replies sent meanwhile stay unread)',
    )
    .addHelpText(
      'after',
      examples(
        ['msgr thread 120', 'message 120 and its replies'],
        ['msgr thread 120 --read', 'and off the list of `msgr threads --unread`'],
        ['msgr send --group 3 --thread 120 "me too"', 'reply in it'],
        ["msgr thread 120 --json | jq -r '.[].text'", 'the root first, then the replies'],
      ),
    )
    .action(async (rootId: number, opts: { read?: boolean }, cmd: Command) => {
      const s = await openSession(state, cmd);
      const loadingNames = s.out.isJson ? undefined : Directory.load(s.client, s.signal);
      const messages = await readThread(s, rootId);
      if (loadingNames) await show(s, await loadingNames, messages);
      else s.out.json(messages);
      if (!opts.read) return;
      const last = messages[messages.length - 1]!;
      const pointer = await s.client.markThreadRead(rootId, last.id, { signal: s.signal });
      s.out.note(`Thread ${rootId} is read up to message ${pointer.last_read_message_id}.`);
    });

  program
    .command('follow')
    .summary('follow a thread: its new replies show in `msgr threads`')
    .description(
      'follow a thread: its unread replies show in `msgr threads`. The threads you start, ' +
        'reply in or are named in (--mention) are followed already',
    )
    .argument('<root id>', "the thread's first message", parseId)
    .addHelpText('after', examples(['msgr follow 120'], ['msgr follow 120 --json']))
    .action(async (rootId: number, _opts: unknown, cmd: Command) => {
      const s = await openSession(state, cmd);
      await s.client.followThread(rootId, { signal: s.signal });
      if (s.out.isJson) return s.out.json({ root_id: rootId, following: true });
      s.out.line(`Following thread ${rootId}.`);
    });

  program
    .command('unfollow')
    .summary('stop following a thread, for good')
    .description(
      'stop following a thread, for good: later replies, or being named in it, do not make ' +
        'you follow it again (only `msgr follow` does)',
    )
    .argument('<root id>', "the thread's first message", parseId)
    .addHelpText('after', examples(['msgr unfollow 120'], ['msgr unfollow 120 --json']))
    .action(async (rootId: number, _opts: unknown, cmd: Command) => {
      const s = await openSession(state, cmd);
      await s.client.unfollowThread(rootId, { signal: s.signal });
      if (s.out.isJson) return s.out.json({ root_id: rootId, following: false });
      s.out.line(`No longer following thread ${rootId}.`);
    });
}

/**
 * The root `rootId` and all its replies, ascending. The root is read first for its chat (and
 * to say so when the id is a reply: threads have one level).
 */
async function readThread(s: Session, rootId: number): Promise<Message[]> {
  const root = await s.client.message(rootId, { signal: s.signal });
  if (root.thread_id !== null) {
    throw new CliError(
      ExitCode.Refused,
      'thread_invalid',
      `message ${rootId} is a reply in thread ${root.thread_id}, not a thread: see ` +
        `\`msgr thread ${root.thread_id}\` (thread_invalid)`,
    );
  }
  const messages: Message[] = [];
  for (let after = 0; ;) {
    const page = await s.client.history(root.chat_id, {
      threadId: rootId,
      after,
      limit: PAGE,
      signal: s.signal,
    });
    messages.push(...page);
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.id;
  }
  // Deleted after `message()` answered: the history may have it no more.
  if (messages[0]?.id !== rootId) messages.unshift(root);
  return messages;
}

/** The root as history shows it (with its chat), then the replies indented under it. */
async function show(s: Session, names: Directory, [root, ...replies]: Message[]): Promise<void> {
  const quoted = new Replies(s.client, s.signal);
  await quoted.load([root!, ...replies]);
  const answered = replies.flatMap((m) => (m.reply_to ? [quoted.get(m.reply_to)] : []));
  await names.resolve([root!, ...replies, ...answered].flatMap((m) => (m ? [m.sender_id] : [])));
  s.out.line(messageLine(root!, names, s.out.paint, { isChatShown: true }));
  for (const m of replies) {
    const repliedTo = m.reply_to === null ? undefined : quoted.get(m.reply_to);
    const line = messageLine(m, names, s.out.paint, { repliedTo, isThreadShown: false });
    s.out.line(line.replace(/^/gm, '  '));
  }
  if (replies.length === 0) s.out.note('No replies yet.');
}
