/**
 * Reading PostgreSQL's binary COPY format (docs: "COPY — File Formats — Binary Format"), for
 * the postgres file store's reads: a `bytea` travels as its raw bytes, where a query's result
 * (text protocol) carries it as hex — twice the bytes and a conversion on each side (and
 * node-postgres reads binary results as strings, which mangles `bytea`).
 *
 * Ours, not `pg-copy-streams-binary`: that package is unmaintained (through2 3, bl 4) and brings
 * six dependencies for the twenty lines a decoder needs.
 */

/** `PGCOPY\n\377\r\n\0`, then 32-bit flags and the header extension's length. */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/**
 * The rows of a COPY TO STDOUT (FORMAT binary) output, each field as its raw bytes (a `bytea`'s
 * are its value) or null. Fields are views into `data`, not copies.
 */
export function copyToRows(data: Buffer): (Buffer | null)[][] {
  if (data.length < SIGNATURE.length + 8 || !data.subarray(0, SIGNATURE.length).equals(SIGNATURE)) {
    throw new Error('not a binary COPY stream');
  }
  let at = SIGNATURE.length + 4;
  at += 4 + data.readInt32BE(at); // the header extension, skipped
  const rows: (Buffer | null)[][] = [];
  for (;;) {
    const count = data.readInt16BE(at);
    at += 2;
    if (count === -1) return rows;
    const row: (Buffer | null)[] = [];
    for (let i = 0; i < count; i++) {
      const length = data.readInt32BE(at);
      at += 4;
      if (length === -1) {
        row.push(null);
        continue;
      }
      if (at + length > data.length) throw new Error('binary COPY stream cut short');
      row.push(data.subarray(at, at + length));
      at += length;
    }
    rows.push(row);
  }
}
