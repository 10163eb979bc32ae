/** `group create|add|remove|leave|rename`: groups and who is in them. */
import type { Command } from 'commander';
import { safeLine } from '@msgr/safe-text';
import type { Group } from '@msgr/sdk';
import { openSession, type RunState } from '../client.js';
import { usageError } from '../errors.js';
import { examples } from '../help.js';
import type { Output } from '../output.js';
import { parseId, resolveUser, resolveUsers } from '../parse.js';

/** User refs as typed: space- or comma-separated, blanks dropped. */
function refsOf(values: string[]): string[] {
  return values.flatMap((m) => m.split(',')).filter((m) => m.trim() !== '');
}

/** The group in JSON, or `human(group)` (server strings made safe) for people. */
function showGroup(out: Output, group: Group, human: (g: Group) => string): void {
  if (out.isJson) return out.json(group);
  out.line(safeLine(human(group)));
}

export function registerGroupCommands(program: Command, state: RunState): void {
  const group = program
    .command('group')
    .description(
      'manage groups: create, add, remove, leave, rename (see `msgr group <cmd> --help`)',
    );

  group
    .command('create')
    .description('create a group; you are always a member, and its owner')
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
      const participantUserIds = await resolveUsers(s.client, refsOf(opts.members), s.signal);
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

  group
    .command('add')
    .description('add people to a group you own; those already in it are left as they are')
    .argument('<group id>', 'the group (see `msgr chats`)', parseId)
    .argument('<users...>', 'user ids or emails (space- or comma-separated)')
    .addHelpText(
      'after',
      examples(
        ['msgr group add 3 test3@test.com 7'],
        ["msgr group add 3 4,5 --json | jq '.member_ids'", 'the group as it is now'],
      ),
    )
    .action(async (groupId: number, users: string[], _opts: unknown, cmd: Command) => {
      const refs = refsOf(users);
      if (refs.length === 0) throw usageError('missing_users', 'name at least one user to add');
      const s = await openSession(state, cmd);
      const userIds = await resolveUsers(s.client, refs, s.signal);
      const grown = await s.client.addMembers(groupId, userIds, { signal: s.signal });
      showGroup(
        s.out,
        grown,
        (g) => `Group ${g.group_id} "${g.name}" now has members ${g.member_ids.join(', ')}.`,
      );
    });

  group
    .command('remove')
    .description('remove someone from a group you own (to remove yourself: `msgr group leave`)')
    .argument('<group id>', 'the group', parseId)
    .argument('<user>', 'a user id or email')
    .addHelpText(
      'after',
      examples(['msgr group remove 3 test3@test.com'], ['msgr group remove 3 7']),
    )
    .action(async (groupId: number, user: string, _opts: unknown, cmd: Command) => {
      const s = await openSession(state, cmd);
      const userId = await resolveUser(s.client, user, s.signal);
      await s.client.removeMember(groupId, userId, { signal: s.signal });
      if (s.out.isJson) return s.out.json({ group_id: groupId, user_id: userId, removed: true });
      s.out.line(`Removed user ${userId} from group ${groupId}.`);
    });

  group
    .command('leave')
    .description('leave a group (when its owner leaves, the earliest member becomes owner)')
    .argument('<group id>', 'the group', parseId)
    .addHelpText('after', examples(['msgr group leave 3']))
    .action(async (groupId: number, _opts: unknown, cmd: Command) => {
      const s = await openSession(state, cmd);
      await s.client.leaveGroup(groupId, { signal: s.signal });
      if (s.out.isJson) return s.out.json({ group_id: groupId, left: true });
      s.out.line(`You left group ${groupId}.`);
    });

  group
    .command('rename')
    .description('rename a group you own')
    .argument('<group id>', 'the group', parseId)
    .argument('<name...>', 'the new name (words are joined by spaces)')
    .addHelpText(
      'after',
      examples(['msgr group rename 3 Night shift'], ['msgr group rename 3 "Ops" --json']),
    )
    .action(async (groupId: number, words: string[], _opts: unknown, cmd: Command) => {
      const name = words.join(' ');
      if (name.trim() === '') throw usageError('empty_name', 'the name is empty');
      const s = await openSession(state, cmd);
      const renamed = await s.client.renameGroup(groupId, name, { signal: s.signal });
      showGroup(s.out, renamed, (g) => `Group ${g.group_id} is now called "${g.name}".`);
    });
}
