/**
 * The functions the server keeps as SQL files (src/db/sql/) against what a migrated database
 * holds: the tests that say "the installed function is the file, word for word" read both here.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { freshDatabase } from './harness.js';

/** The `$$`-quoted body of the `CREATE FUNCTION` in `file`, or undefined when it has none. */
export function functionBody(file: URL): string | undefined {
  return /AS \$\$([\s\S]*)\$\$;\s*$/.exec(readFileSync(file, 'utf8'))?.[1];
}

/** Every overload of function `name` in a freshly migrated database: its source, its arguments. */
export async function installedFunctions(
  name: string,
): Promise<{ prosrc: string; names: string[] }[]> {
  const db = new pg.Client({ connectionString: await freshDatabase() });
  await db.connect();
  try {
    const { rows } = await db.query<{ prosrc: string; names: string[] }>(
      'SELECT prosrc, proargnames AS names FROM pg_proc WHERE proname = $1',
      [name],
    );
    return rows;
  } finally {
    await db.end();
  }
}
