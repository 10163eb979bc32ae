// tsx (which runs the tests) reads no tsconfig for this file: it needs the JSX runtime named.
/** @jsxRuntime automatic */
import { safeLine } from '@msgr/safe-text';
import { Box, Text } from 'ink';
import type { InputRow } from '../view/input-rows.js';
import type { Row, Segment } from '../view/message-rows.js';
import { truncate } from '../view/text.js';
import { FieldText } from './FieldText.js';

export interface MessagePaneProps {
  /** Undefined: no chat is open. Untrusted (a group name, a person's name): shown safe. */
  title?: string;
  /** Members, or who is typing (names: untrusted, shown safe). */
  subtitle?: string;
  isTyping: boolean;
  rows: Row[];
  /** Rows reserved for messages (the pane pads above short chats). */
  messageRows: number;
  /** Rows scrolled up from the newest message. */
  scroll: number;
  width: number;
  height: number;
  input: InputRow[];
  isInputFocused: boolean;
  /** The highlighted message (its rows show inverted), while the focus is on the messages. */
  selectedId?: number;
  /** The line above the input: picker, edit or reply in progress (already made safe). */
  banner?: Segment[];
}

function Segments({ segments }: { segments: Segment[] }) {
  return segments.map((s, i) => (
    <Text key={i} color={s.color} dimColor={s.isDim} bold={s.isBold} italic={s.isItalic}>
      {s.text}
    </Text>
  ));
}

function RowText({ row, isSelected }: { row: Row; isSelected: boolean }) {
  return (
    <Text wrap="truncate" inverse={isSelected}>
      <Segments segments={row.segments} />
    </Text>
  );
}

/** The open chat: title, messages (bottom-aligned), input line. */
export function MessagePane(props: MessagePaneProps) {
  const {
    title: untrustedTitle,
    subtitle: untrustedSubtitle,
    isTyping,
    rows,
    messageRows,
    scroll,
    width,
    height,
    input,
    isInputFocused,
    selectedId,
    banner,
  } = props;
  const inner = width - 2;
  const border = isInputFocused || selectedId !== undefined ? 'cyan' : 'gray';
  const title = untrustedTitle === undefined ? undefined : safeLine(untrustedTitle);
  const subtitle = untrustedSubtitle === undefined ? undefined : safeLine(untrustedSubtitle);
  if (title === undefined) {
    return (
      <Box
        width={width}
        height={height}
        borderStyle="round"
        borderColor={border}
        flexDirection="column"
      >
        <Text dimColor>No chat open.</Text>
        <Text dimColor>↑/↓ pick a chat, Enter opens it · Ctrl+N new chat · ? help</Text>
      </Box>
    );
  }
  const padding = Math.max(0, messageRows - rows.length);
  const rule = scroll > 0 ? `── ↓ ${scroll} more rows (PgDn) ` : '';
  return (
    <Box
      width={width}
      height={height}
      borderStyle="round"
      borderColor={border}
      flexDirection="column"
    >
      <Text wrap="truncate">
        <Text bold>{truncate(title, inner)}</Text>
        {subtitle ? (
          <Text color={isTyping ? 'yellow' : 'gray'}>
            {truncate(` · ${subtitle}`, Math.max(0, inner - title.length))}
          </Text>
        ) : null}
      </Text>
      <Box flexDirection="column" height={messageRows}>
        {Array.from({ length: padding }, (_, i) => (
          <Text key={`pad${i}`}> </Text>
        ))}
        {rows.map((row, i) => (
          <RowText
            key={i}
            row={row}
            isSelected={selectedId !== undefined && row.messageId === selectedId}
          />
        ))}
      </Box>
      <Text dimColor wrap="truncate">
        {(rule + '─'.repeat(inner)).slice(0, inner)}
      </Text>
      {banner ? (
        <Text wrap="truncate">
          <Segments segments={banner} />
        </Text>
      ) : null}
      {input.map((row, i) => (
        <Text key={`in${i}`} wrap="truncate">
          <Text color="cyan">{i === 0 ? '> ' : '  '}</Text>
          <FieldText
            row={row}
            hasCursor={isInputFocused}
            placeholder={
              i === 0 ? 'message · Enter send · Alt+Enter new line · Ctrl+X $EDITOR' : undefined
            }
          />
        </Text>
      ))}
    </Box>
  );
}
