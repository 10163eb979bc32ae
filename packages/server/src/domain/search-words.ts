/**
 * Words for search, normalised here rather than by PostgreSQL: its lower() and text-search
 * parser follow the database's locale, and under the C locale (what many installations and test
 * clusters get) they fold only ASCII. JavaScript folds every script the same everywhere.
 */

/** Longer words are cut: a lexeme must stay far under PostgreSQL's 2 KiB, and prefixes match. */
const MAX_WORD = 100;
const SEPARATORS = /[^\p{L}\p{N}\p{M}]+/u;

/** The distinct words of `text`: compatibility-normalised, lower-cased, cut to 100 code points. */
export function searchWords(text: string): string[] {
  const words = new Set<string>();
  for (const word of text.normalize('NFKC').toLowerCase().split(SEPARATORS)) {
    // A word of at most MAX_WORD code units has at most as many code points: nothing to cut.
    if (word !== '')
      words.add(word.length <= MAX_WORD ? word : [...word].slice(0, MAX_WORD).join(''));
  }
  return [...words];
}

/**
 * A tsquery in which every word of `q` must start a word of the text (`'word':* & …`), or
 * undefined when `q` has no word. Lexemes are quoted, so nothing in them is parsed again.
 */
export function prefixQuery(q: string): string | undefined {
  const words = searchWords(q);
  if (words.length === 0) return undefined;
  return words.map((w) => `'${w.replace(/\\/g, '\\\\').replace(/'/g, "''")}':*`).join(' & ');
}
