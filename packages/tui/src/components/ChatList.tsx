// tsx (which runs the tests) reads no tsconfig for this file: it needs the JSX runtime named.
/** @jsxRuntime automatic */
import { Box, Text } from 'ink';
import type { SortMode } from '../state/types.js';
import type { ChatListItem } from '../view/chat-list.js';
import { MENTION_COLOR } from '../view/message-rows.js';
import { truncate, widthOf } from '../view/text.js';

export interface ChatListProps {
  items: ChatListItem[];
  width: number;
  height: number;
  isFocused: boolean;
  sort: SortMode;
  isLoaded: boolean;
}

const upTo99 = (n: number): string => (n > 99 ? '99+' : String(n));

/**
 * The chats, one per line: selection marker, title, unread mentions (`@2`) and unread count.
 * A muted chat (level `none`) is dimmed, its count too.
 */
export function ChatList({ items, width, height, isFocused, sort, isLoaded }: ChatListProps) {
  const inner = width - 2;
  return (
    <Box
      flexDirection="column"
      width={width}
      height={height}
      borderStyle="round"
      borderColor={isFocused ? 'cyan' : 'gray'}
    >
      <Text bold wrap="truncate">
        {truncate(`Chats${sort === 'unread' ? ' · unread first' : ''}`, inner)}
      </Text>
      {items.length === 0 ? (
        <Text dimColor wrap="truncate-end">
          {isLoaded ? 'No chats yet: Ctrl+N' : 'loading…'}
        </Text>
      ) : null}
      {items.map((item) => {
        const mentions = item.mentions > 0 ? ` @${upTo99(item.mentions)}` : '';
        const count = item.unread > 0 ? ` ${upTo99(item.unread)}` : '';
        const badge = mentions.length + count.length;
        const isMuted = item.level === 'none';
        const marker = item.isSelected ? '›' : ' ';
        const icon = item.isGroup ? '#' : '@';
        const title = truncate(item.title, Math.max(1, inner - 3 - badge));
        const gap = ' '.repeat(Math.max(0, inner - 3 - badge - widthOf(title)));
        return (
          <Text key={item.key} wrap="truncate" inverse={item.isSelected && isFocused}>
            <Text color={item.isSelected ? 'cyan' : undefined}>{marker}</Text>
            <Text dimColor>{icon} </Text>
            <Text
              bold={(item.unread > 0 && !isMuted) || item.isOpen}
              underline={item.isOpen}
              dimColor={isMuted}
            >
              {title}
            </Text>
            {gap}
            <Text color={MENTION_COLOR} bold>
              {mentions}
            </Text>
            {isMuted ? (
              <Text dimColor>{count}</Text>
            ) : (
              <Text color="yellow" bold>
                {count}
              </Text>
            )}
          </Text>
        );
      })}
    </Box>
  );
}
