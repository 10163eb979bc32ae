/** @jsxRuntime automatic */
import { expect } from 'chai';
import { render } from 'ink-testing-library';
import { ChatList } from '../../src/components/ChatList.js';
import { HelpOverlay } from '../../src/components/HelpOverlay.js';
import { MessagePane } from '../../src/components/MessagePane.js';
import { StatusBar } from '../../src/components/StatusBar.js';
import { inputRows } from '../../src/view/input-rows.js';
import type { Row } from '../../src/view/message-rows.js';

const items = [
  { key: 'c1', title: 'Ann', unread: 0, isSelected: true, isOpen: true, isGroup: false },
  { key: 'c2', title: 'Team', unread: 3, isSelected: false, isOpen: false, isGroup: true },
];

describe('tui components', () => {
  it('ChatList shows titles, unread counts and the selection marker', () => {
    const { lastFrame } = render(
      <ChatList items={items} width={24} height={6} isFocused sort="recent" isLoaded />,
    );
    const lines = lastFrame()!.split('\n');
    expect(lines[1]).to.contain('Chats');
    expect(lines[2]).to.match(/│›@ Ann +│/);
    expect(lines[3]).to.match(/│ # Team +3│/);
  });

  it('ChatList says when it sorts unread first, and when there is nothing', () => {
    const { lastFrame } = render(
      <ChatList items={[]} width={30} height={5} isFocused={false} sort="unread" isLoaded />,
    );
    expect(lastFrame()).to.contain('Chats · unread first');
    expect(lastFrame()).to.contain('No chats yet');
  });

  it('MessagePane shows the title, who types, the rows bottom-aligned and the input with its text', () => {
    const rows: Row[] = [
      { segments: [{ text: '12:00 ' }, { text: 'Ann' }, { text: ': hello' }] },
      { segments: [{ text: '12:01 You: hi ✓✓' }] },
    ];
    const { lastFrame } = render(
      <MessagePane
        title="Ann"
        subtitle="typing…"
        isTyping
        rows={rows}
        messageRows={5}
        scroll={0}
        width={40}
        height={10}
        input={inputRows({ text: 'draft', cursor: 5 }, 36, 5)}
        isInputFocused
      />,
    );
    const lines = lastFrame()!.split('\n');
    expect(lines[1]).to.contain('Ann · typing…');
    expect(lines[2]).to.match(/│ +│/); // padding above a short chat
    expect(lines[5]).to.contain('12:00 Ann: hello');
    expect(lines[6]).to.contain('12:01 You: hi ✓✓');
    expect(lines[8]).to.contain('> draft');
  });

  it('MessagePane without a chat says how to open one', () => {
    const { lastFrame } = render(
      <MessagePane
        isTyping={false}
        rows={[]}
        messageRows={5}
        scroll={0}
        width={60}
        height={8}
        input={[]}
        isInputFocused={false}
      />,
    );
    expect(lastFrame()).to.contain('No chat open.');
  });

  it('StatusBar tells connected / reconnecting / offline, then a notice or the hints', () => {
    const bar = (
      connection: 'open' | 'reconnecting' | 'connecting' | 'closed',
      hasConnected = true,
    ) =>
      render(
        <StatusBar
          connection={connection}
          hasConnected={hasConnected}
          userName="Me"
          hint="? help"
          width={60}
        />,
      ).lastFrame();
    expect(bar('open')).to.equal('● connected Me ? help');
    expect(bar('reconnecting')).to.contain('◌ reconnecting…');
    expect(bar('connecting')).to.contain('◌ reconnecting…');
    expect(bar('connecting', false)).to.contain('◌ connecting…');
    expect(bar('closed')).to.contain('✕ offline');
    const notice = render(
      <StatusBar
        connection="open"
        hasConnected
        userName="Me"
        hint="? help"
        width={60}
        notice={{ text: 'not sent: boom', isError: true }}
      />,
    );
    expect(notice.lastFrame()).to.equal('● connected Me not sent: boom');
  });

  it('HelpOverlay lists every key', () => {
    const frame = render(<HelpOverlay width={80} height={22} />).lastFrame()!;
    for (const key of [
      'Ctrl+N',
      'Ctrl+G',
      'Ctrl+X',
      'Alt+Enter',
      'PgUp/PgDn',
      'Esc',
      'Tab',
      'Ctrl+C',
    ]) {
      expect(frame).to.contain(key);
    }
  });
});
