// tsx (which runs the tests) reads no tsconfig for this file: it needs the JSX runtime named.
/** @jsxRuntime automatic */
import { safeLine } from '@msgr/safe-text';
import { Box, Text } from 'ink';
import type { Dialog } from '../state/types.js';
import type { MemberLine } from '../view/dialog-views.js';
import { inputRows } from '../view/input-rows.js';
import { truncate } from '../view/text.js';
import { DialogFrame } from './DialogFrame.js';
import { FieldText } from './FieldText.js';
import { UserResults } from './UserResults.js';

export interface MembersDialogProps {
  dialog: Extract<Dialog, { kind: 'members' }>;
  /** Made safe by `dialogView`. */
  groupName: string;
  members: MemberLine[];
  memberIds: number[];
  isOwner: boolean;
  width: number;
  height: number;
}

function hintFor(dialog: MembersDialogProps['dialog'], isOwner: boolean): string {
  if (dialog.mode === 'add') return 'type a name · ↑/↓ pick · Enter add · Esc back';
  if (dialog.mode === 'rename') return 'Enter save the name · Esc back';
  return isOwner
    ? '↑/↓ pick · a add · x remove · r rename · l leave · Esc close'
    : '↑/↓ pick · l leave the group · Esc close';
}

/** Who is in a group and who owns it; the owner adds, removes and renames; anyone leaves. */
export function MembersDialog(props: MembersDialogProps) {
  const { dialog, groupName, members, memberIds, isOwner, width, height } = props;
  const inner = width - 4;
  const extra = dialog.mode === 'list' ? 0 : dialog.mode === 'add' ? 6 : 2;
  const rows = Math.max(1, height - 6 - extra);
  const first = Math.max(0, Math.min(dialog.memberIndex - rows + 1, members.length - rows));
  const [query] = inputRows(dialog.query, inner - 10, 1);
  const [name] = inputRows(dialog.name, inner - 10, 1);
  return (
    <DialogFrame
      title={truncate(`#${groupName} · ${members.length} members`, inner)}
      width={width}
      height={height}
    >
      {dialog.mode === 'rename' ? (
        <Text>
          <Text color="cyan">New name: </Text>
          <FieldText row={name!} hasCursor placeholder="group name" />
        </Text>
      ) : null}
      {dialog.mode === 'add' ? (
        <Box flexDirection="column">
          <Text>
            <Text color="cyan">Add: </Text>
            <FieldText row={query!} hasCursor placeholder="find by name or email" />
          </Text>
          <UserResults
            users={dialog.results}
            index={dialog.index}
            isActive
            width={inner}
            rows={4}
            chosenIds={memberIds}
          />
        </Box>
      ) : null}
      <Box flexDirection="column" marginTop={dialog.mode === 'list' ? 0 : 1}>
        {members.slice(first, first + rows).map((m, i) => {
          const isAt = first + i === dialog.memberIndex && dialog.mode === 'list';
          return (
            <Text key={m.id} wrap="truncate" inverse={isAt} color={isAt ? 'cyan' : undefined}>
              {truncate(m.name, Math.max(1, inner - 8))}
              {m.isOwner ? <Text color="yellow"> ★ owner</Text> : null}
            </Text>
          );
        })}
      </Box>
      <Box flexGrow={1} />
      {dialog.error ? <Text color="red">{safeLine(dialog.error)}</Text> : null}
      <Text dimColor wrap="truncate">
        {dialog.isBusy ? 'working… · ' : ''}
        {hintFor(dialog, isOwner)}
      </Text>
    </DialogFrame>
  );
}
