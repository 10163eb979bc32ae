/**
 * The progress bar of uploads and downloads, on stderr: only for someone watching (stderr is a
 * terminal, no --json, no --quiet) and only for transfers worth watching (over 1 MiB). It is
 * redrawn in place with a carriage return and cleared with spaces, never with escape sequences,
 * so that it works on any terminal and output with colours off carries no ESC at all.
 */
import { humanSize } from '@msgr/safe-text';
import { preview } from './format.js';
import type { OutStream } from './io.js';

/** Transfers of more bytes than this get a bar. */
export const PROGRESS_MIN_BYTES = 1024 * 1024;
/** Redraws at most this often (ms): a fast local transfer would otherwise flood the terminal. */
const REDRAW_MS = 100;
const BAR_CELLS = 20;

export interface ProgressOptions {
  /** Whether someone may watch: stderr is a TTY, and neither --json nor --quiet was given. */
  isWanted: boolean;
  /** Clears the bar at once (Ctrl-C), before the error line is written. */
  signal?: AbortSignal | undefined;
}

/** One transfer's bar; a no-op when it is not shown. Call `done()` in a `finally`. */
export class Progress {
  private shownWidth = 0;
  private lastDraw = 0;
  private readonly startedAt = Date.now();
  private readonly isShown: boolean;
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort = () => this.done();

  /**
   * @param label what is moving (a file name: untrusted, shown safe and short)
   * @param total its size in bytes (the bar appears only above {@link PROGRESS_MIN_BYTES})
   */
  constructor(
    private readonly stderr: OutStream,
    private readonly label: string,
    private readonly total: number,
    { isWanted, signal }: ProgressOptions,
  ) {
    this.isShown = isWanted && stderr.isTTY === true && total > PROGRESS_MIN_BYTES;
    this.signal = this.isShown ? signal : undefined;
    this.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** `done` of `total` bytes have moved (the first draw and the last are never skipped). */
  update(done: number): void {
    if (!this.isShown) return;
    const now = Date.now();
    if (done < this.total && this.shownWidth > 0 && now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    this.draw(this.render(done, now));
  }

  /** Takes the bar off the screen (the cursor is back at the start of an empty line). */
  done(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    if (!this.isShown || this.shownWidth === 0) return;
    this.stderr.write(`\r${' '.repeat(this.shownWidth)}\r`);
    this.shownWidth = 0;
  }

  private render(done: number, now: number): string {
    const ratio = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const filled = Math.round(ratio * BAR_CELLS);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_CELLS - filled)}]`;
    const percent = `${Math.floor(ratio * 100)}%`.padStart(4);
    const seconds = (now - this.startedAt) / 1000;
    const rate = seconds > 0.5 ? `  ${humanSize(Math.round(done / seconds))}/s` : '';
    const amounts = `${humanSize(done)} / ${humanSize(this.total)}`;
    const tail = ` ${bar} ${percent}  ${amounts}${rate}`;
    // One line narrower than the terminal: a wrapped line could not be redrawn with `\r`.
    // (A pty nobody sized says 0 columns.)
    const columns = this.stderr.columns || 80;
    const room = columns - 1 - [...tail].length;
    const label = room >= 8 ? preview(this.label, Math.min(room, 40)) : '';
    return room >= 0 ? `${label}${tail}` : tail.slice(0, columns - 1);
  }

  private draw(line: string): void {
    const width = [...line].length;
    const pad = Math.max(0, this.shownWidth - width);
    this.stderr.write(`\r${line}${' '.repeat(pad)}`);
    this.shownWidth = width;
  }
}
