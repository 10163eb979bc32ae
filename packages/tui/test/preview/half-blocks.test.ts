/** The half-block preview renderer: pixels → cells → coloured rows, with real PNG decoding. */
import { expect } from 'chai';
import sharp from 'sharp';
import { halfBlocks, previewSize } from '../../src/preview/half-blocks.js';
import { previewCells } from '../../src/preview/thumbnail.js';
import { previewRows } from '../../src/view/attachment-rows.js';
import { fileObject } from '../support/fake-client.js';

const RED = [255, 0, 0, 255];
const GREEN = [0, 255, 0, 255];
const BLUE = [0, 0, 255, 255];
const WHITE = [255, 255, 255, 255];
const BLACK = [0, 0, 0, 255];
const YELLOW = [255, 255, 0, 255];
const CLEAR = [0, 0, 0, 0];

/** A 2×4 RGBA image, rows top to bottom. */
const PIXELS = new Uint8Array([
  ...[...RED, ...GREEN],
  ...[...BLUE, ...WHITE],
  ...[...CLEAR, ...BLACK],
  ...[...YELLOW, ...CLEAR],
]);

/** The cells those pixels make: two pixels a cell, the top one as `▀`'s colour. */
const EXPECTED = [
  [
    { char: '▀', fg: '#ff0000', bg: '#0000ff' },
    { char: '▀', fg: '#00ff00', bg: '#ffffff' },
  ],
  [
    { char: '▄', fg: '#ffff00' },
    { char: '▀', fg: '#000000' },
  ],
];

describe('tui image previews (half blocks)', () => {
  it('turns two rows of pixels into one row of ▀ cells: top pixel as foreground, bottom as background; transparent shows the terminal', () => {
    expect(halfBlocks(PIXELS, 2, 4)).to.deep.equal(EXPECTED);
    // An odd height: the last row has only top halves.
    expect(halfBlocks(new Uint8Array([...RED, ...GREEN, ...BLUE]), 1, 3)).to.deep.equal([
      [{ char: '▀', fg: '#ff0000', bg: '#00ff00' }],
      [{ char: '▀', fg: '#0000ff' }],
    ]);
    expect(halfBlocks(new Uint8Array([...CLEAR, ...CLEAR]), 1, 2)).to.deep.equal([[{ char: ' ' }]]);
  });

  it('decodes a real PNG thumbnail (and a JPEG) with sharp into the expected cells and colours', async () => {
    const png = await sharp(Buffer.from(PIXELS), { raw: { width: 2, height: 4, channels: 4 } })
      .png()
      .toBuffer();
    const cells = await previewCells(png, previewSize({ width: 2, height: 4 }));
    expect(cells).to.deep.equal(EXPECTED);

    // A JPEG of one colour, scaled down: every cell is that colour (within JPEG's rounding).
    const jpeg = await sharp({
      create: { width: 320, height: 160, channels: 3, background: { r: 200, g: 30, b: 60 } },
    })
      .jpeg({ quality: 95 })
      .toBuffer();
    const size = previewSize({ width: 320, height: 160 });
    expect(size).to.deep.equal({ columns: 32, rows: 8, pixelRows: 16 });
    const scaled = await previewCells(jpeg, size);
    expect(scaled).to.have.length(8);
    for (const row of scaled) {
      expect(row).to.have.length(32);
      for (const cell of row) {
        expect(cell.char).to.equal('▀');
        for (const colour of [cell.fg!, cell.bg!]) {
          const [r, g, b] = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
          expect(Math.abs(r! - 200) + Math.abs(g! - 30) + Math.abs(b! - 60)).to.be.below(12);
        }
      }
    }
  });

  it('sizes a preview to at most 32 columns by 8 rows, keeping the aspect ratio, never enlarging', () => {
    expect(previewSize({ width: 640, height: 480 })).to.deep.equal({
      columns: 21,
      rows: 8,
      pixelRows: 16,
    });
    expect(previewSize({ width: 3000, height: 100 })).to.deep.equal({
      columns: 32,
      rows: 1,
      pixelRows: 1,
    });
    expect(previewSize({ width: 2, height: 4 })).to.deep.equal({
      columns: 2,
      rows: 2,
      pixelRows: 4,
    });
    expect(previewSize({ width: 5, height: 5 })).to.deep.equal({
      columns: 5,
      rows: 3,
      pixelRows: 5,
    });
  });

  it('draws the cells as coloured segments under the indent; rows are held blank while loading', () => {
    const file = fileObject('img1', 'cat.png', new Uint8Array(10), {
      contentType: 'image/png',
      image: { width: 2, height: 4 },
    });
    const loading = previewRows(file, { status: 'loading' }, 7);
    expect(loading).to.have.length(2); // the rows the preview will take
    expect(loading[0]!.segments.map((s) => s.text).join('')).to.contain('preview…');
    const ready = previewRows(file, { status: 'ready', cells: EXPECTED }, 7);
    expect(ready.map((r) => r.segments.slice(1))).to.deep.equal([
      [
        { text: '▀', color: '#ff0000', backgroundColor: '#0000ff' },
        { text: '▀', color: '#00ff00', backgroundColor: '#ffffff' },
      ],
      [
        { text: '▄', color: '#ffff00', backgroundColor: undefined },
        { text: '▀', color: '#000000', backgroundColor: undefined },
      ],
    ]);
    expect(ready.every((r) => r.messageId === 7 && r.isImage && r.previewFile === file)).to.equal(
      true,
    );
    // Equal cells in a row are one segment.
    const flat = previewRows(file, {
      status: 'ready',
      cells: [[EXPECTED[0]![0]!, EXPECTED[0]![0]!]],
    });
    expect(flat[0]!.segments.slice(1)).to.deep.equal([
      { text: '▀▀', color: '#ff0000', backgroundColor: '#0000ff' },
    ]);
    expect(previewRows(file, { status: 'failed' })).to.deep.equal([]);
  });
});
