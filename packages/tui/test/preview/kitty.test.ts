/* eslint-disable no-control-regex -- these tests take escape sequences apart */
/**
 * Kitty graphics with Unicode placeholders: image ids, the transmission (chunks, keys, quiet,
 * the pixels back out of the base64), the placeholder rows (diacritics, the colour that names
 * the image, one column a cell), deletion, and which terminals get them.
 */
import { safeLine } from '@msgr/safe-text';
import { expect } from 'chai';
import sharp from 'sharp';
import stringWidth from 'string-width';
import { parseCommandLine } from '../../src/options.js';
import { PREVIEW_COLUMNS, PREVIEW_ROWS, previewSize } from '../../src/preview/half-blocks.js';
import {
  CHUNK,
  DIACRITICS,
  KittyImages,
  MAX_IMAGES,
  PLACEHOLDER,
  deleteSequence,
  imageId,
  placeholderColor,
  placeholderRow,
  transmitSequence,
  type RgbaPixels,
} from '../../src/preview/kitty.js';
import { kittyPixels } from '../../src/preview/thumbnail.js';
import { detectImages } from '../../src/terminal.js';
import { previewRows } from '../../src/view/attachment-rows.js';
import { fit } from '../../src/view/banner.js';
import { INDENT, graphemes, truncate, widthOf } from '../../src/view/text.js';
import { fileObject } from '../support/fake-client.js';

/** `width`×`height` RGBA pixels that differ from one another (and use every byte value). */
function pattern(width: number, height: number): RgbaPixels {
  const data = new Uint8Array(width * height * 4).map((_, i) => (i * 7 + (i >> 8)) % 256);
  return { data, width, height };
}

interface Command {
  keys: Record<string, string>;
  order: string[];
  payload: string;
}

/** The graphics commands of `bytes`, which must hold nothing else. */
function commands(bytes: string): Command[] {
  const found: Command[] = [];
  const rest = bytes.replace(
    /\u001b_G([^;\u001b]*)(?:;([^\u001b]*))?\u001b\\/g,
    (_, control: string, payload = '') => {
      const pairs = control.split(',').map((kv) => kv.split('=') as [string, string]);
      found.push({ keys: Object.fromEntries(pairs), order: pairs.map(([k]) => k), payload });
      return '';
    },
  );
  expect(rest, 'bytes outside the graphics commands').to.equal('');
  return found;
}

/** Reads a placeholder cell back: its row, column and the image id its colour and marks name. */
function readCell(cell: string, color: string): { row: number; column: number; id: number } {
  const marks = [...cell];
  expect(marks[0]).to.equal(PLACEHOLDER);
  const [row, column, high = 0] = marks.slice(1).map((d) => DIACRITICS.indexOf(d));
  const low = Number(/^ansi256\((\d+)\)$/.exec(color)![1]);
  return { row: row!, column: column!, id: low + high * 2 ** 24 };
}

