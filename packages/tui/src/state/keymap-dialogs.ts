/**
 * Keys while a dialog is open: help, new chat, new group, search, members, confirmation, the
 * Threads view. Pure.
 */
import type { Key } from 'ink';
import { act, edit, editOpFor, run, type Intent } from './intents.js';
import { isOwnerOf, memberList } from './selectors.js';
import type { Dialog, State } from './types.js';

type Of<K extends Dialog['kind']> = Extract<Dialog, { kind: K }>;

export function dialogKeys(state: State, input: string, key: Key): Intent[] {
  const dialog = state.dialog!;
  switch (dialog.kind) {
    case 'help':
      return [act({ type: 'dialogClose' })];
    case 'attach':
      return attachKeys(dialog, input, key);
    case 'direct':
      return directKeys(dialog, input, key);
    case 'group':
      return groupKeys(dialog, input, key);
    case 'search':
      return searchKeys(dialog, input, key);
    case 'members':
      return membersKeys(state, dialog, input, key);
    case 'confirm':
      return confirmKeys(dialog, input, key);
    case 'threads':
      return threadsKeys(dialog, input, key);
  }
}

/** The Threads view: ↑/↓ pick a thread, Enter opens it beside its chat. */
function threadsKeys(dialog: Of<'threads'>, input: string, key: Key): Intent[] {
  if (key.escape) return [act({ type: 'dialogClose' })];
  if (key.upArrow || input === 'k') return [act({ type: 'dialogMove', delta: -1 })];
  if (key.downArrow || input === 'j') return [act({ type: 'dialogMove', delta: 1 })];
  if (key.return) {
    const root = dialog.results[dialog.index]?.root;
    return root ? [act({ type: 'threadOpen', chatId: root.chat_id, rootId: root.id, root })] : [];
  }
  return [];
}

/** The path prompt: type a path (`~` is home), Tab completes, Enter chooses the file. */
function attachKeys(dialog: Of<'attach'>, input: string, key: Key): Intent[] {
  if (key.escape) return [act({ type: 'dialogClose' })];
  if (dialog.isBusy) return [];
  if (key.tab) return [run({ type: 'completePath' })];
  if (key.return) return dialog.path.text.trim() === '' ? [] : [run({ type: 'choosePath' })];
  return edit('dialog.path', editOpFor(input, key));
}

function directKeys(dialog: Of<'direct'>, input: string, key: Key): Intent[] {
  if (key.escape) return [act({ type: 'dialogClose' })];
  if (key.upArrow) return [act({ type: 'dialogMove', delta: -1 })];
  if (key.downArrow) return [act({ type: 'dialogMove', delta: 1 })];
  if (key.return) {
    const user = dialog.results[dialog.index];
    return user ? [act({ type: 'startDirect', user })] : [];
  }
  return edit('dialog.query', editOpFor(input, key));
}

function groupKeys(dialog: Of<'group'>, input: string, key: Key): Intent[] {
  if (key.escape) return [act({ type: 'dialogClose' })];
  if (dialog.isBusy) return [];
  if (key.tab) return [act({ type: 'dialogField', delta: key.shift ? -1 : 1 })];
  switch (dialog.field) {
    case 'name':
      if (key.return || key.downArrow) return [act({ type: 'dialogField', field: 'members' })];
      return edit('dialog.name', editOpFor(input, key));
    case 'members':
      if (key.upArrow) {
        return dialog.index === 0
          ? [act({ type: 'dialogField', field: 'name' })]
          : [act({ type: 'dialogMove', delta: -1 })];
      }
      if (key.downArrow) {
        return dialog.index >= dialog.results.length - 1
          ? [act({ type: 'dialogField', field: 'create' })]
          : [act({ type: 'dialogMove', delta: 1 })];
      }
      if (key.return) return [act({ type: 'groupToggleMember' })];
      return edit('dialog.query', editOpFor(input, key));
    case 'create':
      if (key.upArrow) return [act({ type: 'dialogField', field: 'members' })];
      return key.return ? [run({ type: 'createGroup' })] : [];
  }
}

