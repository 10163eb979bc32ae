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
}

export const MIN_WIDTH = 40;
export const MIN_HEIGHT = 10;
/** The input line grows up to this many rows, then scrolls. */
export const MAX_INPUT_ROWS = 5;
/** "> " before the input. */
export const PROMPT_WIDTH = 2;

export function screenLayout(columns: number, rows: number, inputRows = 1): ScreenLayout {
  const width = Math.max(MIN_WIDTH, columns);
  const height = Math.max(MIN_HEIGHT, rows - 1);
  const listWidth = Math.min(32, Math.max(18, Math.floor(width * 0.3)));
  const paneWidth = width - listWidth;
  const bodyHeight = height - 1;
  return {
    width,
    height,
    listWidth,
    paneWidth,
    bodyHeight,
    paneInnerWidth: paneWidth - 2,
    listRows: Math.max(1, bodyHeight - 3),
    messageRows: Math.max(1, bodyHeight - 2 - 1 - 1 - inputRows),
  };
}
