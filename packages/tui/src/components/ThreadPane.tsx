// tsx (which runs the tests) reads no tsconfig for this file: it needs the JSX runtime named.
/** @jsxRuntime automatic */
import type { InputRow } from '../view/input-rows.js';
import { repliesText, type Row, type Segment } from '../view/message-rows.js';
import { MessagePane } from './MessagePane.js';

export interface ThreadPaneProps {
  /** The chat the thread is in (untrusted: shown safe). */
  chatTitle: string;
  isGroup: boolean;
  /** The root's reply count as held (live replies and deletions move it). */
  replyCount: number;
  rows: Row[];
  messageRows: number;
  scroll: number;
  width: number;
  height: number;
  input: InputRow[];
  isInputFocused: boolean;
  /** The `@` completion's rows (already made safe). */
  completion?: Segment[][];
}

export const THREAD_PLACEHOLDER = 'reply in the thread · Enter send · @ mention · Esc close';

/**
 * A thread: its root, the count of its replies, the replies, and an input that replies in it.
 * Drawn as a message pane of its own, beside the chat's (or over it on a narrow terminal).
 */
export function ThreadPane(props: ThreadPaneProps) {
  const { chatTitle, isGroup, replyCount, ...pane } = props;
  return (
    <MessagePane
      {...pane}
      title={`Thread · ${isGroup ? '#' : '@'}${chatTitle}`}
      subtitle={`${replyCount > 0 ? repliesText(replyCount) : 'no replies yet'} · Esc closes`}
      isTyping={false}
      placeholder={THREAD_PLACEHOLDER}
    />
  );
}
