// tsx (which runs the tests) reads no tsconfig for this file: it needs the JSX runtime named.
/** @jsxRuntime automatic */
import { Box, Text } from 'ink';
import type { SortMode } from '../state/types.js';
import type { ChatListItem } from '../view/chat-list.js';
import { truncate, widthOf } from '../view/text.js';

export interface ChatListProps {
  items: ChatListItem[];
  width: number;
  height: number;
  isFocused: boolean;
  sort: SortMode;
  isLoaded: boolean;
}

/** The chats, one per line: selection marker, title, unread count. */
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
        const badge = item.unread > 0 ? ` ${item.unread > 99 ? '99+' : item.unread}` : '';
        const marker = item.isSelected ? '›' : ' ';
        const icon = item.isGroup ? '#' : '@';
        const title = truncate(item.title, Math.max(1, inner - 3 - badge.length));
        const gap = ' '.repeat(Math.max(0, inner - 3 - badge.length - widthOf(title)));
        return (
          <Text key={item.key} wrap="truncate" inverse={item.isSelected && isFocused}>
            <Text color={item.isSelected ? 'cyan' : undefined}>{marker}</Text>
            <Text dimColor>{icon} </Text>
            <Text bold={item.unread > 0 || item.isOpen} underline={item.isOpen}>
              {title}
            </Text>
            {gap}
            <Text color="yellow" bold>
              {badge}
            </Text>
          </Text>
        );
      })}
    </Box>
  );
}
