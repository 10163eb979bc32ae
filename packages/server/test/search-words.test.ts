/**
 * searchWords, the words a message is found by: distinct, NFKC-normalised, lower-cased, and cut
 * to 100 code points (never inside a surrogate pair), whatever the text.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { searchWords } from '../src/domain/search-words.js';

/** The definition, spelled out slowly: what searchWords must equal. */
function wordsByDefinition(text: string): string[] {
  const words = new Set<string>();
  for (const word of text
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}\p{M}]+/u)) {
    if (word !== '') words.add(Array.from(word).slice(0, 100).join(''));
  }
  return [...words];
}

describe('searchWords', () => {
  it('when words repeat in other cases and forms then each is found once, lower-cased', () => {
    expect(searchWords('Hello, HELLO hello! ﬁne Ünïcode 42')).to.deep.equal([
      'hello',
      'fine',
      'ünïcode',
      '42',
    ]);
  });

  it('when a word is longer than 100 code points then it is cut at 100, astral ones whole', () => {
    // U+20000, a CJK letter outside the BMP: two code units each.
    const [word] = searchWords('\u{20000}'.repeat(150));
    expect(Array.from(word!)).to.have.length(100);
    expect(word).to.equal('\u{20000}'.repeat(100));
    expect(searchWords('a'.repeat(100))).to.deep.equal(['a'.repeat(100)]);
    expect(searchWords('a'.repeat(101))).to.deep.equal(['a'.repeat(100)]);
  });

  it('when the text is any mix of letters, marks, astral characters and separators then it matches the definition', () => {
    const pieces = [
      'a',
      'é',
      '😀',
      '𝔸',
      '\u{20000}',
      'ß',
      ' ',
      'Ж',
      '1',
      '\u0301',
      '-',
      'ﬁ',
      '\u00a0',
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 300 }), (chars) => {
        const text = chars.join('');
        expect(searchWords(text)).to.deep.equal(wordsByDefinition(text));
      }),
      { numRuns: 500 },
    );
  });
});
