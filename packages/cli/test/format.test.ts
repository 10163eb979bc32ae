/* eslint-disable no-control-regex -- these tests look for control characters */
/** Human formats and colour decisions, as plain functions. */
import { expect } from 'chai';
import { formatTime, preview } from '../src/format.js';
import { Output, painter, toJson, useColor, writeError } from '../src/output.js';
import { Capture } from './support/msgr.js';

describe('human output', () => {
  it('when a time is today then HH:MM, else the date too (local time)', () => {
    const now = new Date(2025, 0, 15, 18, 0);
    expect(formatTime(new Date(2025, 0, 15, 9, 5).toISOString(), now)).to.equal('09:05');
    expect(formatTime(new Date(2024, 11, 31, 23, 59).toISOString(), now)).to.equal(
      '2024-12-31 23:59',
    );
    expect(formatTime('not a time', now)).to.equal('not a time');
  });

  it('when a preview is long or has newlines then one line of at most 40 characters', () => {
    expect(preview('a\n  b')).to.equal('a b');
    const long = preview('x'.repeat(100));
    expect([...long]).to.have.lengthOf(40);
    expect(long.endsWith('…')).to.be.true;
  });

  it('when NO_COLOR, FORCE_COLOR, --no-color or a TTY then colour accordingly', () => {
    const tty = { write: () => true, isTTY: true };
    const pipe = { write: () => true, isTTY: false };
    expect(useColor({}, tty)).to.be.true;
    expect(useColor({}, pipe)).to.be.false;
    expect(useColor({ NO_COLOR: '1' }, tty)).to.be.false;
    expect(useColor({ NO_COLOR: '' }, tty)).to.be.true; // no-color.org: set and not empty
    expect(useColor({ FORCE_COLOR: '1' }, pipe)).to.be.true;
    expect(useColor({ FORCE_COLOR: '0' }, tty)).to.be.false;
    expect(useColor({ FORCE_COLOR: '1', NO_COLOR: '1' }, pipe)).to.be.false;
    expect(useColor({}, tty, { isDisabled: true })).to.be.false;
    expect(painter(false)('red', 'x')).to.equal('x');
    expect(painter(true)('red', 'x')).to.equal('\u001b[31mx\u001b[39m');
  });

  it('when a table is printed then columns are padded and the header is bold only in colour', () => {
    const plain = new Capture();
    new Output(plain, new Capture(), {
      isJson: false,
      isOutColored: false,
      isErrColored: false,
    }).table(
      ['ID', 'NAME'],
      [
        ['1', 'Ann'],
        ['100', 'Bo'],
      ],
    );
    expect(plain.text).to.equal('ID   NAME\n1    Ann\n100  Bo\n');
    const colored = new Capture();
    new Output(colored, new Capture(), {
      isJson: false,
      isOutColored: true,
      isErrColored: false,
    }).table(['ID'], [['1']]);
    expect(colored.text).to.equal('\u001b[1mID\u001b[22m\n1\n');
  });

  describe('untrusted text', () => {
    const HOSTILE = 'x\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202ey';
    const SHOWN = 'x␛]0;pwned␇␛[2J\ufffd31m\ufffdy';
    const output = () => {
      const stdout = new Capture();
      const stderr = new Capture();
      const out = new Output(stdout, stderr, {
        isJson: false,
        isOutColored: false,
        isErrColored: false,
      });
      return { out, stdout, stderr };
    };

    it('when a table cell holds controls then they show, and the columns still line up', () => {
      const { out, stdout } = output();
      out.table(
        ['ID', 'NAME', 'EMAIL'],
        [
          ['1', HOSTILE, 'a@x'],
          ['2', 'two\nlines', 'b@x'],
        ],
      );
      const lines = stdout.text.trimEnd().split('\n');
      expect(lines).to.deep.equal([
        `ID  NAME${' '.repeat(SHOWN.length - 4)}  EMAIL`,
        `1   ${SHOWN}  a@x`,
        `2   two lines${' '.repeat(SHOWN.length - 9)}  b@x`,
      ]);
    });

    it('when a note, a warning or the error line quotes the server then controls show', () => {
      const { out, stderr } = output();
      out.note(`typing: ${HOSTILE}`);
      out.warn(`lost the connection (${HOSTILE})`);
      writeError(stderr, `refused: ${HOSTILE}\nsecond line`, false);
      expect(stderr.text).to.not.match(/[\u0007\u001b\u0080-\u009f\u202e]/);
      expect(stderr.text).to.equal(
        `typing: ${SHOWN}\nmsgr: lost the connection (${SHOWN})\n` +
          `msgr: refused: ${SHOWN} second line\n`,
      );
    });

    it('when a preview holds controls then they show, within the length', () => {
      expect(preview(HOSTILE)).to.equal(SHOWN);
      expect(preview('\u001b'.repeat(100))).to.equal(`${'␛'.repeat(39)}…`);
    });

    it('when JSON holds C1, DEL or bidi controls then they are \\u escapes: the data is unchanged', () => {
      const value = { text: `${HOSTILE}\u007f\u2066é😀` };
      const json = toJson(value, 2);
      expect(json).to.not.match(
        /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/,
      );
      expect(json).to.include('\\u009b31m').and.include('\\u202e').and.include('é😀');
      expect(JSON.parse(json)).to.deep.equal(value);
      expect(toJson({ plain: 'text' })).to.equal(JSON.stringify({ plain: 'text' }));
    });
  });
});
