/**
 * `mute` and `unmute`: how much of a chat you hear of. The level is kept on the server, so every
 * device of yours follows it (the others are told: `NotificationsChanged`).
 */
import { Option, type Command } from 'commander';
import type { ChatNotifications } from '@msgr/sdk';
import { openSession, type RunState } from '../client.js';
import { notificationsText } from '../format.js';
import { examples } from '../help.js';
import type { Output } from '../output.js';
import { parseDuration, parseId, parseTime } from '../parse.js';

/** The level as the server answered it: JSON as is, or `Chat 12: muted until 18:00.` */
function show(out: Output, answer: ChatNotifications): void {
  if (out.isJson) return out.json(answer);
  out.line(`Chat ${answer.chat_id}: ${notificationsText(answer)}.`);
}

export function registerNotificationCommands(program: Command, state: RunState): void {
  program
    .command('mute')
    .summary('hear nothing (or only mentions) from a chat, for a while or until unmuted')
    .description(
      'hear nothing from a chat (with --mentions-only: only messages that mention you or ' +
        'everyone), on every device of yours; for a while (--for, --until: then you hear of ' +
        'everything again, by itself) or until `msgr unmute`',
    )
    .argument('<chat id>', 'the chat (see `msgr chats`)', parseId)
    .addOption(
      new Option('--for <duration>', 'for this long: 30m, 8h, 2d, 1w, 1h30m (at most a year)')
        .argParser(parseDuration)
        .conflicts('until'),
    )
    .addOption(
      new Option(
        '--until <time>',
        'until then: an ISO 8601 time, 2025-12-24T18:00 (local unless it ends in Z or an offset)',
      ).argParser(parseTime),
    )
    .option('--mentions-only', 'still hear of messages that mention you (or everyone)')
    .addHelpText(
      'after',
      examples(
        ['msgr mute 12', 'until you unmute it'],
        ['msgr mute 12 --for 8h'],
        ['msgr mute 12 --mentions-only --until 2025-12-24T18:00'],
        ['msgr mute 12 --for 1w --json', '{ chat_id, level, muted_until }'],
      ),
    )
    .action(
      async (
        chatId: number,
        opts: { for?: number; until?: Date; mentionsOnly?: boolean },
        cmd: Command,
      ) => {
        const s = await openSession(state, cmd);
        const until = opts.for === undefined ? opts.until : new Date(Date.now() + opts.for);
        const level = opts.mentionsOnly ? 'mentions' : 'none';
        show(s.out, await s.client.setNotifications(chatId, level, { until, signal: s.signal }));
      },
    );

  program
    .command('unmute')
    .description('hear of every message of a chat again, on every device of yours')
    .argument('<chat id>', 'the chat', parseId)
    .addHelpText('after', examples(['msgr unmute 12'], ['msgr unmute 12 --json']))
    .action(async (chatId: number, _opts: unknown, cmd: Command) => {
      const s = await openSession(state, cmd);
      show(s.out, await s.client.setNotifications(chatId, 'all', { signal: s.signal }));
    });
}
