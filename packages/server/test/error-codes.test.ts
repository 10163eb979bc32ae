/**
 * Every machine `code` the server can answer with is in the catalogue (contract/codes.ts) the
 * documents publish and the SDK's `ErrorCodes` is generated from: found in the source, where
 * errors are made and where problems and socket `Error` frames are written.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from '../src/contract/codes.js';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'migrations' ? [] : sources(full);
    return full.endsWith('.ts') ? [full] : [];
  });
}

/** The text of the first argument of a call whose `(` is at `open` (the second after a status). */
function codeArgument(text: string, open: number): string {
  let depth = 0;
  const args: string[] = [''];
  for (let i = open + 1; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    if (ch === ')' || ch === ']' || ch === '}') {
      if (depth === 0) break;
      depth--;
    }
    if (ch === ',' && depth === 0) {
      if (args.length === 2) break;
      args.push('');
      continue;
    }
    args[args.length - 1] += ch;
  }
  return /^\s*\d{3}\s*$/.test(args[0]!) ? (args[1] ?? '') : args[0]!;
}

const LITERAL = /'([a-z]+(?:_[a-z]+)+|[a-z]+)'/g;

function codesIn(text: string): string[] {
  const found: string[] = [];
  // new XxxError('code', …), new HttpError(422, 'code', …), super('code', …) — not a plain
  // Error (a bug's words), nor ConfigError (the environment's, before any request)
  for (const m of text.matchAll(/\b(?:new (?!Config)\w+Error|super)\(/g)) {
    const arg = codeArgument(text, m.index + m[0].length - 1);
    for (const [, code] of arg.matchAll(LITERAL)) found.push(code!);
  }
  // { code: 'x' } (problems, socket Error frames), readonly code = 'x', [413, 'x', …], 400: ['x', …]
  for (const re of [
    /\bcode: '([a-z_]+)'/g,
    /\bcode = '([a-z_]+)'/g,
    /\[\d{3}, '([a-z_]+)'/g,
    /\d{3}: \['([a-z_]+)'/g,
  ]) {
    for (const [, code] of text.matchAll(re)) found.push(code!);
  }
  return found;
}

describe('error codes', () => {
  it('when the source makes an error or writes a problem then its code is in the published catalogue', () => {
    const unknown = new Set<string>();
    let seen = 0;
    for (const file of sources(SRC)) {
      if (file.endsWith(`contract${path.sep}codes.ts`) || file.endsWith('config.ts')) continue;
      for (const code of codesIn(readFileSync(file, 'utf8'))) {
        seen++;
        if (!(code in ERROR_CODES)) unknown.add(`${path.relative(SRC, file)}: ${code}`);
      }
    }
    expect([...unknown]).to.deep.equal([]);
    // The scan finds codes at all (it would pass on nothing otherwise).
    expect(seen).to.be.above(40);
  });

  it('when a code is in the catalogue then the source answers with it somewhere', () => {
    const used = new Set(sources(SRC).flatMap((f) => codesIn(readFileSync(f, 'utf8'))));
    expect(Object.keys(ERROR_CODES).filter((c) => !used.has(c))).to.deep.equal([]);
  });
});
