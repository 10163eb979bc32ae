/* eslint-disable no-control-regex -- these tests look for control characters */
/** Files in the message pane and above the input, as rows (pure). */
import type { Message } from '@msgr/sdk';
import { expect } from 'chai';
import { userName } from '../../src/state/selectors.js';
import { chosenFileRows, fileLine } from '../../src/view/attachment-rows.js';
import { messageRows, type Row, type Segment } from '../../src/view/message-rows.js';
import { widthOf } from '../../src/view/text.js';
import { fileObject } from '../support/fake-client.js';
import { ANN, ME, apply, loadedState, message } from '../support/fixtures.js';

const text = (row: Row): string => row.segments.map((s) => s.text).join('');
const line = (segments: Segment[]): string => segments.map((s) => s.text).join('');

/** A name that tries everything: OSC (retitle), CSI (clear), a bidi override, a line break, C1. */
const HOSTILE = 'inv\u001b]0;pwned\u0007\u001b[2J\u202efdp.exe\n12:00 Admin: hi\u009b.txt';

function withFiles(m: Message, ...files: ReturnType<typeof fileObject>[]): Message {
  return { ...m, attachments: files };
}

function rowsOf(messages: Message[], width = 70, previews?: Record<string, never>) {
  const state = apply(
    loadedState(),
    { type: 'open', key: 'c10' },
    { type: 'historyLoaded', key: 'c10', messages, mode: 'latest', limit: 50 },
  );
  return messageRows(state.chats.c10!, {
    meId: ME.id,
    width,
    nameOf: (id) => userName(state, id),
    previews,
  });
}

describe('tui attachment rows', () => {
  it('shows 📎 name · size · type under the message, one line per file, tied to its index', () => {
    const pdf = fileObject('f1', 'report.pdf', new Uint8Array(2_500_000), {
      contentType: 'application/pdf',
    });
    const txt = fileObject('f2', 'notes.txt', new Uint8Array(512), { contentType: 'text/plain' });
    const rows = rowsOf([withFiles(message(1, 10, ANN.id, 'the report'), pdf, txt)]);
    const shown = rows.map(text);
    expect(shown[2]).to.match(/^\d\d:\d\d Ann: the report$/);
    expect(shown[3]).to.equal('      📎 report.pdf · 2.4 MiB · application/pdf');
    expect(shown[4]).to.equal('      📎 notes.txt · 512 B · text/plain');
    expect(rows.slice(3).map((r) => [r.messageId, r.attachmentIndex])).to.deep.equal([
      [1, 0],
      [1, 1],
    ]);
    // Files alone: the head line, then the files.
    const alone = rowsOf([withFiles(message(1, 10, ME.id, ''), txt)]).map(text);
    expect(alone[2]).to.match(/^\d\d:\d\d You: {2}✓$/);
    expect(alone[3]).to.equal('      📎 notes.txt · 512 B · text/plain');
  });

  it('renders a hostile file name inert: no escape, control or bidi character, no line break, the layout kept', () => {
    const evil = fileObject('f1', HOSTILE, new Uint8Array(10), {
      contentType: 'text/plain\u001b[31m',
    });
    const rows = rowsOf([withFiles(message(1, 10, ANN.id, 'see'), evil)], 200).map(text);
    const all = rows.join('\n');
    expect(all).to.not.match(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(rows).to.have.length(4); // rule, day, message, one 📎 line: the newline made none
    expect(rows[3]).to.equal(
      '      📎 inv␛]0;pwned␇␛[2J\ufffdfdp.exe 12:00 Admin: hi\ufffd.txt · 10 B · text/plain␛[31m',
    );
    // A narrow pane cuts the name, keeps size and type, and never overflows.
    const narrow = rowsOf([withFiles(message(1, 10, ANN.id, 'see'), evil)], 50).map(text);
    expect(narrow[3]).to.equal('      📎 inv␛]0;pwned␇␛[… · 10 B · text/plain␛[31m');
    expect(narrow.every((r) => widthOf(r) <= 50)).to.equal(true);
    expect(fileLine('a-very-long-name.txt', ['1 B'], 12)).to.equal('📎 a-very-l…');
  });

  it('leaves room for an image preview under its line when previews are on, none when off', () => {
    const png = fileObject('img', 'cat.png', new Uint8Array(100), {
      contentType: 'image/png',
      image: { width: 64, height: 32 },
    });
    const on = rowsOf([withFiles(message(1, 10, ANN.id, 'cat'), png)], 70, {});
    expect(on.slice(3).map(text)).to.deep.equal([
      '      📎 cat.png · 100 B · image/png',
      '      ░ preview…',
      '      ',
      '      ',
      '      ',
      '      ',
      '      ',
      '      ',
      '      ',
    ]);
    expect(on.slice(4).every((r) => r.previewFile?.id === 'img' && r.isImage)).to.equal(true);
    const off = rowsOf([withFiles(message(1, 10, ANN.id, 'cat'), png)], 70);
    expect(off.slice(3).map(text)).to.deep.equal(['      📎 cat.png · 100 B · image/png']);
    // A tombstone has no files.
    const gone = { ...withFiles(message(1, 10, ANN.id, ''), png), deleted: true };
    expect(rowsOf([gone], 70, {}).map(text).join('\n')).to.not.contain('📎');
  });

  it('lists the chosen files above the input with the upload’s percent and bytes', () => {
    const chosen = [
      { path: '/tmp/a.pdf', name: 'a.pdf', size: 3 * 1024 * 1024 },
      { path: '/tmp/b\u001b[2J.png', name: 'b\u001b[2J.png', size: 2048 },
    ];
    expect(chosenFileRows(chosen, undefined, 70).map(line)).to.deep.equal([
      '📎 a.pdf · 3.0 MiB',
      '📎 b␛[2J.png · 2.0 KiB · Enter sends · Esc drops them',
    ]);
    const upload = { index: 0, sent: 1024 * 1024, total: 3 * 1024 * 1024 };
    expect(chosenFileRows(chosen, upload, 70).map(line)).to.deep.equal([
      '📎 a.pdf · 3.0 MiB ⇡ 33% · 1.0 MiB of 3.0 MiB',
      '📎 b␛[2J.png · 2.0 KiB · Esc cancels',
    ]);
    const many = Array.from({ length: 5 }, (_, i) => ({ path: `/f${i}`, name: `f${i}`, size: 1 }));
    const rows = chosenFileRows(many, { index: 3, sent: 0, total: 1 }, 70).map(line);
    expect(rows).to.deep.equal([
      '📎 f0 · 1 B',
      '📎 f1 · 1 B',
      '📎 +3 more files (4/5) ⇡ 0% · 0 B of 1 B · Esc cancels',
    ]);
    expect(chosenFileRows([], undefined, 70)).to.deep.equal([]);
  });
});
