/**
 * The terminal sanitizer, class by class of code point, then as properties over arbitrary
 * UTF-16 (lone surrogates included) with fast-check.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { safeLine, safeText } from '../src/index.js';

const hex = (code: number) => `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

const BIDI = [0x061c, ...range(0x202a, 0x202e), ...range(0x2066, 0x2069)];
const C0_REPLACED = range(0x00, 0x1f).filter((c) => c !== 0x09 && c !== 0x0a && c !== 0x0d);

/** A code point a terminal could act on, other than the kept tab and LF. */
function isUnsafe(code: number, { keepsLayout }: { keepsLayout: boolean }): boolean {
  if (keepsLayout && (code === 0x09 || code === 0x0a)) return false;
  return (
    code <= 0x1f ||
    (code >= 0x7f && code <= 0x9f) ||
    BIDI.includes(code) ||
    (code >= 0xd800 && code <= 0xdfff) // only ever lone here: pairs are read as one code point
  );
}

/** The code points of `text`, lone surrogates as themselves. */
function codePoints(text: string): number[] {
  return Array.from(text, (c) => c.codePointAt(0)!);
}

/** Arbitrary UTF-16: any code unit, so lone and reversed surrogates too. */
const utf16 = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 60 })
  .map((units) => String.fromCharCode(...units));
/** Strings rich in what matters: controls, escapes, bidi, surrogates, CRLF, emoji, plain text. */
const hostile = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '\u001b]0;pwned\u0007',
        '\u001b[2J',
        '\u001b]8;;http://evil.test\u001b\\link\u001b]8;;\u001b\\',
        '\u009b31m',
        '\u202e',
        '\u2066',
        '\r\n',
        '\r',
        '\t',
        '\n',
        '\ud83d',
        '\ude00',
        '👩‍👩‍👧',
        'é',
      ),
      fc.integer({ min: 0, max: 0xa0 }).map((c) => String.fromCharCode(c)),
      fc.string({ unit: 'binary' }),
    ),
    { maxLength: 30 },
  )
  .map((parts) => parts.join(''));
const anyText = fc.oneof(utf16, hostile);

