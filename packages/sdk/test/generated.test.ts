/**
 * The committed OpenAPI types (src/generated/openapi.ts) must be what `npm run generate` writes
 * from openapi/openapi.json today: regenerate in memory and compare byte for byte.
 */
import fs from 'node:fs/promises';
import { expect } from 'chai';
import openapiTS, { COMMENT_HEADER, astToString } from 'openapi-typescript';

const spec = new URL('../../../openapi/openapi.json', import.meta.url);
const committed = new URL('../src/generated/openapi.ts', import.meta.url);
const HINT = 'src/generated/openapi.ts is stale: run `npm run generate -w @msgr/sdk`';

/**
 * What the CLI writes (openapi-typescript 7 `bin/cli.js` `generateSchema`): its header comment,
 * then `astToString` of the AST, with the CLI's defaults (every flag off; the "minimal" Redocly
 * config, which is also the library's default when no Redocly config file exists).
 */
async function regenerate(): Promise<string> {
  return `${COMMENT_HEADER}${astToString(await openapiTS(spec, { silent: true }))}`;
}

describe('sdk generated OpenAPI types', function () {
  this.timeout(60_000);

  it('when regenerated from openapi/openapi.json then they equal the committed file exactly', async () => {
    const [fresh, current] = await Promise.all([regenerate(), fs.readFile(committed, 'utf8')]);
    // Not deep.equal on the whole text: a one-line diff of a 1,000-line file should stay readable.
    const freshLines = fresh.split('\n');
    const currentLines = current.split('\n');
    const firstDiff = freshLines.findIndex((line, i) => line !== currentLines[i]);
    expect(
      firstDiff === -1 ? 'same' : `line ${firstDiff + 1}: ${currentLines[firstDiff]}`,
      `${HINT} (it should read: ${freshLines[firstDiff]})`,
    ).to.equal('same');
    expect(current.length, HINT).to.equal(fresh.length);
  });

  it('says at the top that it is generated', async () => {
    const current = await fs.readFile(committed, 'utf8');
    expect(current.startsWith(COMMENT_HEADER), HINT).to.be.true;
  });
});
