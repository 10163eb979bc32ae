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
  /** The highlighted message's file that `s`/`o` act on (its `📎` line is marked). */
  selectedAttachment?: number;
  /** The files chosen for the next message, a row each, above the input (already made safe). */
  files?: Segment[][];
  /** The line above the input: picker, edit or reply in progress (already made safe). */
  banner?: Segment[];
  /** The `@` completion's rows, right above the input (already made safe). */
  completion?: Segment[][];
  /** What the empty input says. */
  placeholder?: string;
}

export const INPUT_PLACEHOLDER =
  'message · Enter send · @ mention · Alt+Enter new line · Ctrl+O file · Ctrl+X $EDITOR';

function Segments({ segments }: { segments: Segment[] }) {
  return segments.map((s, i) => (
    <Text
      key={i}
      color={s.color}
      backgroundColor={s.backgroundColor}
      dimColor={s.isDim}
      bold={s.isBold}
      italic={s.isItalic}
    >
      {s.text}
    </Text>
  ));
}

/** The mark in front of the picked file's `📎` line (in place of the row's indent). */
export const PICKED_FILE = '    ▸ ';

function RowText({
  row,
  isSelected,
  isPickedFile,
}: {
  row: Row;
  isSelected: boolean;
  isPickedFile: boolean;
}) {
  if (isPickedFile) {
    // Not inverted like the rest of the message: the file `s` and `o` act on stands out.
    return (
      <Text wrap="truncate">
        <Text color="cyan" bold>
          {PICKED_FILE}
        </Text>
        <Text bold underline>
          <Segments segments={row.segments.slice(1)} />
        </Text>
      </Text>
    );
  }
  return (
    <Text wrap="truncate" inverse={isSelected && !row.isImage}>
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
    selectedAttachment,
    files,
    banner,
    completion,
    placeholder = INPUT_PLACEHOLDER,
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
        {rows.map((row, i) => {
          const isSelected = selectedId !== undefined && row.messageId === selectedId;
          return (
            <RowText
              key={i}
              row={row}
              isSelected={isSelected}
              isPickedFile={isSelected && row.attachmentIndex === (selectedAttachment ?? 0)}
            />
          );
        })}
      </Box>
      <Text dimColor wrap="truncate">
        {(rule + '─'.repeat(inner)).slice(0, inner)}
      </Text>
      {files?.map((segments, i) => (
        <Text key={`file${i}`} wrap="truncate">
          <Segments segments={segments} />
        </Text>
      ))}
      {banner ? (
        <Text wrap="truncate">
          <Segments segments={banner} />
        </Text>
      ) : null}
      {completion?.map((segments, i) => (
        <Text key={`at${i}`} wrap="truncate">
          <Segments segments={segments} />
        </Text>
      ))}
      {input.map((row, i) => (
        <Text key={`in${i}`} wrap="truncate">
          <Text color="cyan">{i === 0 ? '> ' : '  '}</Text>
          <FieldText
            row={row}
            hasCursor={isInputFocused}
            placeholder={i === 0 ? placeholder : undefined}
          />
        </Text>
      ))}
    </Box>
  );
}
