/** `send`: one message to a user or a group, exactly once across hosts, with files or not. */
import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import { Limits, type SendTarget } from '@msgr/sdk';
import { openSession, type RunState } from '../client.js';
import { usageError } from '../errors.js';
import { examples } from '../help.js';
import { inspectLocalFile, type LocalFile } from '../local-files.js';
import {
  checkMentions,
  collect,
  parseId,
  parseIdempotencyKey,
  parseOperationId,
  resolveMentions,
  resolveUser,
} from '../parse.js';
import { readStdinText } from '../prompt.js';
import { checkLimits, uploadLocalFile } from '../upload.js';

interface SendOptions {
  to?: string;
  group?: number;
  operationId?: number;
  idempotencyKey?: string;
  replyTo?: number;
  file?: string[];
  mention?: string[];
  mentionAll?: boolean;
  thread?: number;
  quiet?: boolean;
}

/** What a send is made idempotent by: an operation id, or an Idempotency-Key of the caller's. */
type SendKey = { operationId: number } | { idempotencyKey: string };

/**
 * The `Idempotency-Key` of an attachment's upload under `--operation-id` or `--idempotency-key`:
 * a repeat of the same send (same target, same files) uploads nothing new and gets the same file
 * ids back, so the send itself is the same request and is answered "Already sent". Other bytes
 * under the same key make another key, then another file, and the send is refused as a
 * conflict, as other text would be.
 */
function uploadKey(target: SendTarget, key: SendKey, index: number, file: LocalFile) {
  const to = 'groupId' in target ? `g${target.groupId}` : `u${target.userId}`;
  // A key is visible ASCII: the name (any text) counts through a hash, and so does the
  // caller's key (up to 255 characters itself).
  const what = createHash('sha256').update(`${file.sha256}\0${file.name}`).digest('hex');
  const by =
    'operationId' in key
      ? String(key.operationId)
      : `k${createHash('sha256').update(key.idempotencyKey).digest('hex').slice(0, 32)}`;
  return `msgr-send.${to}.${by}.${index}.${what}`;
}

