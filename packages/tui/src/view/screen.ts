/** How the terminal is divided: pure arithmetic over its size, shared by components and keys. */

export interface ScreenLayout {
  width: number;
  /** Rows Ink draws: one less than the terminal, so a frame never scrolls the screen. */
  height: number;
  listWidth: number;
  paneWidth: number;
  /** Rows of the list and the pane, borders included (all but the status bar). */
  bodyHeight: number;
  /** Columns inside the pane's border. */
  paneInnerWidth: number;
  /** Rows for chat entries inside the list's border, below its title. */
  listRows: number;
  /** Rows for messages inside the pane: its border, title, input rule and input taken away. */
  messageRows: number;
  /** The thread pane, when one is open. */
  thread?: ThreadLayout;
}

export interface ThreadLayout {
  /** Beside the chat's pane (a wide terminal), or over it (at most 80 columns). */
  isBeside: boolean;
  width: number;
  innerWidth: number;
  /** Rows for its messages (as the pane's `messageRows`). */
  messageRows: number;
}

export const MIN_WIDTH = 40;
export const MIN_HEIGHT = 10;
/** The input line grows up to this many rows, then scrolls. */
export const MAX_INPUT_ROWS = 5;
/** "> " before the input. */
export const PROMPT_WIDTH = 2;
/** Wider than this, the thread pane opens beside the chat's; else over it. */
export const THREAD_OVER_MAX_COLUMNS = 80;

/** Rows for messages in a pane of `bodyHeight`: its border, title, input rule and input away. */
const messageRowsOf = (bodyHeight: number, inputRows: number): number =>
  Math.max(1, bodyHeight - 2 - 1 - 1 - inputRows);

/**
 * The screen's parts; `thread` (its composer's rows) when the thread pane is open: beside the
 * chat's pane on a terminal wider than 80 columns (the two share the room), else over it.
 */
export function screenLayout(
  columns: number,
  rows: number,
  inputRows = 1,
  thread?: { inputRows: number },
): ScreenLayout {
  const width = Math.max(MIN_WIDTH, columns);
  const height = Math.max(MIN_HEIGHT, rows - 1);
  const listWidth = Math.min(32, Math.max(18, Math.floor(width * 0.3)));
  const bodyHeight = height - 1;
  const room = width - listWidth;
  const isBeside = width > THREAD_OVER_MAX_COLUMNS;
  const threadWidth = !thread ? 0 : isBeside ? Math.max(30, Math.floor(room * 0.45)) : room;
  const paneWidth = thread && isBeside ? room - threadWidth : room;
  return {
    width,
    height,
    listWidth,
    paneWidth,
    bodyHeight,
    paneInnerWidth: paneWidth - 2,
    listRows: Math.max(1, bodyHeight - 3),
    messageRows: messageRowsOf(bodyHeight, inputRows),
    thread: thread && {
      isBeside,
      width: threadWidth,
      innerWidth: threadWidth - 2,
      messageRows: messageRowsOf(bodyHeight, thread.inputRows),
    },
  };
}
