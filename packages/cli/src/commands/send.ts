/** `send`: one message to a user or a group, exactly once across hosts. */
import type { Command } from 'commander';
import { openSession, type RunState } from '../client.js';
import { usageError } from '../errors.js';
import { examples } from '../help.js';
import { parseId, parseOperationId, resolveUser } from '../parse.js';
import { readStdinText } from '../prompt.js';

interface SendOptions {
  to?: string;
  group?: number;
  operationId?: number;
  replyTo?: number;
}

export function registerSendCommand(program: Command, state: RunState): void {
  program
    .command('send')
    .description('send a message to a user (--to) or a group (--group)')
    .argument('<text...>', 'the message (words are joined by spaces); `-` reads it from stdin')
    .option('--to <user>', 'a user id or email')
    .option('--group <group id>', 'a group id (see `msgr chats`)', parseId)
    .option(
      '--reply-to <message id>',
      'answer this message of the same chat (a repeat with --operation-id must name it too)',
      parseId,
    )
    .option(
      '--operation-id <n>',
      'idempotency key, -32768..32767: a repeat with the same key and text sends nothing new ' +
        'and says "Already sent" (default: the next of a counter kept beside the config)',
      parseOperationId,
    )
    .addHelpText(
      'after',
      examples(
        ['msgr send --to 2 "hello there"'],
        ['msgr send --to test2@test.com hello', 'by email'],
        ['echo hi | msgr send --to 2 -', 'the text from stdin, less one trailing newline'],
        ['msgr send --group 3 --operation-id 42 "deploy done" --json', 'safe to retry'],
        ['msgr send --group 3 --reply-to 120 "yes, at noon"', 'a reply to message 120'],
      ),
    )
    .action(async (words: string[], opts: SendOptions, cmd: Command) => {
      if ((opts.to === undefined) === (opts.group === undefined)) {
        throw usageError('missing_target', 'give exactly one of --to <user> or --group <group id>');
      }
      const isStdin = words.length === 1 && words[0] === '-';
      const s = await openSession(state, cmd);
      if (isStdin && s.io.stdin.isTTY) s.out.note('Type the message, then Ctrl-D:');
      const text = isStdin ? await readStdinText(s.io.stdin) : words.join(' ');
      if (text.trim() === '') throw usageError('empty_text', 'the message is empty');
      const send = { operationId: opts.operationId, replyTo: opts.replyTo, signal: s.signal };
      const target =
        opts.group !== undefined
          ? { groupId: opts.group }
          : { userId: await resolveUser(s.client, opts.to!, s.signal) };
      const { message, isReplay, operationId } = await s.client.send(target, text, send);
      // A replay created nothing: the server answered with the message this operation made.
      const repeat = `message ${message.id} (a repeat of operation ${operationId})`;
      if (s.out.isJson) {
        s.out.json(message);
        if (isReplay) s.out.note(`Already sent: ${repeat}; nothing new was sent.`);
      } else if (isReplay) s.out.line(`Already sent: ${repeat}.`);
      else s.out.line(`Sent message ${message.id} to chat ${message.chat_id}.`);
    });
}
