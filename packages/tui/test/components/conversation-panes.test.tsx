/* eslint-disable no-control-regex -- a test looks for control characters */
/** @jsxRuntime automatic */
import { expect } from 'chai';
import { render } from 'ink-testing-library';
import { ConfirmDialog } from '../../src/components/ConfirmDialog.js';
import { HelpOverlay } from '../../src/components/HelpOverlay.js';
import { MembersDialog } from '../../src/components/MembersDialog.js';
import { MessagePane } from '../../src/components/MessagePane.js';
import { SearchDialog } from '../../src/components/SearchDialog.js';
import { EMPTY_FIELD, fieldOf } from '../../src/state/field.js';
import type { Dialog } from '../../src/state/types.js';
import { inputRows } from '../../src/view/input-rows.js';
import type { Row } from '../../src/view/message-rows.js';
import { ANN, BOB, message } from '../support/fixtures.js';

const HOSTILE = 'x\u001b]0;pwned\u0007\u009b\u202e';
const UNSAFE = /[\u0007\u001b\u0080-\u009f\u202e]/;

type Search = Extract<Dialog, { kind: 'search' }>;
type Members = Extract<Dialog, { kind: 'members' }>;

const search = (over: Partial<Search> = {}): Search => ({
  kind: 'search',
  query: fieldOf('cake'),
  results: [message(9, 20, BOB.id, 'cake'), message(8, 10, ANN.id, 'more cake')],
  index: 1,
  resultsFor: 'cake',
  isLoading: false,
  hasMore: true,
  ...over,
});

const members = (over: Partial<Members> = {}): Members => ({
  kind: 'members',
  key: 'c20',
  mode: 'list',
  memberIndex: 1,
  query: EMPTY_FIELD,
  results: [],
  index: 0,
  name: EMPTY_FIELD,
  isBusy: false,
  ...over,
});

const lines = [
  { id: 3, name: 'Bob', isOwner: true, isMe: false },
  { id: 2, name: 'Ann', isOwner: false, isMe: false },
  { id: 1, name: 'Me (you)', isOwner: false, isMe: true },
];

describe('tui components: conversations that change', () => {
  it('SearchDialog shows the words, results with chat, sender and time, and how to get more', () => {
    const found = [
      { id: 9, when: '2025-01-01 12:00', where: '#Team', who: 'Bob', text: 'cake' },
      { id: 8, when: '2025-01-01 11:00', where: '@Ann', who: 'Ann', text: 'more cake' },
    ];
    const frame = render(
      <SearchDialog dialog={search()} found={found} width={80} height={12} />,
    ).lastFrame()!;
    expect(frame).to.contain('Search messages');
    expect(frame).to.contain('Find: cake');
    expect(frame).to.match(/2025-01-01 12:00 {2}#Team {2}Bob: cake/);
    expect(frame).to.match(/2025-01-01 11:00 {2}@Ann {2}Ann: more cake/);
    expect(frame).to.contain('↓ at the last one loads more');
    const none = render(
      <SearchDialog
        dialog={search({ results: [], hasMore: false })}
        found={[]}
        width={80}
        height={12}
      />,
    ).lastFrame()!;
    expect(none).to.contain('nothing found');
    const failed = render(
      <SearchDialog
        dialog={search({ error: `boom ${HOSTILE}` })}
        found={[]}
        width={80}
        height={12}
      />,
    ).lastFrame()!;
    expect(failed).to.contain('search failed: boom x␛]0;pwned␇').and.not.match(UNSAFE);
  });

  it('MembersDialog lists members with the owner marked and the keys the owner (or a member) has', () => {
    const owner = render(
      <MembersDialog
        dialog={members()}
        groupName="Team"
        members={lines}
        memberIds={[1, 2, 3]}
        isOwner
        width={70}
        height={12}
      />,
    ).lastFrame()!;
    expect(owner).to.contain('#Team · 3 members');
    expect(owner).to.match(/Bob ★ owner/);
    expect(owner).to.contain('Me (you)');
    expect(owner).to.contain('a add · x remove · r rename · l leave');
    const member = render(
      <MembersDialog
        dialog={members({ error: `not added: ${HOSTILE}` })}
        groupName="Team"
        members={lines}
        memberIds={[1, 2, 3]}
        isOwner={false}
        width={70}
        height={12}
      />,
    ).lastFrame()!;
    expect(member).to.contain('l leave the group').and.not.contain('x remove');
    expect(member).to.contain('not added: x␛]0;pwned␇').and.not.match(UNSAFE);
  });

  it('MembersDialog adding: the search, with people already in marked ✓; renaming: the name field', () => {
    const adding = render(
      <MembersDialog
        dialog={members({ mode: 'add', query: fieldOf('a'), results: [ANN, BOB] })}
        groupName="Team"
        members={lines}
        memberIds={[1, 2]}
        isOwner
        width={70}
        height={14}
      />,
    ).lastFrame()!;
    expect(adding).to.contain('Add: a');
    expect(adding).to.contain('✓ Ann <ann@test.com>');
    expect(adding).to.match(/ {2}Bob <bob@test.com>/);
    const renaming = render(
      <MembersDialog
        dialog={members({ mode: 'rename', name: fieldOf('Crew') })}
        groupName="Team"
        members={lines}
        memberIds={[1, 2, 3]}
        isOwner
        width={70}
        height={12}
      />,
    ).lastFrame()!;
    expect(renaming).to.contain('New name: Crew');
    expect(renaming).to.contain('Enter save the name');
  });

  it('ConfirmDialog asks, quoting safely, and says which keys answer', () => {
    const frame = render(
      <ConfirmDialog
        dialog={{
          kind: 'confirm',
          title: 'Delete message',
          question: `Delete your message “${HOSTILE}”?`,
          yes: 'Delete',
          command: { type: 'deleteMessage', key: 'c10', messageId: 2 },
          isBusy: false,
        }}
        width={70}
        height={8}
      />,
    ).lastFrame()!;
    expect(frame).to.contain('Delete message');
    expect(frame).to.contain('Delete your message “x␛]0;pwned␇');
    expect(frame).to.contain('Delete (Enter/y)').and.contain('Cancel (Esc/n)');
    expect(frame).to.not.match(UNSAFE);
  });

  it('MessagePane shows the banner line above the input', () => {
    const rows: Row[] = [{ segments: [{ text: '12:00 Ann: hello' }], messageId: 1 }];
    const frame = render(
      <MessagePane
        title="Ann"
        isTyping={false}
        rows={rows}
        messageRows={3}
        scroll={0}
        width={50}
        height={9}
        input={inputRows({ text: 'ok', cursor: 2 }, 46, 5)}
        isInputFocused
        selectedId={1}
        banner={[{ text: '↳ Reply to ' }, { text: 'Ann' }, { text: ': hello' }]}
      />,
    ).lastFrame()!;
    const all = frame.split('\n');
    expect(all[4]).to.contain('12:00 Ann: hello');
    expect(all[6]).to.contain('↳ Reply to Ann: hello');
    expect(all[7]).to.contain('> ok');
  });

  it('HelpOverlay fits 80×24 and names the new keys', () => {
    const frame = render(<HelpOverlay width={80} height={22} />).lastFrame()!;
    for (const key of ['Ctrl+K', 'Ctrl+F', 'Ctrl+P', '↑ (empty input)', 'Press any key']) {
      expect(frame).to.contain(key);
    }
    expect(frame.split('\n')).to.have.length(22);
  });
});
