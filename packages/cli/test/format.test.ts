/** Human formats and colour decisions, as plain functions. */
import { expect } from 'chai';
import { formatTime, preview } from '../src/format.js';
import { Output, painter, useColor } from '../src/output.js';
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
});
