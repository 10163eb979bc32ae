import { expect } from 'chai';
import { humanSize, safeFileName } from '../src/index.js';

const HOSTILE = '../../\u001b]0;pwned\u0007evil\u001b[2J\u202egpj.exe';
const bytes = (text: string) => Buffer.byteLength(text);

describe('safeFileName', () => {
  it('when a name carries a path then only its last part is kept, on either separator', () => {
    expect(safeFileName('report.pdf')).to.equal('report.pdf');
    expect(safeFileName('../../.bashrc')).to.equal('bashrc');
    expect(safeFileName('..\\..\\Windows\\win.ini')).to.equal('win.ini');
  });

  it('when a name carries controls, escapes, bidi overrides or invisible characters then they go; ZWJ stays', () => {
    expect(safeFileName(HOSTILE)).to.equal(']0;pwnedevil[2Jgpj.exe');
    expect(safeFileName('invoice\u202efdp.exe')).to.equal('invoicefdp.exe');
    expect(safeFileName('a\u001b]0;pwned\u0007b\n.txt')).to.equal('a]0;pwnedb.txt');
    expect(safeFileName('\u200bpay\u200bpal\ufeff.png')).to.equal('paypal.png');
    expect(safeFileName('👩\u200d💻.txt')).to.equal('👩\u200d💻.txt');
  });

  it('when a name holds what some file systems refuse then `_`; a Windows device name is prefixed', () => {
    expect(safeFileName('what?*:<>|".txt')).to.equal('what_______.txt');
    expect(safeFileName('CON.txt')).to.equal('_CON.txt');
    expect(safeFileName('lpt1')).to.equal('_lpt1');
  });

  it('when nothing is left then the fallback', () => {
    for (const nothing of ['', '..', '.', '/', '../', ' . ', '\u001b\u0007', '...']) {
      expect(safeFileName(nothing, { fallback: 'download' }), JSON.stringify(nothing)).to.equal(
        'download',
      );
    }
    expect(safeFileName('')).to.equal('file');
  });

  it('when a name is too long then it is cut between characters, its extension kept', () => {
    const cut = safeFileName(`${'é'.repeat(300)}.tar.gz`);
    expect(bytes(cut)).to.be.at.most(250);
    expect(cut.endsWith('é.gz')).to.equal(true);
    const short = safeFileName(`${'😀'.repeat(100)}.png`, { maxBytes: 200 });
    expect(bytes(short)).to.be.at.most(200);
    expect(short).to.match(/^(😀)+\.png$/u);
  });

  it('when a name has a lone surrogate then it is made well-formed, not kept broken', () => {
    const name = safeFileName('a\ud800b.txt');
    expect(name.isWellFormed()).to.equal(true);
  });
});

describe('humanSize', () => {
  it('when sizes are shown then powers of 1024, one decimal, moving up at 1024', () => {
    expect(humanSize(0)).to.equal('0 B');
    expect(humanSize(1023)).to.equal('1023 B');
    expect(humanSize(1024)).to.equal('1.0 KiB');
    expect(humanSize(1_288_490)).to.equal('1.2 MiB');
    expect(humanSize(1024 * 1024 - 1)).to.equal('1.0 MiB');
    expect(humanSize(5 * 1024 ** 3)).to.equal('5.0 GiB');
  });
});