/** Type words; ↑/↓ pick a result (the next page loads at the last); Enter opens the chat there. */
function searchKeys(dialog: Of<'search'>, input: string, key: Key): Intent[] {
  if (key.escape) return [act({ type: 'dialogClose' })];
  if (key.upArrow) return [act({ type: 'dialogMove', delta: -1 })];
  if (key.downArrow) return [act({ type: 'dialogMove', delta: 1 })];
  if (key.pageUp) return [act({ type: 'dialogMove', delta: -10 })];
  if (key.pageDown) return [act({ type: 'dialogMove', delta: 10 })];
  if (key.return) {
    const found = dialog.results[dialog.index];
    if (!found) return [];
    // A reply opens beside its thread.
    const thread = typeof found.thread_id === 'number' ? { threadId: found.thread_id } : {};
    return [act({ type: 'openAt', chatId: found.chat_id, messageId: found.id, ...thread })];
  }
  return edit('dialog.query', editOpFor(input, key));
}

const ownerOnly = (what: string): Intent[] => [
  act({ type: 'notice', text: `Only the group's owner can ${what}` }),
];

/**
 * The list: ↑/↓ pick a member, `a` add, `x` remove, `r` rename (the owner), `l` leave. Adding:
 * a user search, Enter adds the highlighted one. Renaming: the name, Enter saves.
 */
function membersKeys(state: State, dialog: Of<'members'>, input: string, key: Key): Intent[] {
  const chat = state.chats[dialog.key];
  if (!chat) return [act({ type: 'dialogClose' })];
  if (dialog.mode !== 'list') {
    if (key.escape) return [act({ type: 'membersMode', mode: 'list' })];
    if (dialog.isBusy) return [];
    if (dialog.mode === 'rename') {
      if (key.return) return [run({ type: 'renameGroup', key: dialog.key })];
      return edit('dialog.name', editOpFor(input, key));
    }
    if (key.upArrow) return [act({ type: 'dialogMove', delta: -1 })];
    if (key.downArrow) return [act({ type: 'dialogMove', delta: 1 })];
    if (key.return) {
      const user = dialog.results[dialog.index];
      if (!user || chat.memberIds.includes(user.id)) return [];
      return [run({ type: 'addMember', key: dialog.key, userId: user.id })];
    }
    return edit('dialog.query', editOpFor(input, key));
  }
  if (key.escape) return [act({ type: 'dialogClose' })];
  if (dialog.isBusy) return [];
  if (key.upArrow || input === 'k') return [act({ type: 'membersMove', delta: -1 })];
  if (key.downArrow || input === 'j') return [act({ type: 'membersMove', delta: 1 })];
  const isOwner = isOwnerOf(state, dialog.key);
  const name = chat.title;
  switch (input) {
    case 'a':
      return isOwner ? [act({ type: 'membersMode', mode: 'add' })] : ownerOnly('add members');
    case 'r':
      return isOwner ? [act({ type: 'membersMode', mode: 'rename' })] : ownerOnly('rename it');
    case 'l':
      return [
        act({
          type: 'confirmOpen',
          title: 'Leave group',
          question: `Leave #${name}? Its messages go from your list; someone must add you back.`,
          yes: 'Leave',
          command: { type: 'leaveGroup', key: dialog.key },
        }),
      ];
  }
  if (input === 'x' || key.delete || key.backspace) {
    if (!isOwner) return ownerOnly('remove members');
    const member = memberList(state, dialog.key)[dialog.memberIndex];
    if (!member) return [];
    if (member.isMe) return [act({ type: 'notice', text: 'To remove yourself, leave (l)' })];
    return [
      act({
        type: 'confirmOpen',
        title: 'Remove member',
        question: `Remove ${member.name} from #${name}?`,
        yes: 'Remove',
        command: { type: 'removeMember', key: dialog.key, userId: member.id },
      }),
    ];
  }
  return [];
}

function confirmKeys(dialog: Of<'confirm'>, input: string, key: Key): Intent[] {
  if (dialog.isBusy) return [];
  if (key.return || input === 'y') return [run({ type: 'confirmed' })];
  if (key.escape || input === 'n') return [act({ type: 'confirmDone' })];
  return [];
}