describe('safe-text', () => {
  describe('each class of code point', () => {
    it('shows every C0 control but tab, LF and CR as its Control Picture (U+2400 + code)', () => {
      for (const code of C0_REPLACED) {
        const picture = String.fromCharCode(0x2400 + code);
        expect(safeText(`a${String.fromCharCode(code)}b`), hex(code)).to.equal(`a${picture}b`);
        expect(safeLine(String.fromCharCode(code)), hex(code)).to.equal(picture);
      }
      expect(safeText('\u0000\u001b\u001f')).to.equal('␀␛␟');
    });

    it('shows DEL as ␡ and every C1 control (U+0080–U+009F) as U+FFFD', () => {
      expect(safeText('x\u007fy')).to.equal('x␡y');
      for (const code of range(0x80, 0x9f)) {
        expect(safeText(`a${String.fromCharCode(code)}b`), hex(code)).to.equal('a\ufffdb');
      }
    });

    it('shows bidi embeddings, overrides, isolates and ALM as U+FFFD; keeps LRM and RLM', () => {
      for (const code of BIDI) {
        expect(safeText(`a${String.fromCharCode(code)}b`), hex(code)).to.equal('a\ufffdb');
      }
      // The Trojan Source example: an override that would make the check read reversed.
      expect(safeText('if (a) {\u202e } \u2066// ok\u2069')).to.equal('if (a) {� } �// ok�');
      expect(safeText('a\u200eb\u200fc')).to.equal('a\u200eb\u200fc');
    });

    it('keeps tab and LF in text, turns CR and CRLF into LF', () => {
      expect(safeText('a\tb\nc')).to.equal('a\tb\nc');
      expect(safeText('a\r\nb\rc\n\rd')).to.equal('a\nb\nc\n\nd');
      expect(safeText('\r\r\n')).to.equal('\n\n');
    });

    it('on one line (safeLine, keepNewlines: false) every line break and tab is one space', () => {
      expect(safeLine('Ann\nSmith')).to.equal('Ann Smith');
      expect(safeLine('a\r\nb\rc\td')).to.equal('a b c d');
      expect(safeText('a\nb', { keepNewlines: false })).to.equal('a b');
    });

    it('with tabWidth, each tab becomes that many spaces (0 drops it)', () => {
      expect(safeText('a\tb', { tabWidth: 4 })).to.equal('a    b');
      expect(safeText('a\tb', { tabWidth: 0 })).to.equal('ab');
      expect(safeText('a\tb\nc', { keepNewlines: false, tabWidth: 2 })).to.equal('a  b c');
    });

    it('replaces lone and reversed surrogates with U+FFFD and keeps real pairs', () => {
      expect(safeText('a\ud83db')).to.equal('a\ufffdb');
      expect(safeText('a\ude00b')).to.equal('a\ufffdb');
      expect(safeText('\ude00\ud83d')).to.equal('\ufffd\ufffd');
      expect(safeText('end\ud83d')).to.equal('end\ufffd');
      expect(safeText('😀 \ud83d\ude00')).to.equal('😀 😀');
    });

    it('passes printable text through unchanged: ASCII, Latin-1, CJK, RTL, emoji, combining marks', () => {
      const printable = [
        range(0x20, 0x7e),
        range(0xa0, 0xff),
        [0x2400, 0x241b, 0x2421, 0xfffd], // its own replacements
      ]
        .flat()
        .map((c) => String.fromCharCode(c))
        .join('');
      for (const text of [
        printable,
        '漢字かなカナ 한국어',
        'שלום עולם مرحبا',
        '👩‍👩‍👧 🇩🇪 e\u0301 \u200b\u200d\ufeff',
      ]) {
        expect(safeText(text)).to.equal(text);
        expect(safeLine(text)).to.equal(text);
      }
    });

    it('returns the very same string when nothing needs replacing', () => {
      const text = 'x'.repeat(10_000);
      expect(safeText(text)).to.equal(text);
    });

    it('turns the sequences an attacker would send into visible text', () => {
      expect(safeText('\u001b]0;pwned\u0007')).to.equal('␛]0;pwned␇');
      expect(safeText('\u001b[2J\u001b[H')).to.equal('␛[2J␛[H');
      expect(safeText('\u001b]8;;http://evil.test\u001b\\click\u001b]8;;\u001b\\')).to.equal(
        '␛]8;;http://evil.test␛\\click␛]8;;␛\\',
      );
      expect(safeText('\u009b31mred')).to.equal('\ufffd31mred');
    });
  });

  describe('properties (fast-check)', () => {
    it('never lets out a control (but tab and LF), DEL, C1, bidi control or lone surrogate', () => {
      fc.assert(
        fc.property(anyText, (text) => {
          const out = safeText(text);
          const bad = codePoints(out).filter((c) => isUnsafe(c, { keepsLayout: true }));
          return bad.length === 0 && !out.includes('\r');
        }),
        { numRuns: 2000 },
      );
    });

    it('on one line, not even tab or LF', () => {
      fc.assert(
        fc.property(anyText, (text) =>
          codePoints(safeLine(text)).every((c) => !isUnsafe(c, { keepsLayout: false })),
        ),
        { numRuns: 2000 },
      );
    });

    it('always gives well-formed UTF-16 (printable as UTF-8 without loss)', () => {
      fc.assert(
        fc.property(anyText, (text) => safeText(text).isWellFormed()),
        { numRuns: 1000 },
      );
    });

    it('is idempotent', () => {
      fc.assert(
        fc.property(anyText, fc.boolean(), (text, keepNewlines) => {
          const once = safeText(text, { keepNewlines });
          return safeText(once, { keepNewlines }) === once;
        }),
        { numRuns: 1000 },
      );
    });

    it('keeps one code unit for one, but for CRLF: offsets into the text stay valid', () => {
      fc.assert(
        fc.property(anyText, (text) => {
          const crlf = text.match(/\r\n/g)?.length ?? 0;
          return (
            safeText(text).length === text.length - crlf &&
            safeLine(text).length === text.length - crlf
          );
        }),
        { numRuns: 1000 },
      );
    });

    it('changes nothing in text that holds nothing unsafe', () => {
      const safeChar = fc
        .integer({ min: 0x20, max: 0x10ffff })
        .filter((c) => !isUnsafe(c, { keepsLayout: true }) && (c < 0xd800 || c > 0xdfff))
        .map((c) => String.fromCodePoint(c));
      fc.assert(
        fc.property(fc.array(safeChar, { maxLength: 40 }), (chars) => {
          const text = chars.join('');
          return safeText(text) === text && safeLine(text) === text;
        }),
        { numRuns: 1000 },
      );
    });
  });

  it('is fast: a megabyte of hostile text in well under a second', () => {
    const chunk = 'hello \u001b[2J world \u202e ok\r\n\u009b\t';
    const text = chunk.repeat(Math.ceil(1_000_000 / chunk.length));
    const started = performance.now();
    const out = safeText(text);
    const elapsed = performance.now() - started;
    expect(out).to.not.include('\u001b');
    expect(elapsed).to.be.lessThan(500);
  });
});
