/**
 * `bot create|list|delete`: bots are users of their own (no email, no password) that you own
 * and that sign in with API tokens; their messages show as `Name [bot]`.
 */
import type { Command } from 'commander';
import { safeLine } from '@msgr/safe-text';
import { openSession, requireLogin, type RunState } from '../client.js';
import { usageError } from '../errors.js';
import { formatTime, userLabel } from '../format.js';
import { examples } from '../help.js';
import { parseId } from '../parse.js';

export function registerBotCommands(program: Command, state: RunState): void {
  const bot = program
    .command('bot')
    .summary('bots you own: create, list, delete')
    .description(
      'bots: users of your own with no email or password, which sign in with an API token ' +
        '(`MSGR_TOKEN=<its token> msgr …`); add one to a group like anyone. Managed from your ' +
        'login session only (see `msgr bot <cmd> --help`).',
    );

  bot
    .command('create')
    .description('make a bot; prints its user id and its token, once (keep the token now)')
    .argument('<name>', 'the name people see (followed by [bot])')
    .addHelpText(
      'after',
      examples(
        ['msgr bot create Deploy'],
        ["msgr bot create Deploy --json | jq -r '.token'", '{ user, owner_id, created_at, token }'],
        ['msgr group add 3 <bot user id>', 'then it may write to group 3'],
        ['MSGR_TOKEN=<its token> msgr send --group 3 "build passed"', 'as the bot'],
      ),
    )
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      if (name.trim() === '') throw usageError('empty_name', 'the name is empty');
      const s = await openSession(state, cmd);
      requireLogin(s, '`msgr bot create`');
      const made = await s.client.createBot({ name, signal: s.signal });
      if (s.out.isJson) s.out.json(made);
      else {
        s.out.line(`Created bot ${userLabel(made.user)} (user ${made.user.id}).`);
        s.out.line(`Token: ${safeLine(made.token)}`);
      }
      s.out.note(
        'Keep the token now: it will not be shown again. The bot acts with it: ' +
          `MSGR_TOKEN=<token> msgr …; add it to a group with: msgr group add <group id> ${made.user.id}`,
      );
    });

  bot
    .command('list')
    .description('your bots: user id, name, created')
    .addHelpText('after', examples(['msgr bot list'], ['msgr bot list --json']))
    .action(async (_opts: unknown, cmd: Command) => {
      const s = await openSession(state, cmd);
      requireLogin(s, '`msgr bot list`');
      const bots = await s.client.bots({ signal: s.signal });
      if (s.out.isJson) return s.out.json(bots);
      if (bots.length === 0) return s.out.note('No bots: make one with `msgr bot create <name>`.');
      s.out.table(
        ['ID', 'NAME', 'CREATED'],
        bots.map((b) => [String(b.user.id), userLabel(b.user), formatTime(b.created_at)]),
      );
    });

  bot
    .command('delete')
    .description(
      'delete a bot of yours: its tokens stop working and it leaves its groups; its messages stay',
    )
    .argument('<bot id>', "the bot's user id (see `msgr bot list`)", parseId)
    .addHelpText('after', examples(['msgr bot delete 12'], ['msgr bot delete 12 --json']))
    .action(async (botId: number, _opts: unknown, cmd: Command) => {
      const s = await openSession(state, cmd);
      requireLogin(s, '`msgr bot delete`');
      await s.client.deleteBot(botId, { signal: s.signal });
      if (s.out.isJson) return s.out.json({ bot_id: botId, deleted: true });
      s.out.line(`Deleted bot ${botId}.`);
    });
}