describe('tui image previews (kitty graphics, Unicode placeholders)', () => {
  it('hands out ids whose low byte (the 256-colour index) is never 0, the high byte in a diacritic', () => {
    expect(imageId(0)).to.equal(1);
    expect(imageId(254)).to.equal(255);
    expect(imageId(255)).to.equal(2 ** 24 + 1); // low byte 1 again, high byte 1
    expect(imageId(MAX_IMAGES - 1)).to.equal(255 + (DIACRITICS.length - 1) * 2 ** 24);
    expect(imageId(MAX_IMAGES)).to.equal(undefined);
    expect(imageId(-1)).to.equal(undefined);
    const ids = new Set<number>();
    for (let n = 0; n < MAX_IMAGES; n++) {
      const id = imageId(n)!;
      expect(id % 2 ** 24, `low byte of ${id}`).to.be.within(1, 255);
      expect(id).to.be.below(2 ** 32);
      ids.add(id);
    }
    expect(ids.size).to.equal(MAX_IMAGES);

    const images = new KittyImages();
    expect(images.idFor('a')).to.equal(1);
    expect(images.idFor('b')).to.equal(2);
    expect(images.idFor('a')).to.equal(1); // the same file, the same image
  });

  it('transmits in chunks of at most 4096 base64 bytes: keys on the first, m=1 until the last (m=0), q=2 on all; the base64 is the pixels', () => {
    const pixels = pattern(100, 50); // 20,000 bytes: 26,668 of base64, 7 chunks
    const sequence = transmitSequence(7, pixels, { columns: 12, rows: 3 });
    const sent = commands(sequence);
    expect(sent).to.have.length(7);
    expect(sent[0]!.keys).to.deep.equal({
      a: 'T',
      U: '1',
      f: '32',
      s: '100',
      v: '50',
      i: '7',
      c: '12',
      r: '3',
      C: '1',
      q: '2',
      m: '1',
    });
    for (const later of sent.slice(1, -1)) expect(later.keys).to.deep.equal({ m: '1', q: '2' });
    expect(sent.at(-1)!.keys).to.deep.equal({ m: '0', q: '2' });
    for (const chunk of sent.slice(0, -1)) expect(chunk.payload).to.have.length(CHUNK);
    expect(sent.at(-1)!.payload.length).to.be.within(1, CHUNK);
    const base64 = sent.map((c) => c.payload).join('');
    expect(base64).to.match(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(new Uint8Array(Buffer.from(base64, 'base64'))).to.deep.equal(pixels.data);

    // Small enough for one chunk: the keys and m=0 in it.
    const one = commands(transmitSequence(3, pattern(2, 2), { columns: 1, rows: 1 }));
    expect(one).to.have.length(1);
    expect(one[0]!.keys).to.deep.include({ a: 'T', U: '1', i: '3', m: '0', q: '2' });
    expect(Buffer.from(one[0]!.payload, 'base64')).to.deep.equal(Buffer.from(pattern(2, 2).data));
  });

  it('refuses numbers that are not ours before they reach an escape sequence', () => {
    const pixels = pattern(2, 2);
    const place = { columns: 2, rows: 1 };
    expect(() => transmitSequence(0, pixels, place)).to.throw(/image id/);
    expect(() => transmitSequence(256, pixels, place)).to.throw(/image id/);
    expect(() => transmitSequence(1.5, pixels, place)).to.throw(/image id/);
    expect(() => transmitSequence(1, pixels, { columns: NaN, rows: 1 })).to.throw(/columns/);
    expect(() => transmitSequence(1, pixels, { columns: 2, rows: 0 })).to.throw(/rows/);
    expect(() => transmitSequence(1, pixels, { columns: 41, rows: 1 })).to.throw(/columns/);
    expect(() => transmitSequence(1, { ...pixels, width: 3 }, place)).to.throw(/RGBA/);
    expect(() => placeholderRow(1, 40, 2)).to.throw(/row/);
    expect(() => deleteSequence(2 ** 24)).to.throw(/image id/); // low byte 0
  });

  it('sends a real thumbnail as pixels within 8×16 a cell, the aspect ratio kept; they come back out of the base64', async () => {
    const png = await sharp({
      create: {
        width: 640,
        height: 480,
        channels: 4,
        background: { r: 10, g: 200, b: 30, alpha: 1 },
      },
    })
      .png()
      .toBuffer();
    const size = previewSize({ width: 640, height: 480 }); // 21 columns, 8 rows
    const pixels = await kittyPixels(png, size);
    expect([pixels.width, pixels.height]).to.deep.equal([168, 126]);
    for (let i = 0; i < pixels.data.length; i += 4) {
      expect([...pixels.data.subarray(i, i + 4)]).to.deep.equal([10, 200, 30, 255]);
    }
    const sent = commands(transmitSequence(9, pixels, size));
    expect(sent[0]!.keys).to.deep.include({ s: '168', v: '126', c: '21', r: '8' });
    const base64 = sent.map((c) => c.payload).join('');
    expect(new Uint8Array(Buffer.from(base64, 'base64'))).to.deep.equal(pixels.data);
  });

  it('draws placeholder rows: U+10EEEE with the row’s and the column’s diacritic (and the id’s high byte), one column a cell, coloured with the id', () => {
    for (const id of [1, 42, 255, imageId(2 * 255 + 41)!, imageId(MAX_IMAGES - 1)!]) {
      const color = placeholderColor(id);
      expect(color).to.match(/^ansi256\((\d+)\)$/);
      for (let row = 0; row < PREVIEW_ROWS; row++) {
        for (const columns of [1, 7, PREVIEW_COLUMNS]) {
          const text = placeholderRow(id, row, columns);
          expect(widthOf(text), `id ${id} row ${row}`).to.equal(columns);
          expect(stringWidth(text)).to.equal(columns);
          const cells = graphemes(text);
          expect(cells).to.have.length(columns);
          cells.forEach((cell, column) => {
            expect(readCell(cell, color)).to.deep.equal({ row, column, id });
            expect(widthOf(cell)).to.equal(1);
          });
        }
      }
    }
    // The spec's own example: image 42, row 1, column 0 is U+10EEEE U+030D U+0305 in colour 42.
    expect(placeholderRow(42, 1, 1)).to.equal('\u{10EEEE}\u030D\u0305');
    expect(placeholderColor(42)).to.equal('ansi256(42)');
    // Image 42 + (2 << 24): the third diacritic is the one for 2 (U+030E).
    expect(placeholderRow(42 + 2 * 2 ** 24, 0, 2)).to.equal(
      '\u{10EEEE}\u0305\u0305\u030E\u{10EEEE}\u0305\u030D\u030E',
    );
    expect(placeholderColor(42 + 2 * 2 ** 24)).to.equal('ansi256(42)');

    // The view's text tools keep the cells whole: cut by cells, never between a cell's marks;
    // the sanitizer has nothing to take out of them.
    const row = placeholderRow(imageId(300)!, 2, 10);
    const cut = truncate(row, 5);
    expect(graphemes(cut)).to.deep.equal([...graphemes(row).slice(0, 4), '…']);
    expect(fit([{ text: row }], 5)).to.deep.equal([{ text: cut }]);
    expect(safeLine(row)).to.equal(row);
  });

  it('lays a kitty preview out as rows of placeholder segments under the indent, as wide as the image', () => {
    const file = fileObject('img1', 'cat.png', new Uint8Array(10), {
      contentType: 'image/png',
      image: { width: 640, height: 480 },
    });
    const kitty = { imageId: 5, columns: 21, rows: 8 };
    const rows = previewRows(file, { status: 'ready', kitty }, 7);
    expect(rows).to.have.length(8);
    rows.forEach((row, i) => {
      expect(row.segments).to.deep.equal([
        { text: INDENT },
        { text: placeholderRow(5, i, 21), color: 'ansi256(5)' },
      ]);
      expect(widthOf(row.segments.map((s) => s.text).join(''))).to.equal(INDENT.length + 21);
      expect(row).to.deep.include({ messageId: 7, isImage: true, previewFile: file });
    });
  });

  it('deletes what it sent (d=I, quietly), each image once; once closed it sends nothing more', () => {
    expect(deleteSequence(7)).to.equal('\u001b_Ga=d,d=I,i=7,q=2\u001b\\');
    const images = new KittyImages();
    const [a, b] = [images.idFor('a')!, images.idFor('b')!];
    images.idFor('never-sent');
    const place = { columns: 1, rows: 1 };
    expect(images.transmit(a, pattern(1, 1), place)).to.contain(`i=${a},`);
    expect(images.transmit(b, pattern(1, 1), place)).to.contain(`i=${b},`);
    expect(images.heldIds).to.deep.equal([a, b]);
    expect(commands(images.deleteAll()).map((c) => c.keys)).to.deep.equal([
      { a: 'd', d: 'I', i: String(a), q: '2' },
      { a: 'd', d: 'I', i: String(b), q: '2' },
    ]);
    expect(images.deleteAll()).to.equal('');
    // Sent again (after the editor, say) under the same id; closing deletes it and ends sending.
    images.transmit(a, pattern(1, 1), place);
    expect(images.close()).to.equal(deleteSequence(a));
    expect(images.transmit(b, pattern(1, 1), place)).to.equal('');
    expect(images.close()).to.equal('');
  });
});

describe('tui image previews: which terminal gets what', () => {
  it('picks kitty graphics only where placeholders are drawn; MSGR_TUI_IMAGES decides first; tmux and screen get half blocks', () => {
    const cases: [NodeJS.ProcessEnv, string][] = [
      [{ TERM: 'xterm-kitty' }, 'kitty'],
      [{ TERM: 'xterm-256color', KITTY_WINDOW_ID: '3' }, 'kitty'],
      [{ TERM_PROGRAM: 'ghostty', TERM: 'xterm-ghostty' }, 'kitty'],
      [{ TERM: 'xterm-ghostty' }, 'kitty'], // Ghostty over ssh
      [{ TERM_PROGRAM: 'WezTerm', TERM: 'xterm-256color' }, 'blocks'], // no placeholders
      [{ TERM_PROGRAM: 'iTerm.app' }, 'blocks'], // no placeholder mechanism
      [{ TERM: 'xterm-256color', COLORTERM: 'truecolor' }, 'blocks'],
      [{}, 'blocks'],
      [{ TERM: 'xterm-kitty', TMUX: '/tmp/tmux-1000/default,1,0' }, 'blocks'],
      [{ TERM: 'screen', KITTY_WINDOW_ID: '1', STY: '123.pts-0' }, 'blocks'],
      [{ TERM: 'xterm-kitty', ZELLIJ: '0' }, 'blocks'],
      [{ TERM: 'xterm-kitty', FORCE_COLOR: '0' }, 'blocks'], // no colour: no id
      [{ MSGR_TUI_IMAGES: 'kitty', TMUX: 'x' }, 'kitty'],
      [{ MSGR_TUI_IMAGES: ' Blocks ', TERM: 'xterm-kitty' }, 'blocks'],
      [{ MSGR_TUI_IMAGES: 'off', TERM: 'xterm-kitty' }, 'off'],
      [{ MSGR_TUI_IMAGES: 'none' }, 'off'],
      [{ MSGR_TUI_IMAGES: 'sixel', TERM: 'xterm-kitty' }, 'kitty'], // unknown: detected
    ];
    for (const [env, mode] of cases) expect(detectImages(env), JSON.stringify(env)).to.equal(mode);
  });

  it('--images beats the environment; off turns previews off; anything else is an error', () => {
    const run = (argv: string[], env: NodeJS.ProcessEnv) => {
      const parsed = parseCommandLine(argv, env);
      if (parsed.kind !== 'run') throw new Error(parsed.kind);
      return parsed.options;
    };
    expect(run([], { TERM: 'xterm-kitty' })).to.deep.include({
      isPreviewOn: true,
      imageProtocol: 'kitty',
    });
    expect(run([], { TERM: 'xterm-256color' })).to.deep.include({
      isPreviewOn: true,
      imageProtocol: 'blocks',
    });
    expect(run(['--images', 'kitty'], { MSGR_TUI_IMAGES: 'blocks', TMUX: 'x' })).to.deep.include({
      isPreviewOn: true,
      imageProtocol: 'kitty',
    });
    expect(run(['--images=blocks'], { TERM: 'xterm-kitty' })).to.deep.include({
      imageProtocol: 'blocks',
    });
    expect(run(['--images', 'off'], { TERM: 'xterm-kitty' }).isPreviewOn).to.equal(false);
    expect(run([], { MSGR_TUI_IMAGES: 'off' }).isPreviewOn).to.equal(false);
    expect(run(['--no-preview', '--images', 'kitty'], {}).isPreviewOn).to.equal(false);
    const wrong = parseCommandLine(['--images', 'sixel'], {});
    expect(wrong.kind).to.equal('error');
    expect(wrong.kind === 'error' && wrong.text).to.match(/--images takes kitty, blocks or off/);
    expect(parseCommandLine(['--images'], {}).kind).to.equal('error');
    const help = parseCommandLine(['--help'], {});
    expect(help.kind === 'help' && help.text).to.contain('--images <kitty|blocks|off>');
  });
});
