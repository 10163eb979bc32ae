/** `group create`: a group with you and the members you name. */
import type { Command } from 'commander';
import { safeLine } from '@msgr/safe-text';
import { openSession, type RunState } from '../client.js';
import { examples } from '../help.js';
import { resolveUsers } from '../parse.js';

export function registerGroupCommands(program: Command, state: RunState): void {
  const group = program
    .command('group')
    .description('manage groups (see `msgr group create --help`)');

  group
    .command('create')
    .description('create a group; you are always a member')
    .argument('<name>', "the group's name")
    .requiredOption(
      '--members <users...>',
      'user ids or emails (space- or comma-separated); may be empty: --members ""',
    )
    .addHelpText(
      'after',
      examples(
        ['msgr group create "Team" --members test2@test.com test3@test.com'],
        [
          'msgr group create Ops --members 2,3 --json',
          'prints the group; its group_id takes sends',
        ],
      ),
    )
    .action(async (name: string, opts: { members: string[] }, cmd: Command) => {
      const s = await openSession(state, cmd);
      const refs = opts.members.flatMap((m) => m.split(',')).filter((m) => m.trim() !== '');
      const participantUserIds = await resolveUsers(s.client, refs, s.signal);
      const created = await s.client.createGroup({ name, participantUserIds, signal: s.signal });
      if (s.out.isJson) return s.out.json(created);
      s.out.line(
        safeLine(
          `Created group ${created.group_id} "${created.name}" (chat ${created.chat_id}) ` +
            `with members ${created.member_ids.join(', ')}.`,
        ),
      );
      s.out.note(`Write to it with: msgr send --group ${created.group_id} <text>`);
    });
}
