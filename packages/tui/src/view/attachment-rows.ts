/**
 * Files as terminal rows: `📎 name · size · type` under a message, an image's preview below its
 * line (half blocks, or a kitty image's placeholder cells), and the files chosen for the next
 * message above the input with their upload's progress. Pure. Names and types come from other
 * people (or this machine's disk) and are shown safe: an escape sequence, a bidi override or a
 * line break in a name shows as a mark.
 */
import { humanSize, safeLine } from '@msgr/safe-text';
import type { FileObject } from '@msgr/sdk';
import { previewSize } from '../preview/half-blocks.js';
import { placeholderColor, placeholderRow } from '../preview/kitty.js';
import type {
  ChosenFile,
  KittyPicture,
  Preview,
  PreviewCell,
  UploadProgress,
} from '../state/types.js';
import { fit } from './banner.js';
import type { Row, Segment } from './message-rows.js';
import { INDENT, truncate, widthOf } from './text.js';

export const CLIP = '📎';
/** Chosen files shown above the input at most (the rest are counted). */
export const CHOSEN_ROWS = 3;

/**
 * `📎 name · detail · detail` in at most `width` columns: the name gives way first (cut with
 * `…`), the details only when not even a short name fits. The name is made safe here.
 */
export function fileLine(name: string, details: string[], width: number): string {
  const shown = safeLine(name);
  const head = `${CLIP} `;
  const tail = details.map((d) => ` · ${safeLine(d)}`).join('');
  const room = width - widthOf(head) - widthOf(tail);
  if (room >= Math.min(8, widthOf(shown))) return head + truncate(shown, room) + tail;
  return truncate(head + shown + tail, width);
}

/** Runs of equal cells as one segment each (fewer `Text` nodes, the same picture). */
function cellSegments(cells: PreviewCell[]): Segment[] {
  const segments: Segment[] = [];
  let last: PreviewCell | undefined;
  for (const cell of cells) {
    const previous = segments[segments.length - 1];
    if (previous && last && last.char === cell.char && last.fg === cell.fg && last.bg === cell.bg) {
      previous.text += cell.char;
      continue;
    }
    segments.push({ text: cell.char, color: cell.fg, backgroundColor: cell.bg });
    last = cell;
  }
  return segments;
}

/**
 * A kitty image's rows: a segment of placeholder cells each, in the colour that names the image
 * (plain text to Ink, one column a cell; the terminal draws the picture over them).
 */
function kittySegments({ imageId, columns, rows }: KittyPicture): Segment[][] {
  const color = placeholderColor(imageId);
  return Array.from({ length: rows }, (_, row) => [
    { text: placeholderRow(imageId, row, columns), color },
  ]);
}

/**
 * An image's preview rows: its cells (or its kitty image's placeholders) once loaded; until
 * then as many rows held blank (so the pane does not jump when it arrives); none when it failed.
 */
export function previewRows(file: FileObject, preview: Preview | undefined, id?: number): Row[] {
  if (!file.image || preview?.status === 'failed') return [];
  const base = { messageId: id, previewFile: file, isImage: true };
  if (preview?.status === 'ready') {
    const rows = preview.kitty ? kittySegments(preview.kitty) : preview.cells.map(cellSegments);
    return rows.map((segments) => ({ ...base, segments: [{ text: INDENT }, ...segments] }));
  }
  const { rows } = previewSize(file.image);
  return Array.from({ length: rows }, (_, i) => ({
    ...base,
    segments:
      i === 0 ? [{ text: INDENT }, { text: '░ preview…', isDim: true }] : [{ text: INDENT }],
  }));
}

/**
 * The rows under a message for its files: a `📎` line each (starting with the `INDENT`
 * segment, which the pane swaps for a marker on the picked file), and below an image its
 * preview unless `previews` is undefined (previews off).
 */
export function attachmentRows(
  files: FileObject[],
  width: number,
  id: number | undefined,
  previews: Record<string, Preview> | undefined,
): Row[] {
  const rows: Row[] = [];
  const room = Math.max(1, width - INDENT.length);
  for (const [i, file] of files.entries()) {
    const text = fileLine(file.name, [humanSize(file.size), file.content_type], room);
    rows.push({
      segments: [{ text: INDENT }, { text, color: 'cyan' }],
      messageId: id,
      attachmentIndex: i,
    });
    if (previews) rows.push(...previewRows(file, previews[file.id], id));
  }
  return rows;
}

function progressText({ sent, total }: UploadProgress): string {
  const percent = total > 0 ? Math.floor((100 * Math.min(sent, total)) / total) : 100;
  return ` ⇡ ${percent}% · ${humanSize(sent)} of ${humanSize(total)}`;
}

/**
 * The files chosen for the next message, above the input: `📎 name · size`, then `✓` once up,
 * `⇡ 42% · 1.2 MiB of 2.9 MiB` while going up; at most {@link CHOSEN_ROWS} rows (the rest
 * counted on the last), which says what Esc does.
 */
export function chosenFileRows(
  files: ChosenFile[] | undefined,
  upload: UploadProgress | undefined,
  width: number,
): Segment[][] {
  if (!files?.length) return [];
  const isCut = files.length > CHOSEN_ROWS;
  const shown = isCut ? files.slice(0, CHOSEN_ROWS - 1) : files;
  const rows: Segment[][] = shown.map((f, i) => {
    const status: Segment[] = [];
    if (upload?.index === i) status.push({ text: progressText(upload), color: 'yellow' });
    else if (f.file) status.push({ text: ' ✓', color: 'green' });
    const statusWidth = widthOf(status.map((s) => s.text).join(''));
    const line = fileLine(f.name, [humanSize(f.size)], Math.max(1, width - statusWidth));
    return [{ text: line, color: 'cyan' }, ...status];
  });
  if (isCut) {
    const rest = files.length - shown.length;
    const row: Segment[] = [{ text: `${CLIP} +${rest} more files`, color: 'cyan' }];
    if (upload && upload.index >= shown.length) {
      row.push({
        text: ` (${upload.index + 1}/${files.length})${progressText(upload)}`,
        color: 'yellow',
      });
    }
    rows.push(row);
  }
  const hint = upload ? ' · Esc cancels' : ' · Enter sends · Esc drops them';
  rows[rows.length - 1]!.push({ text: hint, isDim: true });
  return rows.map((row) => fit(row, width));
}
