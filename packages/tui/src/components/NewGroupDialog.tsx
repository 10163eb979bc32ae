// tsx (which runs the tests) reads no tsconfig for this file: it needs the JSX runtime named.
/** @jsxRuntime automatic */
import { safeLine } from '@msgr/safe-text';
import { Box, Text } from 'ink';
import type { Dialog } from '../state/types.js';
import { inputRows } from '../view/input-rows.js';
import { truncate } from '../view/text.js';
import { DialogFrame } from './DialogFrame.js';
import { FieldText } from './FieldText.js';
import { UserResults } from './UserResults.js';

export interface NewGroupDialogProps {
  dialog: Extract<Dialog, { kind: 'group' }>;
  width: number;
  height: number;
}

/** A name, members picked by search, and a Create button. */
export function NewGroupDialog({ dialog, width, height }: NewGroupDialogProps) {
  const inner = width - 4;
  const [name] = inputRows(dialog.name, inner - 10, 1);
  const [query] = inputRows(dialog.query, inner - 10, 1);
  const members = dialog.members.map((m) => safeLine(m.name)).join(', ');
  const label = (text: string, isActive: boolean) => (
    <Text color={isActive ? 'cyan' : 'gray'} bold={isActive}>
      {text}
    </Text>
  );
  return (
    <DialogFrame title="New group" width={width} height={height}>
      <Text>
        {label('Name:    ', dialog.field === 'name')}
        <FieldText row={name!} hasCursor={dialog.field === 'name'} placeholder="group name" />
      </Text>
      <Text wrap="truncate">
        {label('Members: ', false)}
        {truncate(members || 'you only so far', inner - 9)}
      </Text>
      <Text>
        {label('Add:     ', dialog.field === 'members')}
        <FieldText
          row={query!}
          hasCursor={dialog.field === 'members'}
          placeholder="find by name or email"
        />
      </Text>
      <UserResults
        users={dialog.results}
        index={dialog.index}
        isActive={dialog.field === 'members'}
        width={inner}
        rows={Math.max(1, height - 11)}
        chosenIds={dialog.members.map((m) => m.id)}
      />
      <Box flexGrow={1} />
      <Text>
        <Text
          inverse={dialog.field === 'create'}
          color={dialog.field === 'create' ? 'cyan' : undefined}
        >
          {dialog.isBusy ? ' Creating… ' : ' Create '}
        </Text>
        {dialog.error ? <Text color="red"> {safeLine(dialog.error)}</Text> : null}
      </Text>
      <Text dimColor wrap="truncate">
        Tab next field · Enter add/remove member · Enter on Create · Esc cancel
      </Text>
    </DialogFrame>
  );
}
