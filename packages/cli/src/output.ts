/**
 * Writing: data on stdout (human lines and tables, or JSON for scripts), everything else
 * (progress, notes, errors) on stderr, and colour only where someone will see it.
 *
 * Nothing a server or another user wrote reaches the terminal as a control: table cells, notes,
 * warnings and the error line go through @msgr/safe-text here; `line()` takes text that
 * format.ts (or the command) already made safe, since it may carry our own colours. JSON stays
 * the exact data: it is JSON-escaped, not sanitized (see `toJson`).
 */
import { safeLine, safeText } from '@msgr/safe-text';
import type { OutStream } from './io.js';

/**
 * Whether to colour a stream: `--no-color` and NO_COLOR (https://no-color.org: set and not
 * empty) turn it off, FORCE_COLOR turns it on (`0`/`false` off), else only on a TTY.
 */
export function useColor(
  env: NodeJS.ProcessEnv,
  stream: OutStream,
  { isDisabled = false }: { isDisabled?: boolean } = {},
): boolean {
  if (isDisabled || env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return stream.isTTY === true;
}

const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
} as const;
export type Style = keyof typeof CODES;

/** `paint('red', s)`: `s` in colour when enabled, else unchanged. */
export type Paint = (style: Style, text: string) => string;

export function painter(isEnabled: boolean): Paint {
  return (style, text) =>
    isEnabled && text ? `\u001b[${CODES[style][0]}m${text}\u001b[${CODES[style][1]}m` : text;
}

export interface OutputOptions {
  isJson: boolean;
  isOutColored: boolean;
  isErrColored: boolean;
}

/** One command's writer. */
export class Output {
  /** Colours for stdout. */
  readonly paint: Paint;
  /** Colours for stderr. */
  readonly paintErr: Paint;

  constructor(
    private readonly stdout: OutStream,
    private readonly stderr: OutStream,
    readonly options: OutputOptions,
  ) {
    this.paint = painter(options.isOutColored);
    this.paintErr = painter(options.isErrColored);
  }

  get isJson(): boolean {
    return this.options.isJson;
  }

  /**
   * One line of data on stdout. `text` must be safe already: untrusted parts through
   * `safeText`/`safeLine` before painting (format.ts does it for messages and chats).
   */
  line(text: string): void {
    this.stdout.write(`${text}\n`);
  }

  /** The one JSON document of a `--json` command. */
  json(value: unknown): void {
    this.stdout.write(`${toJson(value, 2)}\n`);
  }

  /** One NDJSON record (streams: `watch`, `history --all`), written at once. */
  record(value: unknown): void {
    this.stdout.write(`${toJson(value)}\n`);
  }

  /** A note for the person at the terminal (stderr, never data); shown safe. */
  note(text: string): void {
    this.stderr.write(`${this.paintErr('dim', safeText(text))}\n`);
  }

  /** A warning on stderr; shown safe. */
  warn(text: string): void {
    this.stderr.write(`${this.paintErr('yellow', 'msgr:')} ${safeText(text)}\n`);
  }

  /**
   * Rows under a header, columns padded; `style` may colour a cell after padding. Cells are
   * made safe (one line, controls shown) before they are measured.
   */
  table(
    header: string[],
    untrustedRows: string[][],
    style: (row: number, column: number, text: string) => string = (_r, _c, t) => t,
  ): void {
    const rows = untrustedRows.map((row) => row.map(safeLine));
    const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => width(r[c]))));
    const render = (cells: string[], paintCell: (c: number, text: string) => string) =>
      cells
        .map((cell, c) => {
          const pad = c === cells.length - 1 ? 0 : widths[c]! - width(cell);
          const padded = cell + ' '.repeat(Math.max(0, pad));
          return paintCell(c, padded);
        })
        .join('  ')
        .trimEnd();
    this.line(render(header, (_c, text) => this.paint('bold', text)));
    rows.forEach((row, r) => this.line(render(row, (c, text) => style(r, c, text))));
  }
}

function width(text: string | undefined): number {
  return [...(text ?? '')].length;
}

/** Writes the final error line, `msgr: <message>`, on stderr: one line, shown safe. */
export function writeError(stderr: OutStream, message: string, isColored: boolean): void {
  stderr.write(`${painter(isColored)('red', 'msgr:')} ${safeLine(message)}\n`);
}

/**
 * Characters JSON.stringify leaves raw that a terminal may still act on: DEL, the C1 controls
 * (U+009B is an 8-bit CSI to some terminals) and the bidi controls. C0 controls are escaped by
 * JSON.stringify itself.
 */
const RAW_IN_JSON = /[\u007f-\u009f\u061c\u202a-\u202e\u2066-\u2069]/g;

/**
 * `JSON.stringify`, with the characters above written as `\uXXXX` escapes too, so `--json`
 * printed straight to a terminal is as harmless as the human output. They can only stand inside
 * JSON strings, so this is still valid JSON and parses to exactly the same data.
 */
export function toJson(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(
    RAW_IN_JSON,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