export function registerSendCommand(program: Command, state: RunState): void {
  program
    .command('send')
    .summary('send a message to a user (--to) or a group (--group), with files (--file) or not')
    .description(
      'send a message to a user (--to) or a group (--group), with files (--file) or not; in a ' +
        'thread (--thread), naming people (--mention, --mention-all)',
    )
    .argument(
      '[text...]',
      'the message (words are joined by spaces); `-` reads it from stdin; ' +
        'may be left out when files are sent',
    )
    .option('--to <user>', 'a user id or email')
    .option('--group <group id>', 'a group id (see `msgr chats`)', parseId)
    .option(
      '--reply-to <message id>',
      'answer this message of the same chat (a repeat with --operation-id must name it too)',
      parseId,
    )
    .option(
      '--thread <root id>',
      'reply in the thread of this top-level message of the same chat (`msgr thread <id>` shows it)',
      parseId,
    )
    .option(
      '--mention <user>',
      `alert someone, a member of the chat (a user id or email), repeatable (up to ${Limits.maxMentions}); ` +
        'the text is sent as written: name them in it too (@Ann)',
      collect,
    )
    .option('--mention-all', 'alert everyone in the chat (@all); write it in the text too')
    .option(
      '--operation-id <n>',
      'idempotency key, -32768..32767: a repeat with the same key and text sends nothing new ' +
        'and says "Already sent" (default: the next of a counter kept beside the config)',
      parseOperationId,
    )
    .option(
      '--idempotency-key <key>',
      'instead of --operation-id, a key of yours (1..255 visible ASCII characters, e.g. a CI ' +
        'run id): the same send again within the window (5 minutes) sends nothing new and says ' +
        '"Already sent", from any machine; other text under the key is refused',
      parseIdempotencyKey,
    )
    .option(
      '--file <path>',
      `attach a file, repeatable (up to ${Limits.maxAttachments}): each is uploaded first ` +
        '(resumably), then the message carries them',
      collect,
    )
    .option('-q, --quiet', 'no progress bars (there is one on a terminal for files over 1 MiB)')
    .addHelpText(
      'after',
      examples(
        ['msgr send --to 2 "hello there"'],
        ['msgr send --to test2@test.com hello', 'by email'],
        ['echo hi | msgr send --to 2 -', 'the text from stdin, less one trailing newline'],
        ['msgr send --group 3 --operation-id 42 "deploy done" --json', 'safe to retry'],
        [
          'MSGR_TOKEN=$CI_TOKEN msgr send --group 3 --idempotency-key "deploy-$CI_RUN_ID" "deployed"',
          'from CI with an API token: a retried job posts once',
        ],
        ['msgr send --group 3 --reply-to 120 "yes, at noon"', 'a reply to message 120'],
        [
          'msgr send --group 3 --mention test2@test.com --mention 7 "@Bob @Carol review, please"',
          'alert Bob and Carol (ids or emails); the text names them for people',
        ],
        ['msgr send --group 3 --mention-all "@all standup in 5"', 'alert everyone in the group'],
        ['msgr send --group 3 --thread 120 "+1"', 'a reply in the thread of message 120'],
        ['msgr send --to 2 --file report.pdf --file chart.png "the numbers"', 'with files'],
        ['msgr send --group 3 --file build.log', 'a file alone'],
      ),
    )
    .action(async (words: string[], opts: SendOptions, cmd: Command) => {
      if ((opts.to === undefined) === (opts.group === undefined)) {
        throw usageError('missing_target', 'give exactly one of --to <user> or --group <group id>');
      }
      if (opts.operationId !== undefined && opts.idempotencyKey !== undefined) {
        throw usageError(
          'two_keys',
          'give --operation-id or --idempotency-key, not both: either makes the send idempotent',
        );
      }
      const sendKey: SendKey | undefined =
        opts.idempotencyKey !== undefined
          ? { idempotencyKey: opts.idempotencyKey }
          : opts.operationId !== undefined
            ? { operationId: opts.operationId }
            : undefined;
      const paths = opts.file ?? [];
      if (paths.length > Limits.maxAttachments) {
        throw usageError(
          'too_many_files',
          `a message carries at most ${Limits.maxAttachments} files (--file), not ${paths.length}`,
        );
      }
      if (words.length === 0 && paths.length === 0) {
        throw usageError('missing_text', 'give the message text, or files with --file');
      }
      checkMentions(opts.mention ?? []);
      // Every file is there and readable before anything is sent.
      const files: LocalFile[] = [];
      for (const path of paths) files.push(await inspectLocalFile(path));
      const isStdin = words.length === 1 && words[0] === '-';
      const s = await openSession(state, cmd);
      if (isStdin && s.io.stdin.isTTY) s.out.note('Type the message, then Ctrl-D:');
      const text = isStdin ? await readStdinText(s.io.stdin) : words.join(' ');
      if (text.trim() === '' && files.length === 0) {
        throw usageError('empty_text', 'the message is empty');
      }
      // Emails are looked up at once; an unknown one stops the send before anything is uploaded.
      const targetOf = async (): Promise<SendTarget> =>
        opts.group !== undefined
          ? { groupId: opts.group }
          : { userId: await resolveUser(s.client, opts.to!, s.signal) };
      const [target, mentions] = await Promise.all([
        targetOf(),
        resolveMentions(s.client, opts.mention ?? [], s.signal),
      ]);
      const attachments: string[] = [];
      if (files.length > 0) {
        checkLimits(files, await s.client.filesConfig({ signal: s.signal }));
        for (const [i, file] of files.entries()) {
          const key = sendKey === undefined ? undefined : uploadKey(target, sendKey, i, file);
          const options = { isQuiet: opts.quiet, idempotencyKey: key };
          attachments.push((await uploadLocalFile(s, file, options)).id);
        }
      }
      const send = {
        operationId: opts.operationId,
        idempotencyKey: opts.idempotencyKey,
        replyTo: opts.replyTo,
        threadId: opts.thread,
        signal: s.signal,
        ...(attachments.length > 0 ? { attachments } : {}),
        ...(mentions.length > 0 ? { mentions } : {}),
        ...(opts.mentionAll ? { mentionAll: true } : {}),
      };
      const { message, isReplay, operationId } = await s.client.send(target, text, send);
      // A replay created nothing: the server answered with the message this operation made.
      const of =
        opts.idempotencyKey !== undefined
          ? `idempotency key ${opts.idempotencyKey}`
          : `operation ${operationId}`;
      const repeat = `message ${message.id} (a repeat of ${of})`;
      if (s.out.isJson) {
        s.out.json(message);
        if (isReplay) s.out.note(`Already sent: ${repeat}; nothing new was sent.`);
      } else if (isReplay) s.out.line(`Already sent: ${repeat}.`);
      else {
        const where = message.thread_id === null ? '' : ` in thread #${message.thread_id}`;
        s.out.line(
          `Sent message ${message.id} to chat ${message.chat_id}${where}${withFiles(files)}.`,
        );
      }
    });
}

/** ` with 2 files`, or nothing. */
function withFiles(files: readonly LocalFile[]): string {
  if (files.length === 0) return '';
  return files.length === 1 ? ' with 1 file' : ` with ${files.length} files`;
}
