/** @jsxRuntime automatic */
import { expect } from 'chai';
import { render } from 'ink-testing-library';
import { ChatList } from '../../src/components/ChatList.js';
import { ThreadPane } from '../../src/components/ThreadPane.js';
import { ThreadsDialog } from '../../src/components/ThreadsDialog.js';
import type { ChatListItem } from '../../src/view/chat-list.js';
import { completionRows } from '../../src/view/completion-rows.js';
import { inputRows } from '../../src/view/input-rows.js';
import { messageRows } from '../../src/view/message-rows.js';
import { screenLayout } from '../../src/view/screen.js';
import { emptyChat } from '../../src/state/chats.js';
import { ANN, BOB, ME, message } from '../support/fixtures.js';

const HOSTILE = 'x\u001b]0;pwned\u0007\u009b\u202e';
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0007\u001b\u0080-\u009f\u202e]/;

const item = (over: Partial<ChatListItem>): ChatListItem => ({
  key: 'c1',
  title: 'Ann',
  unread: 0,
  mentions: 0,
  level: 'all',
  isSelected: false,
  isOpen: false,
  isGroup: false,
  ...over,
});

describe('tui components: threads and mentions', () => {
  it('ChatList marks unread mentions as @N before the count; a muted chat keeps its count', () => {
    const frame = render(
      <ChatList
        items={[
          item({ key: 'c1', title: 'Team', isGroup: true, unread: 5, mentions: 2 }),
          item({ key: 'c2', title: 'Quiet', isGroup: true, unread: 3, level: 'none' }),
          item({ key: 'c3', title: 'Lots', unread: 120, mentions: 101, isSelected: true }),
        ]}
        width={30}
        height={6}
        isFocused
        sort="recent"
        isLoaded
      />,
    ).lastFrame()!;
    const lines = frame.split('\n');
    expect(lines[2]).to.match(/│ # Team +@2 5│/);
    expect(lines[3]).to.match(/│ # Quiet +3│/);
    expect(lines[4]).to.match(/│›@ Lots +@99\+ 99\+│/);
  });

  it('ThreadPane: the chat it is in, the count, the root, its replies and an input that replies', () => {
    const root = {
      ...message(40, 20, BOB.id, 'who brings the cake?'),
      thread: { reply_count: 2, last_reply_at: null, last_reply_id: 42, participant_ids: [3, 2] },
    };
    const chat = {
      ...emptyChat('t40', 'group', 'Team'),
      isLoaded: true,
      messages: [
        root,
        { ...message(41, 20, ANN.id, 'me'), thread_id: 40 },
        { ...message(42, 20, ME.id, 'and me'), thread_id: 40 },
      ],
    };
    const rows = messageRows(chat, {
      meId: ME.id,
      width: 38,
      nameOf: (id) => (id === ME.id ? 'You' : id === ANN.id ? 'Ann' : 'Bob'),
      threadRootId: 40,
    });
    const frame = render(
      <ThreadPane
        chatTitle="Team"
        isGroup
        replyCount={2}
        rows={rows}
        messageRows={8}
        scroll={0}
        width={40}
        height={13}
        input={inputRows({ text: '', cursor: 0 }, 36, 5)}
        isInputFocused={false}
      />,
    ).lastFrame()!;
    const lines = frame.split('\n');
    expect(lines[1]).to.contain('Thread · #Team · 2 replies · Esc clo');
    expect(frame).to.contain('Bob: who brings the cake?');
    expect(frame).to.match(/─ 2 replies ─/);
    expect(frame.indexOf('2 replies ─')).to.be.below(frame.indexOf('Ann: me'));
    expect(frame).to.contain('You: and me ✓');
    expect(frame).to.contain('reply in the thread · Enter send');
    expect(lines).to.have.length(13);
  });

  it('ThreadPane with its completion open, and a hostile chat title shown safe', () => {
    const completion = completionRows(
      {
        start: 0,
        query: 'a',
        index: 1,
        candidates: [
          { kind: 'user', userId: 2, name: 'Ann', email: 'ann@test.com' },
          { kind: 'all', token: 'all' },
        ],
      },
      38,
    );
    const frame = render(
      <ThreadPane
        chatTitle={HOSTILE}
        isGroup={false}
        replyCount={1}
        rows={[]}
        messageRows={4}
        scroll={0}
        width={40}
        height={11}
        input={inputRows({ text: '@a', cursor: 2 }, 36, 5)}
        isInputFocused
        completion={completion}
      />,
    ).lastFrame()!;
    expect(frame).to.not.match(UNSAFE);
    expect(frame).to.contain('Thread · @x␛]0;pwned␇');
    expect(frame).to.contain('1 reply');
    expect(frame).to.match(/ {2}@Ann {2}ann@test\.com/);
    expect(frame).to.match(/› @all {2}everyone in the chat/);
    expect(frame).to.contain('> @a');
  });

  it('ThreadsDialog lists each thread with its chat, starter, text and unread replies', () => {
    const frame = render(
      <ThreadsDialog
        dialog={{ kind: 'threads', results: [], index: 0, isLoading: false }}
        threads={[
          {
            id: 40,
            where: '#Team',
            who: 'Bob',
            text: 'who brings the cake?',
            unread: 2,
            replies: '3 replies',
          },
        ]}
        width={80}
        height={10}
      />,
    ).lastFrame()!;
    expect(frame).to.contain('Threads with unread replies');
    expect(frame).to.match(/#Team {2}Bob: who brings the cake\? +2 new · 3 replies/);
    const empty = render(
      <ThreadsDialog
        dialog={{ kind: 'threads', results: [], index: 0, isLoading: false }}
        threads={[]}
        width={80}
        height={10}
      />,
    ).lastFrame()!;
    expect(empty).to.contain('No thread you follow has unread replies.');
  });

  it('the thread pane goes beside the chat’s on a wide terminal, over it at 80 columns', () => {
    const wide = screenLayout(120, 30, 1, { inputRows: 2 });
    expect(wide.thread).to.include({ isBeside: true });
    expect(wide.listWidth + wide.paneWidth + wide.thread!.width).to.equal(120);
    expect(wide.thread!.messageRows).to.equal(wide.messageRows - 1);
    const narrow = screenLayout(80, 24, 1, { inputRows: 1 });
    expect(narrow.thread).to.include({ isBeside: false, width: narrow.paneWidth });
    expect(screenLayout(120, 30).thread).to.equal(undefined);
  });
});
