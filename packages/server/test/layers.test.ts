/**
 * The server's layers, lowest first: each module imports only from its own layer or below
 * (style.md §2). The wire contract is a leaf everyone shares; the database layer knows nothing
 * of the rules; the rules know nothing of HTTP or sockets.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** Layer of a module, by its path under src/. */
const LAYERS: [RegExp, number, string][] = [
  [/^contract\//, 0, 'contract'],
  [/^(config|logger|metrics)\.ts$/, 1, 'config, logger, metrics'],
  [/^(db|storage)\//, 2, 'db, storage'],
  [/^(auth|domain)\/|^services\.ts$/, 3, 'domain'],
  [/^http\//, 4, 'http'],
  [/^realtime\//, 5, 'realtime'],
  [/^routes\//, 6, 'routes'],
  [/^(app|api-documents|server|main)\.ts$/, 7, 'wiring'],
];

function layerOf(file: string): { rank: number; name: string } {
  const found = LAYERS.find(([pattern]) => pattern.test(file));
  if (!found) throw new Error(`${file} is in no layer: add it to LAYERS`);
  return { rank: found[1], name: found[2] };
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sources(full);
    return full.endsWith('.ts') ? [full] : [];
  });
}

describe('server layers', () => {
  it('when a module imports another of ours then that one is in its layer or below', () => {
    const against: string[] = [];
    for (const full of sources(SRC)) {
      const file = path.relative(SRC, full).split(path.sep).join('/');
      // Migrations are frozen history; they import nothing of ours (004 keeps its own words).
      if (file.startsWith('db/migrations/')) {
        expect(readFileSync(full, 'utf8'), file).to.not.match(/from '\.\.\/\.\.\//);
        continue;
      }
      const from = layerOf(file);
      for (const [, spec] of readFileSync(full, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
        const target = path
          .relative(SRC, path.resolve(path.dirname(full), spec!))
          .split(path.sep)
          .join('/')
          .replace(/\.js$/, '.ts');
        const to = layerOf(target);
        if (to.rank > from.rank)
          against.push(`${file} (${from.name}) imports ${target} (${to.name})`);
      }
    }
    expect(against).to.deep.equal([]);
  });
});
