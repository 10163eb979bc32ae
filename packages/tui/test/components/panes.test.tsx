/* eslint-disable no-control-regex -- a test looks for control characters */
/** @jsxRuntime automatic */
import { expect } from 'chai';
import { render } from 'ink-testing-library';
import { ChatList } from '../../src/components/ChatList.js';
import { HelpOverlay } from '../../src/components/HelpOverlay.js';
import { LoginScreen } from '../../src/components/LoginScreen.js';
import { MessagePane } from '../../src/components/MessagePane.js';
import { StatusBar } from '../../src/components/StatusBar.js';
import { UserResults } from '../../src/components/UserResults.js';
import { emptyLogin } from '../../src/state/login.js';
import { inputRows } from '../../src/view/input-rows.js';
import type { Row } from '../../src/view/message-rows.js';

const items = [
  {
    key: 'c1',
    title: 'Ann',
    unread: 0,
    mentions: 0,
    level: 'all' as const,
    isSelected: true,
    isOpen: true,
    isGroup: false,
  },
  {
    key: 'c2',
    title: 'Team',
    unread: 3,
    mentions: 0,
    level: 'all' as const,
    isSelected: false,
    isOpen: false,
    isGroup: true,
  },
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

  it('untrusted text: the status bar name, a login error and a typed field show stand-ins', () => {
    const hostile = 'x\u001b]0;pwned\u0007\u009b\u202e';
    const bar = render(
      <StatusBar
        connection="open"
        hasConnected
        userName={`Eve${hostile}`}
        hint="? help"
        width={80}
        notice={{ text: `not sent: ${hostile}`, isError: true }}
      />,
    ).lastFrame()!;
    expect(bar).to.equal(
      '● connected Evex␛]0;pwned␇\ufffd\ufffd not sent: x␛]0;pwned␇\ufffd\ufffd',
    );
    const login = render(
      <LoginScreen
        form={{
          ...emptyLogin(),
          email: { text: `pasted${hostile}`, cursor: 3 },
          error: `server says ${hostile}`,
        }}
        width={80}
        height={14}
        configFile="/tmp/config.json"
      />,
    ).lastFrame()!;
    expect(login).to.include('server says x␛]0;pwned␇').and.include('pasted');
    expect(login).to.not.match(/[\u0007\u001b\u0080-\u009f\u202e]/);
  });

  it('UserResults marks bots (which have no email) and never shows "null"; names show stand-ins', () => {
    const users = [
      { id: 2, email: 'ann@test.com', name: 'Ann', is_bot: false },
      { id: 9, email: null, name: 'Deploy\u001b[2J', is_bot: true },
    ];
    const frame = render(
      <UserResults users={users} index={0} isActive={false} width={40} rows={5} />,
    ).lastFrame()!;
    expect(frame.split('\n')).to.deep.equal(['Ann <ann@test.com>', 'Deploy␛[2J [bot]']);
    expect(frame).to.not.include('null');
  });
});
