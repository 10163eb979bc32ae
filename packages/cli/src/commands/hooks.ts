/**
 * `hook create|list|delete`: incoming webhooks. A hook is a secret URL that posts into one chat,
 * as the hook's own bot, with no token: what a CI job or a monitoring tool can call with curl.
 */
import type { Command } from 'commander';
import { safeLine } from '@msgr/safe-text';
import { openSession, type RunState } from '../client.js';
import { usageError } from '../errors.js';
import { formatTime } from '../format.js';
import { examples } from '../help.js';
import { parseId } from '../parse.js';

/** A word the shell takes as it is; anything else goes in single quotes. */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9_@%+=:,./~-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The ready command that posts "hello" through a hook: `curl … <host><url>`, on the first
 * host. The URL comes from the server: it is quoted for the shell and shown safe.
 */
export function curlLine(host: string, url: string): string {
  const full = `${host.replace(/\/+$/, '')}${url}`;
  return safeLine(
    `curl -X POST -H 'Content-Type: application/json' -d '{"text":"hello"}' ${shellWord(full)}`,
  );
}

export function registerHookCommands(program: Command, state: RunState): void {
  const hook = program
    .command('hook')
    .summary('incoming webhooks (a URL that posts into a chat): create, list, delete')
    .description(
      "incoming webhooks: a secret URL that posts into one chat, as the hook's own bot, with " +
        'no login or token — POST {"text": "…"} to it (see `msgr hook <cmd> --help`)',
    );

  hook
    .command('create')
    .description(
      'make an incoming webhook in a chat of yours (in a group: one you own); prints its URL ' +
        'once, as a ready curl command',
    )
    .argument('<chat id>', 'the chat it posts into (see `msgr chats`)', parseId)
    .argument('<name>', 'the name its messages show (followed by [bot])')
    .addHelpText(
      'after',
      examples(
        ['msgr hook create 7 CI', 'prints `curl -X POST … http://host/hooks/<id>/<secret>`'],
        [
          "msgr hook create 7 Alerts --json | jq -r '.url'",
          'the URL relative to the server: put your host in front',
        ],
        [
          'curl -X POST -H \'Content-Type: application/json\' -H "Idempotency-Key: $RUN_ID" ' +
            '-d \'{"text":"deployed"}\' "$HOOK_URL"',
          'from a CI job: with a key, a retried job posts once',
        ],
      ),
    )
    .action(async (chatId: number, name: string, _opts: unknown, cmd: Command) => {
      if (name.trim() === '') throw usageError('empty_name', 'the name is empty');
      const s = await openSession(state, cmd);
      const made = await s.client.createHook(chatId, { name, signal: s.signal });
      if (s.out.isJson) s.out.json(made);
      else {
        s.out.line(
          safeLine(
            `Created hook ${made.id} "${made.name}" in chat ${made.chat_id} ` +
              `(it posts as bot user ${made.bot_id}). Post with:`,
          ),
        );
        s.out.line(curlLine(s.hosts[0]!, made.url));
      }
      s.out.note(
        'The URL is the secret: anyone who has it can post. Keep it now: it will not be ' +
          `shown again. Stop it with: msgr hook delete ${made.id}`,
      );
    });

  hook
    .command('list')
    .description("a chat's incoming webhooks (never their URLs): id, name, bot, made by, created")
    .argument('<chat id>', 'the chat', parseId)
    .addHelpText('after', examples(['msgr hook list 7'], ['msgr hook list 7 --json']))
    .action(async (chatId: number, _opts: unknown, cmd: Command) => {
      const s = await openSession(state, cmd);
      const hooks = await s.client.hooks(chatId, { signal: s.signal });
      if (s.out.isJson) return s.out.json(hooks);
      if (hooks.length === 0) {
        return s.out.note(`No hooks in chat ${chatId}: make one with \`msgr hook create\`.`);
      }
      s.out.table(
        ['ID', 'NAME', 'BOT', 'MADE BY', 'CREATED'],
        hooks.map((h) => [
          String(h.id),
          h.name,
          `user ${h.bot_id}`,
          `user ${h.creator_id}`,
          formatTime(h.created_at),
        ]),
      );
    });

  hook
    .command('delete')
    .description(
      'delete an incoming webhook (yours, or any in a group you own): its URL stops working; ' +
        'its messages stay',
    )
    .argument('<hook id>', 'the hook (see `msgr hook list <chat id>`)', parseId)
    .addHelpText('after', examples(['msgr hook delete 4'], ['msgr hook delete 4 --json']))
    .action(async (hookId: number, _opts: unknown, cmd: Command) => {
      const s = await openSession(state, cmd);
      await s.client.deleteHook(hookId, { signal: s.signal });
      if (s.out.isJson) return s.out.json({ hook_id: hookId, deleted: true });
      s.out.line(`Deleted hook ${hookId}.`);
    });
}
