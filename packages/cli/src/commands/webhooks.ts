/**
 * `webhook create|list|deliveries|resume|delete`: outgoing webhooks. The server POSTs the events
 * you would see in `msgr sync` (of the kinds asked for) to a URL of yours, one at a time, in
 * order, signed with a secret shown once.
 */
import type { Command } from 'commander';
import { safeLine } from '@msgr/safe-text';
import type { Webhook } from '@msgr/sdk';
import { openSession, type RunState } from '../client.js';
import { formatTime } from '../format.js';
import { examples } from '../help.js';
import { collectIds, collectKinds, parseId } from '../parse.js';

/** What a webhook may deliver: the kinds of logged event (`watch --json`'s `type`, less Typing). */
export const EVENT_KINDS_HELP =
  'Message, MessageEdited, MessageDeleted, Reaction, MembersChanged, ChatUpdated, Read, ' +
  'ReadMarker, NotificationsChanged';

/** `every chat`, or `chats 3, 7`. */
function chatsText(chatIds: readonly number[] | null): string {
  return chatIds === null
    ? 'every chat'
    : `chat${chatIds.length === 1 ? '' : 's'} ${chatIds.join(', ')}`;
}

/** `active`, or `failing` (delivering nothing until resumed); `retrying at 14:05` while one waits. */
function stateText(w: Webhook): string {
  if (w.state === 'failing') return 'failing';
  return w.next_attempt_at === null ? 'active' : `retrying ${formatTime(w.next_attempt_at)}`;
}

export function registerWebhookCommands(program: Command, state: RunState): void {
  const webhook = program
    .command('webhook')
    .summary(
      'outgoing webhooks (events POSTed to your URL): create, list, deliveries, resume, delete',
    )
    .description(
      'outgoing webhooks: the server POSTs the events you would get from `msgr sync` (the ' +
        'kinds you ask for) to a URL of yours, one at a time, in order, at least once, signed ' +
        'per Standard Webhooks (see `msgr webhook <cmd> --help`)',
    );

  webhook
    .command('create')
    .description(
      'have events POSTed to a URL (public http or https); prints the signing secret once',
    )
    .argument('<url>', 'where to POST them')
    .requiredOption(
      '--event <kind>',
      `a kind of event to deliver, repeatable or comma-separated: ${EVENT_KINDS_HELP}`,
      collectKinds,
    )
    .option(
      '--chat <chat id>',
      'only the events of this chat, repeatable (default: every chat of yours)',
      collectIds,
    )
    .addHelpText(
      'after',
      examples(
        ['msgr webhook create https://ci.example.com/msgr --event Message'],
        [
          'msgr webhook create https://bot.example.com/in --event Message,Reaction --chat 7 --chat 9',
          'two kinds, two chats',
        ],
        ["msgr webhook create https://x.example.com/h --event Message --json | jq -r '.secret'"],
      ),
    )
    .action(async (url: string, opts: { event: string[]; chat?: number[] }, cmd: Command) => {
      const s = await openSession(state, cmd);
      const made = await s.client.createWebhook({
        url,
        events: opts.event,
        chatIds: opts.chat,
        signal: s.signal,
      });
      if (s.out.isJson) s.out.json(made);
      else {
        s.out.line(
          safeLine(
            `Created webhook ${made.id}: ${made.events.join(', ')} of ${chatsText(made.chat_ids)} ` +
              `to ${made.url}`,
          ),
        );
        s.out.line(`Secret: ${safeLine(made.secret)}`);
      }
      s.out.note(
        'Keep the secret now: it will not be shown again. Check the webhook-signature header ' +
          "of each delivery with it (Standard Webhooks; @msgr/sdk's verifyWebhook). See " +
          `attempts with: msgr webhook deliveries ${made.id}`,
      );
    });

  webhook
    .command('list')
    .description('your outgoing webhooks: id, state, events, chats, URL, last error')
    .addHelpText(
      'after',
      examples(
        ['msgr webhook list'],
        ['msgr webhook list --json | jq \'.[] | select(.state == "failing") | .id\'', 'failing'],
      ),
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const s = await openSession(state, cmd);
      const webhooks = await s.client.webhooks({ signal: s.signal });
      if (s.out.isJson) return s.out.json(webhooks);
      if (webhooks.length === 0) {
        return s.out.note(
          'No webhooks: make one with `msgr webhook create <url> --event Message`.',
        );
      }
      const failing = 1;
      s.out.table(
        ['ID', 'STATE', 'EVENTS', 'CHATS', 'URL', 'LAST ERROR'],
        webhooks.map((w) => [
          String(w.id),
          stateText(w),
          w.events.join(','),
          w.chat_ids === null ? 'all' : w.chat_ids.join(','),
          w.url,
          w.last_error ?? '',
        ]),
        (r, c, text) =>
          c === failing && webhooks[r]!.state === 'failing' ? s.out.paint('red', text) : text,
      );
    });

  webhook
    .command('deliveries')
    .description(
      'the last delivery attempts of a webhook, newest first: when, event seq and type, ' +
        'attempt, HTTP status, duration (ms), error',
    )
    .argument('<webhook id>', 'the webhook (see `msgr webhook list`)', parseId)
    .addHelpText(
      'after',
      examples(
        ['msgr webhook deliveries 3'],
        ["msgr webhook deliveries 3 --json | jq '.[] | select(.error != null)'", 'the failures'],
      ),
    )
    .action(async (webhookId: number, _opts: unknown, cmd: Command) => {
      const s = await openSession(state, cmd);
      const attempts = await s.client.webhookDeliveries(webhookId, { signal: s.signal });
      if (s.out.isJson) return s.out.json(attempts);
      if (attempts.length === 0)
        return s.out.note(`Webhook ${webhookId} has delivered nothing yet.`);
      const status = 4;
      s.out.table(
        ['WHEN', 'SEQ', 'TYPE', 'ATTEMPT', 'STATUS', 'MS', 'ERROR'],
        attempts.map((d) => [
          formatTime(d.at, undefined, { hasSeconds: true }),
          String(d.event_seq),
          d.event_type,
          String(d.attempt),
          d.status === null ? '-' : String(d.status),
          String(d.duration_ms),
          d.error ?? '',
        ]),
        (r, c, text) => {
          const code = attempts[r]!.status;
          const isOk = code !== null && code >= 200 && code < 300;
          return c === status ? s.out.paint(isOk ? 'green' : 'red', text) : text;
        },
      );
    });

  webhook
    .command('resume')
    .description(
      'make a failing webhook deliver again, from the event it stopped at (fix the receiver first)',
    )
    .argument('<webhook id>', 'the webhook', parseId)
    .addHelpText('after', examples(['msgr webhook resume 3'], ['msgr webhook resume 3 --json']))
    .action(async (webhookId: number, _opts: unknown, cmd: Command) => {
      const s = await openSession(state, cmd);
      const resumed = await s.client.resumeWebhook(webhookId, { signal: s.signal });
      if (s.out.isJson) return s.out.json(resumed);
      s.out.line(
        `Webhook ${resumed.id} is ${stateText(resumed)}: it goes on from the event it stopped at.`,
      );
    });

  webhook
    .command('delete')
    .description('delete an outgoing webhook of yours: it delivers nothing more')
    .argument('<webhook id>', 'the webhook', parseId)
    .addHelpText('after', examples(['msgr webhook delete 3'], ['msgr webhook delete 3 --json']))
    .action(async (webhookId: number, _opts: unknown, cmd: Command) => {
      const s = await openSession(state, cmd);
      await s.client.deleteWebhook(webhookId, { signal: s.signal });
      if (s.out.isJson) return s.out.json({ webhook_id: webhookId, deleted: true });
      s.out.line(`Deleted webhook ${webhookId}.`);
    });
}
